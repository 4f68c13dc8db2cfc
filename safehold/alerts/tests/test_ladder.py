"""The escalation ladder, decided from tables of steps and times."""

from __future__ import annotations

import datetime

import pytest

from safehold.alerts.ladder import DEFAULT_LADDER, Rung, Target, next_climb

NOW = datetime.datetime(2026, 11, 22, 3, 0, tzinfo=datetime.UTC)
M = datetime.timedelta(minutes=1)
LADDER = (Rung(1, 10 * M), Rung(2, 15 * M), Rung(3, 30 * M))


@pytest.mark.parametrize(
    ("done_step", "done_round", "repeat_from", "step", "round_", "wait"),
    [
        (0, 1, 1, 1, 1, 10),  # a new alert starts at the first step
        (1, 1, 1, 2, 1, 15),
        (2, 1, 1, 3, 1, 30),
        (3, 1, 1, 1, 2, 10),  # past the last step: again from the repeat step
        (3, 1, 2, 2, 2, 15),
        (3, 4, 3, 3, 5, 30),
        (3, 1, 9, 1, 2, 10),  # a repeat step beyond the ladder falls back to the first
    ],
)
def test_the_ladder_climbs_and_repeats(
    done_step: int, done_round: int, repeat_from: int, step: int, round_: int, wait: int
) -> None:
    climb = next_climb(
        LADDER, repeat_from=repeat_from, done_step=done_step, done_round=done_round, now=NOW
    )
    assert (climb.rung.position, climb.round) == (step, round_)
    assert climb.next_step_at == NOW + wait * M


def test_positions_need_not_be_contiguous_or_sorted() -> None:
    ladder = (Rung(20, 5 * M), Rung(10, 1 * M))
    assert next_climb(ladder, repeat_from=1, done_step=0, done_round=1, now=NOW).rung.position == 10
    assert (
        next_climb(ladder, repeat_from=1, done_step=10, done_round=1, now=NOW).rung.position == 20
    )


def test_an_empty_ladder_is_refused() -> None:
    with pytest.raises(ValueError):
        next_climb((), repeat_from=1, done_step=0, done_round=1, now=NOW)


def test_targets_survive_a_json_round_trip() -> None:
    for rung in DEFAULT_LADDER:
        for target in rung.targets:
            assert Target.from_json(target.to_json()) == target
