"""What coordinators change about check-ins: one transaction and one audit entry each.

Callers fetch the person through `safehold.cases.gatekeepers` first; these functions
trust that the actor was allowed. Audit details hold ids, field names and dates only:
never a PIN or a link token.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from safehold.accounts.models import Member
from safehold.audit.chain import record
from safehold.cases.models import Person
from safehold.checkins.disguises import DisguiseKind, PageLanguage
from safehold.checkins.models import (
    DEFAULT_TIMEZONE,
    CheckinSecret,
    Schedule,
    parse_daily_time,
    validate_timezone,
)
from safehold.checkins.schedule_math import ScheduleKind, ScheduleSpec, next_deadline, overdue_at
from safehold.checkins.service import link_digest, pair_digest, pair_key, pin_digest
from safehold.crypto.envelope import random_token

MIN_INTERVAL_MINUTES = 5
MAX_INTERVAL_MINUTES = 7 * 24 * 60
MAX_GRACE_MINUTES = 24 * 60
MAX_DAILY_TIMES = 24
_PIN = re.compile(r"[0-9]{4,8}")


@transaction.atomic
def set_schedule(
    person: Person,
    *,
    actor: Member | None,
    kind: str,
    interval_minutes: int | None = None,
    daily_times: Sequence[str] = (),
    timezone: str = DEFAULT_TIMEZONE,
    grace_minutes: int = 30,
    now: datetime.datetime,
) -> Schedule:
    """Create or change the person's schedule and recompute the deadline; return it.

    Heightened mode and a pause carry over. Raise ValidationError on bad input.
    """
    values = _clean_schedule(kind, interval_minutes, daily_times, timezone, grace_minutes)
    schedule = _locked_schedule(person)
    is_new = schedule is None
    if schedule is None:
        schedule = Schedule(person=person, created_at=now)
    changed = sorted(name for name, value in values.items() if getattr(schedule, name) != value)
    for name, value in values.items():
        setattr(schedule, name, value)
    _move_deadline(schedule, now)
    if is_new:
        schedule.save(force_insert=True)
    else:
        schedule.save()
    record(
        "checkin.schedule_set",
        actor=actor,
        target=person,
        details={"schedule": str(schedule.pk), "created": is_new, "fields": changed},
    )
    return schedule


@transaction.atomic
def set_pins(person: Person, *, actor: Member | None, pin: str, duress_pin: str) -> None:
    """Set the person's normal and duress PINs (4 to 8 digits, different from each other).

    Wrong-PIN slow-down starts afresh. Raise ValidationError on bad input.
    """
    errors: dict[str, str] = {}
    if not _is_pin(pin):
        errors["pin"] = _("A PIN has 4 to 8 digits.")
    if not _is_pin(duress_pin):
        errors["duress_pin"] = _("A PIN has 4 to 8 digits.")
    if not errors and pin == duress_pin:
        errors["duress_pin"] = _("The duress PIN must differ from the normal PIN.")
    if errors:
        raise ValidationError(errors)
    secret = _locked_secret(person)
    secret.pin_digest = pin_digest(person.pk, pin)
    secret.duress_digest = pin_digest(person.pk, duress_pin)
    # Positions both PINs have, so a challenge never reveals which one is shorter.
    length = min(len(pin), len(duress_pin))
    secret.pair_digests = {
        pair_key(first, second): [
            pair_digest(person.pk, first, second, pin),
            pair_digest(person.pk, first, second, duress_pin),
        ]
        for first, second in itertools.combinations(range(1, length + 1), 2)
    }
    secret.challenge = ""
    secret.failures = 0
    secret.not_before = None
    secret.updated_at = dj_timezone.now()
    secret.save()
    record("checkin.pins_set", actor=actor, target=person, details={"secret": str(secret.pk)})


@transaction.atomic
def issue_link(person: Person, *, actor: Member | None) -> str:
    """Return a new personal check-in link token, shown this once; the old link stops working."""
    secret = _locked_secret(person)
    replaced = secret.link_index is not None
    token = random_token()
    secret.link_index = link_digest(token)
    secret.updated_at = dj_timezone.now()
    secret.save()
    record(
        "checkin.link_issued",
        actor=actor,
        target=person,
        details={"secret": str(secret.pk), "replaced": replaced},
    )
    return token


@transaction.atomic
def set_disguise(
    person: Person, *, actor: Member | None, disguise: str, page_language: str
) -> CheckinSecret:
    """Choose how the person's page looks and which language it speaks; return the secret.

    Raise ValidationError naming each choice that is not in the catalogue. The link and
    PINs are untouched: a person keeps the same link under a new disguise.
    """
    errors: dict[str, str] = {}
    if disguise not in DisguiseKind.values:
        errors["disguise"] = _("Choose one of the listed disguises.")
    if page_language not in PageLanguage.values:
        errors["page_language"] = _("Choose one of the listed languages.")
    if errors:
        raise ValidationError(errors)
    secret = _locked_secret(person)
    changed = sorted(
        name
        for name, value in (("disguise", disguise), ("page_language", page_language))
        if getattr(secret, name) != value
    )
    secret.disguise = disguise
    secret.page_language = page_language
    secret.updated_at = dj_timezone.now()
    secret.save(update_fields=["disguise", "page_language", "updated_at"])
    # The choices are not secret (the page shows them), and they help a reviewer
    # tell which page the person was taught to use.
    record(
        "checkin.disguise_set",
        actor=actor,
        target=person,
        details={
            "secret": str(secret.pk),
            "disguise": disguise,
            "page_language": page_language,
            "fields": changed,
        },
    )
    return secret


@transaction.atomic
def pause(
    person: Person, *, actor: Member | None, until: datetime.datetime, now: datetime.datetime
) -> Schedule:
    """Pause the schedule until `until` (e.g. travel without signal); it resumes by itself.

    The next deadline counts from `until`. Raise ValidationError if `until` is not later
    than `now` or the person has no schedule.
    """
    if until.tzinfo is None or until <= now:
        raise ValidationError({"until": _("The pause must end in the future.")})
    schedule = _require_schedule(person)
    schedule.paused_until = until
    _move_deadline(schedule, now)
    schedule.save()
    record(
        "checkin.paused",
        actor=actor,
        target=person,
        details={"schedule": str(schedule.pk), "until": until.isoformat()},
    )
    return schedule


@transaction.atomic
def resume(person: Person, *, actor: Member | None, now: datetime.datetime) -> Schedule:
    """End a pause now. Raise ValidationError if the schedule is not paused."""
    schedule = _require_schedule(person)
    if schedule.paused_until is None or schedule.paused_until <= now:
        raise ValidationError(_("The schedule is not paused."))
    schedule.paused_until = None
    _move_deadline(schedule, now)
    schedule.save()
    record("checkin.resumed", actor=actor, target=person, details={"schedule": str(schedule.pk)})
    return schedule


@transaction.atomic
def set_heightened(
    person: Person,
    *,
    actor: Member | None,
    on: bool,
    interval_minutes: int | None,
    now: datetime.datetime,
) -> Schedule:
    """Switch heightened mode (a shorter period) on or off and recompute the deadline.

    Switching on without `interval_minutes` reuses the last heightened interval. Raise
    ValidationError when no interval is known, it is out of range, or (for an interval
    schedule) it is not shorter than the normal interval.
    """
    schedule = _require_schedule(person)
    minutes = interval_minutes
    if on and minutes is None:
        minutes = schedule.heightened_interval_minutes
        if minutes is None:
            raise ValidationError({"interval_minutes": _("Choose the heightened interval.")})
    if minutes is not None:
        _check_heightened_interval(schedule, minutes)
        schedule.heightened_interval_minutes = minutes
    schedule.is_heightened = on
    _move_deadline(schedule, now)
    schedule.save()
    record(
        "checkin.heightened_on" if on else "checkin.heightened_off",
        actor=actor,
        target=person,
        details={"schedule": str(schedule.pk), "interval_minutes": minutes},
    )
    return schedule


def _clean_schedule(
    kind: str,
    interval_minutes: int | None,
    daily_times: Sequence[str],
    timezone: str,
    grace_minutes: int,
) -> dict[str, Any]:
    """Return the schedule's field values, or raise ValidationError naming each bad one."""
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {"kind": kind, "timezone": timezone, "grace_minutes": grace_minutes}
    if kind == ScheduleKind.INTERVAL:
        if not _is_minutes(interval_minutes, MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES):
            errors["interval_minutes"] = _("The interval must be between 5 minutes and 7 days.")
        values.update(interval_minutes=interval_minutes, daily_times=[])
    elif kind == ScheduleKind.DAILY:
        times = _clean_daily_times(daily_times, errors)
        values.update(interval_minutes=None, daily_times=times)
    else:
        errors["kind"] = _("Choose interval or daily check-ins.")
    try:
        validate_timezone(timezone)
    except ValidationError as bad:
        errors["timezone"] = bad.messages
    if not _is_minutes(grace_minutes, 0, MAX_GRACE_MINUTES):
        errors["grace_minutes"] = _("The grace period must be between 0 minutes and 24 hours.")
    if errors:
        raise ValidationError(errors)
    return values


def _clean_daily_times(daily_times: Sequence[str], errors: dict[str, Any]) -> list[str]:
    if isinstance(daily_times, str):
        daily_times = [daily_times]
    try:
        times = sorted({parse_daily_time(value) for value in daily_times})
    except (ValueError, TypeError):
        errors["daily_times"] = _("Write each time of day as HH:MM, for example 09:00.")
        return []
    if not times:
        errors["daily_times"] = _("Give at least one time of day.")
    elif len(times) > MAX_DAILY_TIMES:
        errors["daily_times"] = _("Give at most 24 times of day.")
    return [t.strftime("%H:%M") for t in times]


def _check_heightened_interval(schedule: Schedule, minutes: int) -> None:
    if not _is_minutes(minutes, MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES):
        raise ValidationError(
            {"interval_minutes": _("The heightened interval must be between 5 minutes and 7 days.")}
        )
    if schedule.kind == ScheduleKind.INTERVAL and minutes >= (schedule.interval_minutes or 0):
        raise ValidationError(
            {
                "interval_minutes": _(
                    "The heightened interval must be shorter than the normal interval."
                )
            }
        )


def _move_deadline(schedule: Schedule, now: datetime.datetime) -> None:
    """Recompute the deadline of a schedule whose settings just changed.

    It counts from the last check-in when that still lies ahead (a coordinator's edit
    must not hand out extra time, nor shorten time already granted below a fresh
    period), otherwise from now; a pause counts from its end.
    """
    spec = schedule.spec()
    deadline = _deadline_from(spec, last_checkin_at=schedule.last_checkin_at, now=now)
    schedule.next_deadline = deadline
    schedule.overdue_at = overdue_at(deadline, spec.grace)
    schedule.updated_at = now


def _deadline_from(
    spec: ScheduleSpec, *, last_checkin_at: datetime.datetime | None, now: datetime.datetime
) -> datetime.datetime:
    deadline = next_deadline(spec, after=now)
    if last_checkin_at is not None:
        from_last = next_deadline(spec, after=last_checkin_at)
        if from_last > now:
            deadline = min(deadline, from_last)
    return deadline


def _locked_schedule(person: Person) -> Schedule | None:
    return Schedule.objects.select_for_update().filter(person=person).first()


def _require_schedule(person: Person) -> Schedule:
    schedule = _locked_schedule(person)
    if schedule is None:
        raise ValidationError(_("Set a check-in schedule first."))
    return schedule


def _locked_secret(person: Person) -> CheckinSecret:
    secret = CheckinSecret.objects.select_for_update().filter(person=person).first()
    return secret if secret is not None else CheckinSecret.objects.create(person=person)


def _is_pin(value: object) -> bool:
    return isinstance(value, str) and _PIN.fullmatch(value) is not None


def _is_minutes(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
