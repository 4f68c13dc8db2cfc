"""Shared helpers for the check-in tests: times, specs and a person ready to check in."""

from __future__ import annotations

import datetime

from safehold.accounts.models import Member
from safehold.cases.models import Person
from safehold.checkins.actions import issue_link, set_pins, set_schedule
from safehold.checkins.models import CheckinSecret
from safehold.checkins.schedule_math import ScheduleKind, ScheduleSpec

UTC = datetime.UTC
MINUTES = datetime.timedelta(minutes=1)
HOURS = datetime.timedelta(hours=1)
# Eight digits, so they cannot turn up by chance in a hex digest or a timestamp.
PIN = "48291375"
DURESS_PIN = "17532064"
WRONG_PIN = "99990000"
NOW = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def utc(text: str) -> datetime.datetime:
    """Parse "2026-03-29 01:00" as UTC."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def daily(*times: str, zone: str = "Europe/Berlin", **extra: object) -> ScheduleSpec:
    return ScheduleSpec(
        kind=ScheduleKind.DAILY,
        interval=None,
        grace=30 * MINUTES,
        daily_times=tuple(datetime.time.fromisoformat(t) for t in times),
        timezone=zone,
        **extra,  # type: ignore[arg-type]
    )


def interval(minutes: int, **extra: object) -> ScheduleSpec:
    return ScheduleSpec(
        kind=ScheduleKind.INTERVAL,
        interval=minutes * MINUTES,
        grace=30 * MINUTES,
        daily_times=(),
        timezone="Europe/Berlin",
        **extra,  # type: ignore[arg-type]
    )


def ready_to_check_in(
    person: Person, *, actor: Member, interval_minutes: int = 60, now: datetime.datetime = NOW
) -> tuple[CheckinSecret, str]:
    """Give `person` an hourly schedule, both PINs and a link; return the secret and link."""
    set_schedule(
        person,
        actor=actor,
        kind=ScheduleKind.INTERVAL,
        interval_minutes=interval_minutes,
        grace_minutes=30,
        now=now,
    )
    set_pins(person, actor=actor, pin=PIN, duress_pin=DURESS_PIN)
    token = issue_link(person, actor=actor)
    return CheckinSecret.objects.get(person=person), token
