"""States from tables of times, the due-soon window, and what a check-in answers."""

from __future__ import annotations

import datetime

import pytest

from safehold.checkins.schedule_math import (
    CheckinMove,
    ScheduleSpec,
    ScheduleState,
    after_checkin,
    due_soon_window,
    overdue_at,
    state_at,
)
from safehold.checkins.tests.helpers import MINUTES, daily, interval, utc

DEADLINE = utc("2026-06-01 12:00")


def _heightened(minutes: int) -> dict[str, object]:
    return {"is_heightened": True, "heightened_interval": minutes * MINUTES}


@pytest.mark.parametrize(
    ("now", "state"),
    [
        ("2026-06-01 09:00", ScheduleState.OK),
        ("2026-06-01 11:44:59", ScheduleState.OK),
        ("2026-06-01 11:45", ScheduleState.DUE_SOON),
        ("2026-06-01 11:59:59", ScheduleState.DUE_SOON),
        ("2026-06-01 12:00", ScheduleState.LATE),
        ("2026-06-01 12:29:59", ScheduleState.LATE),
        ("2026-06-01 12:30", ScheduleState.MISSED),
        ("2026-06-09 00:00", ScheduleState.MISSED),
    ],
)
def test_the_state_moves_from_ok_to_missed(now: str, state: ScheduleState) -> None:
    assert state_at(interval(24 * 60), next_deadline=DEADLINE, now=utc(now)) == state


@pytest.mark.parametrize(
    ("now", "state"),
    [
        ("2026-06-01 11:54:59", ScheduleState.OK),
        ("2026-06-01 11:55", ScheduleState.DUE_SOON),
        ("2026-06-01 12:00", ScheduleState.LATE),
        ("2026-06-01 12:30", ScheduleState.MISSED),
    ],
)
def test_a_short_interval_is_due_soon_for_its_last_quarter(now: str, state: ScheduleState) -> None:
    assert state_at(interval(20), next_deadline=DEADLINE, now=utc(now)) == state


def test_no_grace_means_missed_at_the_deadline() -> None:
    spec = ScheduleSpec(**(vars(interval(60)) | {"grace": datetime.timedelta(0)}))
    assert state_at(spec, next_deadline=DEADLINE, now=DEADLINE) == ScheduleState.MISSED


@pytest.mark.parametrize(
    ("now", "state"),
    [
        ("2026-06-02 11:59", ScheduleState.PAUSED),  # even past the deadline
        ("2026-06-02 12:00", ScheduleState.MISSED),  # the pause is over
    ],
)
def test_a_paused_schedule_is_paused_until_the_pause_ends(now: str, state: ScheduleState) -> None:
    spec = ScheduleSpec(**(vars(interval(60)) | {"paused_until": utc("2026-06-02 12:00")}))
    assert state_at(spec, next_deadline=DEADLINE, now=utc(now)) == state


@pytest.mark.parametrize(
    ("spec", "window"),
    [
        (interval(24 * 60), 15),
        (interval(60), 15),
        (interval(20), 5),
        (interval(5), 1.25),
        (daily("09:00"), 15),
        (daily("09:00", "09:20"), 5),  # the gap of 20 minutes
        (daily("00:10", "23:50"), 5),  # the gap across midnight
        (ScheduleSpec(**(vars(interval(60)) | _heightened(8))), 2),
        (ScheduleSpec(**(vars(daily("09:00")) | _heightened(40))), 10),
    ],
)
def test_due_soon_is_fifteen_minutes_or_a_quarter_of_the_period(
    spec: ScheduleSpec, window: float
) -> None:
    assert due_soon_window(spec) == window * MINUTES


def test_overdue_is_the_deadline_plus_grace() -> None:
    assert overdue_at(DEADLINE, 30 * MINUTES) == utc("2026-06-01 12:30")


MOSCOW_NINE = utc("2026-06-01 06:00")  # 09:00 in Moscow
NEXT_NINE = utc("2026-06-02 06:00")


@pytest.mark.parametrize(
    ("now", "answered", "next_deadline", "why"),
    [
        ("2026-06-01 05:50", MOSCOW_NINE, NEXT_NINE, "in the due-soon window: answers 09:00"),
        ("2026-06-01 05:45", MOSCOW_NINE, NEXT_NINE, "at the window's start"),
        ("2026-06-01 05:44", None, MOSCOW_NINE, "earlier: recorded, the deadline stays"),
        ("2026-06-01 06:10", MOSCOW_NINE, NEXT_NINE, "late, in grace"),
        ("2026-06-02 07:00", MOSCOW_NINE, utc("2026-06-03 06:00"), "long missed"),
    ],
)
def test_a_check_in_on_a_daily_schedule_answers_the_coming_time(
    now: str, answered: datetime.datetime | None, next_deadline: datetime.datetime, why: str
) -> None:
    spec = daily("09:00", zone="Europe/Moscow")
    move = after_checkin(spec, pending=MOSCOW_NINE, now=utc(now))
    assert move == CheckinMove(answered, next_deadline), why


def test_two_check_ins_in_a_row_never_skip_a_daily_time() -> None:
    spec = daily("09:00", zone="Europe/Moscow")
    first = after_checkin(spec, pending=MOSCOW_NINE, now=utc("2026-06-01 05:50"))
    second = after_checkin(spec, pending=first.next_deadline, now=utc("2026-06-01 05:51"))
    assert second == CheckinMove(None, NEXT_NINE)


@pytest.mark.parametrize(
    ("now", "next_deadline"),
    [
        ("2026-06-01 09:00", "2026-06-01 10:00"),  # early: the interval restarts
        ("2026-06-01 11:59", "2026-06-01 12:59"),
        ("2026-06-01 12:20", "2026-06-01 13:20"),  # late
    ],
)
def test_a_check_in_restarts_an_interval(now: str, next_deadline: str) -> None:
    move = after_checkin(interval(60), pending=DEADLINE, now=utc(now))
    assert move == CheckinMove(DEADLINE, utc(next_deadline))


def test_a_first_check_in_answers_nothing() -> None:
    move = after_checkin(interval(60), pending=None, now=DEADLINE)
    assert move == CheckinMove(None, utc("2026-06-01 13:00"))


def test_a_check_in_during_a_pause_leaves_the_deadline_after_the_pause() -> None:
    until = utc("2026-06-03 12:00")
    spec = ScheduleSpec(**(vars(interval(60)) | {"paused_until": until}))
    pending = until + 60 * MINUTES
    assert after_checkin(spec, pending=pending, now=DEADLINE) == CheckinMove(None, pending)
