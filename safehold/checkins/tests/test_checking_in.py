"""Checking in with a PIN: the deadline moves, wrong PINs slow down, replays change nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safehold.checkins.actions import pause, set_schedule
from safehold.checkins.models import Channel, Checkin, CheckinSecret, Outcome, Schedule
from safehold.checkins.service import (
    ATTACK_THRESHOLD,
    CheckinResult,
    check_in,
    find_secret_by_link,
    slow_down_delay,
)
from safehold.checkins.tests.helpers import (
    DURESS_PIN,
    HOURS,
    MINUTES,
    NOW,
    PIN,
    WRONG_PIN,
    ready_to_check_in,
    utc,
)
from safehold.testing import World, make_person

pytestmark = pytest.mark.django_db
SECONDS = datetime.timedelta(seconds=1)


@pytest.fixture
def secret(world: World) -> CheckinSecret:
    return ready_to_check_in(world.person, actor=world.coordinator)[0]


def attempt(
    secret: CheckinSecret, pin: str, at: datetime.datetime, request_id: str | None = None
) -> CheckinResult:
    return check_in(
        secret, pin, channel=Channel.WEB, request_id=request_id or f"r-{at.isoformat()}", now=at
    )


def snapshot(secret: CheckinSecret) -> tuple[Any, ...]:
    """Everything a check-in may change, to compare before and after."""
    schedule = Schedule.objects.filter(person_id=secret.person_id).values().get()
    stored = CheckinSecret.objects.filter(pk=secret.pk).values().get()
    checkins = list(Checkin.objects.filter(person_id=secret.person_id).order_by("at").values())
    return schedule, stored, checkins


def test_the_link_finds_the_secret_and_nothing_else_does(world: World) -> None:
    secret, token = ready_to_check_in(world.person, actor=world.coordinator)
    assert find_secret_by_link(token) == secret
    assert find_secret_by_link(token[:-1]) is None
    assert find_secret_by_link("") is None
    assert find_secret_by_link("x" * 10_000) is None


def test_an_accepted_check_in_moves_the_deadline(secret: CheckinSecret) -> None:
    at = NOW + 20 * MINUTES
    result = attempt(secret, PIN, at)
    assert result == CheckinResult("accepted", next_deadline=at + 60 * MINUTES)
    schedule = Schedule.objects.get(person_id=secret.person_id)
    assert schedule.last_checkin_at == at
    assert schedule.next_deadline == at + 60 * MINUTES
    assert schedule.overdue_at == at + 90 * MINUTES
    checkin = Checkin.objects.get(person_id=secret.person_id)
    assert (checkin.outcome, checkin.channel, checkin.at) == (Outcome.OK, Channel.WEB, at)
    assert checkin.deadline_met == NOW + 60 * MINUTES
    assert checkin.processed_at is None


def test_a_check_in_before_the_daily_time_answers_it(world: World) -> None:
    secret, _ = ready_to_check_in(world.person, actor=world.coordinator)
    set_schedule(
        world.person,
        actor=world.coordinator,
        kind="daily",
        daily_times=["09:00"],
        timezone="Europe/Moscow",
        now=utc("2026-06-01 03:00"),
    )
    result = attempt(secret, PIN, utc("2026-06-01 05:50"))  # 08:50 in Moscow
    assert result.next_deadline == utc("2026-06-02 06:00")
    checkin = Checkin.objects.get(person_id=secret.person_id)
    assert checkin.deadline_met == utc("2026-06-01 06:00")


def test_a_person_without_a_schedule_can_still_check_in(world: World) -> None:
    secret, _ = ready_to_check_in(world.person, actor=world.coordinator)
    Schedule.objects.filter(person=world.person).delete()
    assert attempt(secret, PIN, NOW) == CheckinResult("accepted")
    assert Checkin.objects.get(person=world.person).outcome == Outcome.OK


def test_a_missed_schedule_is_found_until_a_check_in_or_an_alert_covers_it(
    secret: CheckinSecret,
) -> None:
    overdue = NOW + 90 * MINUTES
    assert not Schedule.objects.missed(overdue - SECONDS).exists()
    assert list(Schedule.objects.missed(overdue).values_list("person_id", flat=True)) == [
        secret.person_id
    ]
    Schedule.objects.update(alerted_deadline=NOW + 60 * MINUTES)
    assert not Schedule.objects.missed(overdue).exists()
    Schedule.objects.update(alerted_deadline=None)
    attempt(secret, PIN, overdue)
    assert not Schedule.objects.missed(overdue).exists()


def test_the_delays_start_at_the_third_wrong_pin_double_and_are_capped() -> None:
    delays = [slow_down_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [0, 0, 2, 4, 8, 16, 30, 30, 30]


def test_wrong_pins_slow_down_but_the_right_pin_works_after_the_delay(
    secret: CheckinSecret,
) -> None:
    assert attempt(secret, WRONG_PIN, NOW) == CheckinResult("wrong_pin")
    assert attempt(secret, WRONG_PIN, NOW + SECONDS) == CheckinResult("wrong_pin")
    third = NOW + 2 * SECONDS
    assert attempt(secret, WRONG_PIN, third) == CheckinResult("wrong_pin", retry_after_seconds=2)
    assert attempt(secret, PIN, third + SECONDS) == CheckinResult(
        "slow_down", retry_after_seconds=1
    )
    result = attempt(secret, PIN, third + 2 * SECONDS)
    assert result.status == "accepted"
    stored = CheckinSecret.objects.get(pk=secret.pk)
    assert (stored.failures, stored.not_before) == (0, None)


def test_the_duress_pin_is_slowed_down_like_any_other(secret: CheckinSecret) -> None:
    for n in range(3):
        attempt(secret, WRONG_PIN, NOW + n * SECONDS)
    later = NOW + 3 * SECONDS
    assert attempt(secret, DURESS_PIN, later) == attempt(secret, PIN, later, "other-id")


def test_a_slowed_down_attempt_writes_nothing_and_verifies_nothing(
    secret: CheckinSecret, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        attempt(secret, WRONG_PIN, NOW + n * SECONDS)
    before = snapshot(secret)
    digests: list[str] = []
    monkeypatch.setattr("safehold.crypto.envelope.blind_index", lambda *a: digests.append(a[0]))
    with CaptureQueriesContext(connection) as queries:
        result = attempt(secret, WRONG_PIN, NOW + 3 * SECONDS)
    assert result.status == "slow_down"
    assert digests == []
    assert not [q for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert snapshot(secret) == before


def test_three_wrong_pins_in_a_row_flag_a_possible_coercion(secret: CheckinSecret) -> None:
    moments = [NOW + n * MINUTES for n in range(ATTACK_THRESHOLD + 1)]
    for n, at in enumerate(moments[:ATTACK_THRESHOLD]):
        attempt(secret, WRONG_PIN, at)
        flagged = CheckinSecret.objects.get(pk=secret.pk).attack_flagged_at
        assert flagged == (at if n == ATTACK_THRESHOLD - 1 else None)
    CheckinSecret.objects.filter(pk=secret.pk).update(attack_alerted_at=moments[2])
    attempt(secret, WRONG_PIN, moments[3])
    stored = CheckinSecret.objects.get(pk=secret.pk)
    assert (stored.attack_flagged_at, stored.attack_alerted_at) == (moments[2], moments[2])
    assert list(CheckinSecret.objects.unalerted_attacks()) == []


def test_a_new_run_of_wrong_pins_after_a_success_flags_again(secret: CheckinSecret) -> None:
    for n in range(ATTACK_THRESHOLD):
        attempt(secret, WRONG_PIN, NOW + n * MINUTES)
    CheckinSecret.objects.filter(pk=secret.pk).update(attack_alerted_at=NOW + 3 * MINUTES)
    attempt(secret, PIN, NOW + 5 * MINUTES)
    second_run = [NOW + (10 + n) * MINUTES for n in range(ATTACK_THRESHOLD)]
    for at in second_run:
        attempt(secret, WRONG_PIN, at)
    stored = CheckinSecret.objects.get(pk=secret.pk)
    assert (stored.attack_flagged_at, stored.attack_alerted_at) == (second_run[-1], None)
    assert list(CheckinSecret.objects.unalerted_attacks()) == [stored]


def test_wrong_pins_interrupted_by_the_right_one_are_not_an_attack(secret: CheckinSecret) -> None:
    pins = [WRONG_PIN, WRONG_PIN, PIN, WRONG_PIN, WRONG_PIN]
    for n, pin in enumerate(pins):
        attempt(secret, pin, NOW + n * MINUTES)
    assert CheckinSecret.objects.get(pk=secret.pk).attack_flagged_at is None


@pytest.mark.parametrize("pin", [PIN, DURESS_PIN, WRONG_PIN])
def test_a_replayed_check_in_changes_nothing_and_answers_like_the_first(
    secret: CheckinSecret, pin: str
) -> None:
    first = attempt(secret, pin, NOW + 5 * MINUTES, "request-1")
    before = snapshot(secret)
    again = attempt(secret, pin, NOW + 6 * MINUTES, "request-1")
    assert again == first
    assert snapshot(secret) == before


def test_a_replay_with_another_pin_still_answers_like_the_first(secret: CheckinSecret) -> None:
    first = attempt(secret, DURESS_PIN, NOW + 5 * MINUTES, "request-1")
    assert attempt(secret, WRONG_PIN, NOW + 6 * MINUTES, "request-1") == first
    assert Checkin.objects.get(person_id=secret.person_id).outcome == Outcome.DURESS


def test_a_replayed_wrong_pin_tells_how_long_to_wait(secret: CheckinSecret) -> None:
    for n in range(2):
        attempt(secret, WRONG_PIN, NOW + n * SECONDS)
    first = attempt(secret, WRONG_PIN, NOW + 2 * SECONDS, "third")
    assert attempt(secret, WRONG_PIN, NOW + 2 * SECONDS, "third") == first
    assert attempt(secret, WRONG_PIN, NOW + 3 * SECONDS, "third").retry_after_seconds == 1


def test_the_same_request_id_of_another_person_is_not_a_replay(
    world: World, secret: CheckinSecret
) -> None:
    other = ready_to_check_in(make_person(world.compartment), actor=world.coordinator)[0]
    attempt(secret, WRONG_PIN, NOW, "shared")
    assert attempt(other, PIN, NOW, "shared").status == "accepted"


def test_a_late_duress_check_in_stays_for_the_worker(secret: CheckinSecret) -> None:
    attempt(secret, DURESS_PIN, NOW + 5 * MINUTES)
    attempt(secret, PIN, NOW + 6 * MINUTES)
    duress = Checkin.objects.unprocessed_duress().get()
    assert (duress.outcome, duress.processed_at) == (Outcome.DURESS, None)


@pytest.mark.parametrize(
    ("channel", "request_id"), [("fax", "r1"), (Channel.WEB, ""), (Channel.WEB, "x" * 65)]
)
def test_a_bad_channel_or_request_id_is_refused(
    secret: CheckinSecret, channel: str, request_id: str
) -> None:
    with pytest.raises(ValueError):
        check_in(secret, PIN, channel=channel, request_id=request_id, now=NOW)
    assert not Checkin.objects.exists()


def test_the_state_of_a_person_follows_check_ins_and_pauses(
    world: World, secret: CheckinSecret
) -> None:
    def state(at: datetime.datetime) -> str:
        return Schedule.objects.get(person=world.person).state_at(at)

    assert [state(NOW + n * MINUTES) for n in (0, 50, 70, 90)] == [
        "ok",
        "due_soon",
        "late",
        "missed",
    ]
    attempt(secret, PIN, NOW + 95 * MINUTES)
    assert state(NOW + 100 * MINUTES) == "ok"
    pause(world.person, actor=world.coordinator, until=NOW + 24 * HOURS, now=NOW + 100 * MINUTES)
    assert state(NOW + 23 * HOURS) == "paused"
    assert state(NOW + 24 * HOURS) == "ok"
