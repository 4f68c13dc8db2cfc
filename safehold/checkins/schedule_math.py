"""Schedule maths: pure functions of a schedule and a moment, never reading the clock.

Every datetime in and out is aware; results are in UTC. Local time appears only
inside, where daily check-in times are read in the person's IANA time zone.

Daylight-saving changes, for daily times (the cron maths is `cronsim`'s):

- A local time that does not exist that day (02:30 in Berlin on the spring-forward
  day) falls due at the first instant after the gap (03:00 local).
- A local time that exists twice (02:30 in Berlin on the fall-back day) falls due at
  its first occurrence only.
- Each daily time therefore falls due exactly once a day: never skipped, never twice.

Interval schedules count absolute time: "every 24 hours" across a DST change is 24
real hours, so the local time of the deadline moves by an hour.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from cronsim import CronSim
from django.db import models
from django.utils.translation import gettext_lazy as _

UTC = datetime.UTC
# The state turns "due soon" this long before a deadline, or a quarter of the
# schedule's period if that is shorter (a 20-minute interval is due soon for its last
# 5 minutes, not for most of its life). The same window is when a check-in on a daily
# schedule answers the coming deadline; see after_checkin().
DUE_SOON = datetime.timedelta(minutes=15)


class ScheduleKind(models.TextChoices):
    INTERVAL = "interval", _("Every interval")
    DAILY = "daily", _("At fixed times each day")


class ScheduleState(models.TextChoices):
    OK = "ok", _("OK")
    DUE_SOON = "due_soon", _("Due soon")
    LATE = "late", _("Late (in grace)")
    MISSED = "missed", _("Missed")
    PAUSED = "paused", _("Paused")


@dataclass(frozen=True)
class ScheduleSpec:
    """What the maths needs to know about one person's schedule."""

    kind: str
    interval: datetime.timedelta | None
    grace: datetime.timedelta
    daily_times: tuple[datetime.time, ...]
    timezone: str
    heightened_interval: datetime.timedelta | None = None
    is_heightened: bool = False
    paused_until: datetime.datetime | None = None

    def __post_init__(self) -> None:
        if self.kind == ScheduleKind.INTERVAL:
            if self.interval is None or self.interval <= datetime.timedelta(0):
                raise ValueError("an interval schedule needs a positive interval")
        elif self.kind == ScheduleKind.DAILY:
            if not self.daily_times:
                raise ValueError("a daily schedule needs at least one time")
        else:
            raise ValueError(f"unknown schedule kind {self.kind!r}")
        if self.is_heightened and (
            self.heightened_interval is None or self.heightened_interval <= datetime.timedelta(0)
        ):
            raise ValueError("heightened mode needs a positive heightened interval")
        if self.grace < datetime.timedelta(0):
            raise ValueError("grace cannot be negative")
        _require_aware(self.paused_until, "paused_until")


@dataclass(frozen=True)
class CheckinMove:
    """What a check-in does to the schedule: the deadline it answered and the next one."""

    answered: datetime.datetime | None
    next_deadline: datetime.datetime


def next_deadline(spec: ScheduleSpec, *, after: datetime.datetime) -> datetime.datetime:
    """Return the first deadline strictly after `after` (aware; the result is UTC).

    While paused (`after` before `paused_until`) the deadline counts from
    `paused_until`, so the schedule resumes by itself. In heightened mode the
    heightened interval is used whenever it gives the earlier deadline.
    """
    _require_aware(after, "after")
    start = after.astimezone(UTC)
    if spec.paused_until is not None and start < spec.paused_until:
        start = spec.paused_until.astimezone(UTC)
    heightened = spec.heightened_interval if spec.is_heightened else None
    if spec.kind == ScheduleKind.INTERVAL:
        assert spec.interval is not None  # checked in ScheduleSpec
        # Heightened mode never lengthens the period, even if the normal interval was
        # later set shorter than the heightened one.
        return start + min(spec.interval, heightened or spec.interval)
    deadline = _next_daily_time(spec.daily_times, spec.timezone, start)
    if heightened is not None:
        deadline = min(deadline, start + heightened)
    return deadline


def after_checkin(
    spec: ScheduleSpec, *, pending: datetime.datetime | None, now: datetime.datetime
) -> CheckinMove:
    """Return the deadline a check-in at `now` answers (None if none) and the next one.

    An interval schedule restarts from the check-in. A daily schedule's time is a
    deadline to check in by: a check-in within the due-soon window before it, or any
    time after it, answers it and the next deadline is the following time (so a
    check-in at 08:50 for 09:00 is not asked again at 09:00). An earlier check-in is
    recorded but leaves the deadline where it is, so two check-ins in a row never
    skip a day, and a check-in never brings a daily deadline forward.
    """
    _require_aware(now, "now")
    if pending is None:
        return CheckinMove(None, next_deadline(spec, after=now))
    if spec.kind == ScheduleKind.DAILY and now >= pending - due_soon_window(spec):
        deadline = next_deadline(spec, after=max(now, pending))
    else:
        deadline = next_deadline(spec, after=now)
        if spec.kind == ScheduleKind.DAILY:
            deadline = max(deadline, pending)
    return CheckinMove(pending if deadline != pending else None, deadline)


def due_soon_window(spec: ScheduleSpec) -> datetime.timedelta:
    """Return how long before a deadline the state is "due soon": DUE_SOON or a quarter
    of the shortest period of the schedule, whichever is shorter."""
    return min(DUE_SOON, _shortest_period(spec) / 4)


def overdue_at(next_deadline: datetime.datetime, grace: datetime.timedelta) -> datetime.datetime:
    """Return the moment a deadline becomes a missed check-in: the deadline plus grace."""
    return next_deadline + grace


def state_at(
    spec: ScheduleSpec, *, next_deadline: datetime.datetime, now: datetime.datetime
) -> ScheduleState:
    """Return the state at `now`: paused, ok, due soon, late (in grace) or missed.

    Boundaries belong to the later state: at the deadline it is late, at deadline plus
    grace it is missed (as the worker's `overdue_at <= now` query sees it).
    """
    _require_aware(now, "now")
    if spec.paused_until is not None and now < spec.paused_until:
        return ScheduleState.PAUSED
    if now < next_deadline - due_soon_window(spec):
        return ScheduleState.OK
    if now < next_deadline:
        return ScheduleState.DUE_SOON
    if now < overdue_at(next_deadline, spec.grace):
        return ScheduleState.LATE
    return ScheduleState.MISSED


def _shortest_period(spec: ScheduleSpec) -> datetime.timedelta:
    if spec.kind == ScheduleKind.INTERVAL:
        assert spec.interval is not None
        period = spec.interval
    else:
        # Wall-clock gaps between consecutive times, around the clock; a DST day
        # stretches or shrinks one gap by an hour, which this rule can ignore.
        minutes = sorted({t.hour * 60 + t.minute for t in spec.daily_times})
        gaps = [b - a for a, b in itertools.pairwise(minutes)]
        gaps.append(minutes[0] + 24 * 60 - minutes[-1])
        period = datetime.timedelta(minutes=min(gaps))
    if spec.is_heightened and spec.heightened_interval is not None:
        period = min(period, spec.heightened_interval)
    return period


def _next_daily_time(
    times: tuple[datetime.time, ...], zone_name: str, after: datetime.datetime
) -> datetime.datetime:
    zone = ZoneInfo(zone_name)
    local = after.astimezone(zone)
    best: datetime.datetime | None = None
    for expression in _cron_expressions(times):
        # cronsim works on local wall time for 5-field expressions with a fixed minute
        # and hour, resolving a missing time to the end of the gap and a repeated one
        # to its first occurrence (fold=0). Starting from a wall time that repeats, it
        # can return an instant at or before `after`; those are skipped.
        for candidate in CronSim(expression, local):
            instant = candidate.astimezone(UTC)
            if instant > after:
                break
        if best is None or instant < best:
            best = instant
    assert best is not None
    return best


@lru_cache(maxsize=1024)
def _cron_expressions(times: tuple[datetime.time, ...]) -> tuple[str, ...]:
    """Return one cron expression per distinct minute, listing that minute's hours."""
    hours_by_minute: dict[int, set[int]] = {}
    for moment in times:
        hours_by_minute.setdefault(moment.minute, set()).add(moment.hour)
    return tuple(
        f"{minute} {','.join(str(h) for h in sorted(hours))} * * *"
        for minute, hours in sorted(hours_by_minute.items())
    )


def _require_aware(moment: datetime.datetime | None, name: str) -> None:
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
        raise ValueError(f"{name} must be an aware datetime")
