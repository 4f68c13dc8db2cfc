"""Next deadlines from tables of times: intervals, daily times, DST, pauses, heightened mode.

Europe/Berlin switches on 2026-03-29 at 01:00 UTC (02:00 CET -> 03:00 CEST) and on
2026-10-25 at 01:00 UTC (03:00 CEST -> 02:00 CET). Moscow and Yekaterinburg keep
UTC+3 and UTC+5 all year.
"""

from __future__ import annotations

import datetime

import pytest

from safehold.checkins.schedule_math import ScheduleKind, ScheduleSpec, next_deadline
from safehold.checkins.tests.helpers import HOURS, MINUTES, daily, interval, utc


@pytest.mark.parametrize(
    ("after", "expected", "why"),
    [
        ("2026-03-27 12:00", "2026-03-28 01:30", "02:30 CET is 01:30 UTC"),
        ("2026-03-28 01:30", "2026-03-29 01:00", "strictly after; 02:30 is missing, so 03:00 CEST"),
        (
            "2026-03-28 12:00",
            "2026-03-29 01:00",
            "the missing time falls due at the end of the gap",
        ),
        ("2026-03-29 00:59", "2026-03-29 01:00", "one minute before the gap ends"),
        ("2026-03-29 01:00", "2026-03-30 00:30", "after it, the next day's 02:30 CEST"),
        ("2026-10-24 01:00", "2026-10-25 00:30", "the repeated time: first occurrence (CEST)"),
        ("2026-10-25 00:30", "2026-10-26 01:30", "not again at its second occurrence"),
        ("2026-10-25 00:45", "2026-10-26 01:30", "inside the first pass of the hour"),
        ("2026-10-25 01:15", "2026-10-26 01:30", "inside the second pass of the hour"),
        ("2026-10-25 01:29", "2026-10-26 01:30", "just before the second 02:30"),
    ],
)
def test_a_daily_time_in_the_dst_changes_falls_due_once(
    after: str, expected: str, why: str
) -> None:
    assert next_deadline(daily("02:30"), after=utc(after)) == utc(expected), why


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (
            "2026-03-26 12:00",
            ["2026-03-27 01:30", "2026-03-28 01:30", "2026-03-29 01:00", "2026-03-30 00:30"],
        ),
        (
            "2026-10-23 12:00",
            ["2026-10-24 00:30", "2026-10-25 00:30", "2026-10-26 01:30", "2026-10-27 01:30"],
        ),
    ],
)
def test_a_daily_time_across_dst_is_never_skipped_nor_doubled(
    start: str, expected: list[str]
) -> None:
    deadlines, moment = [], utc(start)
    for _ in expected:
        moment = next_deadline(daily("02:30"), after=moment)
        deadlines.append(moment)
    assert deadlines == [utc(e) for e in expected]


@pytest.mark.parametrize(
    ("times", "after", "expected"),
    [
        (("02:00",), "2026-03-28 12:00", "2026-03-29 01:00"),  # 02:00 is the gap's start
        (("03:00",), "2026-03-28 12:00", "2026-03-29 01:00"),
        (("02:30", "03:00"), "2026-03-29 01:00", "2026-03-30 00:30"),  # merged, not twice
        (("03:00",), "2026-10-24 12:00", "2026-10-25 02:00"),  # 03:00 CET, after the repeat
        (("01:30",), "2026-10-24 12:00", "2026-10-24 23:30"),  # before the change, CEST
        (("21:00", "09:00"), "2026-10-25 08:30", "2026-10-25 20:00"),  # order does not matter
    ],
)
def test_other_daily_times_around_the_dst_changes(
    times: tuple[str, ...], after: str, expected: str
) -> None:
    assert next_deadline(daily(*times), after=utc(after)) == utc(expected)


@pytest.mark.parametrize(
    ("zone", "after", "expected"),
    [
        ("Europe/Moscow", "2026-06-01 05:00", "2026-06-01 06:00"),
        ("Europe/Moscow", "2026-06-01 06:00", "2026-06-02 06:00"),
        ("Europe/Moscow", "2026-03-29 06:00", "2026-03-30 06:00"),  # Europe's switch: no effect
        ("Europe/Moscow", "2026-10-24 06:30", "2026-10-25 06:00"),
        ("Asia/Yekaterinburg", "2026-06-01 03:59", "2026-06-01 04:00"),
        ("Asia/Yekaterinburg", "2026-06-01 04:00", "2026-06-02 04:00"),
        ("Asia/Yekaterinburg", "2026-12-31 23:00", "2027-01-01 04:00"),
    ],
)
def test_nine_in_the_morning_in_russian_zones(zone: str, after: str, expected: str) -> None:
    assert next_deadline(daily("09:00", zone=zone), after=utc(after)) == utc(expected)


def test_several_daily_times_with_different_minutes() -> None:
    spec = daily("09:00", "13:30", "21:00", zone="Europe/Moscow")
    moments = ["2026-06-01 06:00", "2026-06-01 10:30", "2026-06-01 18:00", "2026-06-02 06:00"]
    deadline = utc("2026-06-01 05:00")
    seen = []
    for _ in moments:
        deadline = next_deadline(spec, after=deadline)
        seen.append(deadline)
    assert seen == [utc(m) for m in moments]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("2026-03-28 12:00", "2026-03-29 12:00"),  # 13:00 CET -> 14:00 CEST: 24 real hours
        ("2026-03-29 00:30", "2026-03-30 00:30"),
        ("2026-10-24 12:00", "2026-10-25 12:00"),  # 14:00 CEST -> 13:00 CET
    ],
)
def test_an_interval_counts_absolute_time_across_dst(after: str, expected: str) -> None:
    assert next_deadline(interval(24 * 60), after=utc(after)) == utc(expected)


def test_an_interval_keeps_the_seconds_of_the_check_in() -> None:
    after = utc("2026-06-01 09:00:17.250000")
    assert next_deadline(interval(90), after=after) == after + 90 * MINUTES


def test_heightened_mode_shortens_an_interval() -> None:
    spec = interval(24 * 60, is_heightened=True, heightened_interval=2 * HOURS)
    assert next_deadline(spec, after=utc("2026-06-01 09:00")) == utc("2026-06-01 11:00")


def test_heightened_mode_never_lengthens_an_interval() -> None:
    spec = interval(30, is_heightened=True, heightened_interval=2 * HOURS)
    assert next_deadline(spec, after=utc("2026-06-01 09:00")) == utc("2026-06-01 09:30")


def test_a_heightened_interval_that_is_switched_off_is_ignored() -> None:
    spec = interval(24 * 60, is_heightened=False, heightened_interval=2 * HOURS)
    assert next_deadline(spec, after=utc("2026-06-01 09:00")) == utc("2026-06-02 09:00")


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("2026-06-01 05:00", "2026-06-01 06:00"),  # the daily time comes first
        ("2026-06-01 06:30", "2026-06-01 09:30"),  # the heightened interval comes first
    ],
)
def test_heightened_daily_takes_whichever_is_earlier(after: str, expected: str) -> None:
    spec = daily("09:00", zone="Europe/Moscow", is_heightened=True, heightened_interval=3 * HOURS)
    assert next_deadline(spec, after=utc(after)) == utc(expected)


@pytest.mark.parametrize(
    ("spec", "after", "expected"),
    [
        (interval(60), "2026-06-01 08:00", "2026-06-03 13:00"),
        (interval(60), "2026-06-03 12:00", "2026-06-03 13:00"),  # pause over: from `after`
        (interval(60), "2026-06-03 12:30", "2026-06-03 13:30"),
        (daily("09:00", zone="Europe/Moscow"), "2026-06-01 05:00", "2026-06-04 06:00"),
        (daily("16:00", zone="Europe/Moscow"), "2026-06-01 05:00", "2026-06-03 13:00"),
    ],
)
def test_a_pause_counts_from_its_end_so_it_resumes_by_itself(
    spec: ScheduleSpec, after: str, expected: str
) -> None:
    paused = ScheduleSpec(**{**vars(spec), "paused_until": utc("2026-06-03 12:00")})
    assert next_deadline(paused, after=utc(after)) == utc(expected)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_deadline(interval(60), after=datetime.datetime(2026, 6, 1, 9, 0))


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": ScheduleKind.INTERVAL, "interval": None},
        {"kind": ScheduleKind.DAILY, "daily_times": ()},
        {"kind": "weekly"},
        {"is_heightened": True, "heightened_interval": None},
        {"grace": -MINUTES},
    ],
)
def test_an_inconsistent_spec_is_refused(fields: dict[str, object]) -> None:
    base = vars(interval(60)) | {"daily_times": (datetime.time(9),)}
    with pytest.raises(ValueError):
        ScheduleSpec(**(base | fields))  # type: ignore[arg-type]
