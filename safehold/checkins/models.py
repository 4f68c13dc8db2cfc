"""Check-in schedules, the secrets a person checks in with, and the check-in record.

Change these rows only through `safehold.checkins.actions` (coordinators) and
`safehold.checkins.service` (the person checking in); the alerts worker sets only the
fields named for it (`alerted_deadline`, `attack_alerted_at`, `processed_at`).
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from functools import cache
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from safehold.checkins.disguises import DisguiseKind, PageLanguage
from safehold.checkins.schedule_math import ScheduleKind, ScheduleSpec, ScheduleState, state_at
from safehold.lib.ids import new_id

DEFAULT_TIMEZONE = "Europe/Moscow"
_DAILY_TIME = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    """Raise ValidationError unless `value` names an IANA time zone."""
    if value not in _known_zones():
        raise ValidationError(_("Choose a time zone from the list."), code="timezone")


def parse_daily_time(value: str) -> datetime.time:
    """Return the time in an "HH:MM" string; raise ValueError for anything else."""
    if not isinstance(value, str) or not _DAILY_TIME.fullmatch(value):
        raise ValueError("not an HH:MM time")
    return datetime.time(int(value[:2]), int(value[3:]))


class ScheduleQuerySet(models.QuerySet["Schedule"]):
    def missed(self, now: datetime.datetime) -> ScheduleQuerySet:
        """Schedules whose deadline plus grace has passed and that no alert covers yet.

        One range scan of the `overdue_at` index; a paused schedule's deadline already
        lies after its pause, so it never appears here.
        """
        return self.filter(overdue_at__lte=now).exclude(alerted_deadline=models.F("next_deadline"))


class Schedule(models.Model):
    """When one person must check in, and the deadline that follows from it.

    `next_deadline` and `overdue_at` (deadline plus grace) are stored and indexed
    whenever a check-in or a coordinator changes them, so the worker finds every
    missed check-in with one range query, whatever the number of schedules.

    Times, zone and deadlines are stored in the clear: the worker and the check-in
    path need them without a key, they identify nobody, and a time zone narrows a
    person down no further than a region, which Safehold keeps plain anyway (safe-house
    city and region). The person is reached only through its random id.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    person = models.OneToOneField("cases.Person", on_delete=models.CASCADE, related_name="schedule")
    kind = models.CharField(_("kind"), max_length=10, choices=ScheduleKind.choices)
    interval_minutes = models.PositiveIntegerField(_("interval (minutes)"), null=True, blank=True)
    # "HH:MM" strings in the person's time zone, sorted.
    daily_times = models.JSONField(_("daily times"), default=list, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default=DEFAULT_TIMEZONE, validators=[validate_timezone]
    )
    grace_minutes = models.PositiveIntegerField(_("grace (minutes)"), default=30)
    is_heightened = models.BooleanField(_("heightened"), default=False)
    heightened_interval_minutes = models.PositiveIntegerField(
        _("heightened interval (minutes)"), null=True, blank=True
    )
    paused_until = models.DateTimeField(_("paused until"), null=True, blank=True)
    last_checkin_at = models.DateTimeField(null=True, blank=True)
    next_deadline = models.DateTimeField(db_index=True)
    overdue_at = models.DateTimeField(db_index=True)
    # The deadline a missed-check-in alert was opened for (set by the alerts worker);
    # equal to next_deadline while that alert covers the current deadline.
    alerted_deadline = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(default=dj_timezone.now)

    objects: ClassVar[ScheduleQuerySet] = ScheduleQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("check-in schedule")
        verbose_name_plural = _("check-in schedules")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind=ScheduleKind.INTERVAL)
                | models.Q(interval_minutes__isnull=False),
                name="checkin_interval_schedule_has_interval",
            ),
            models.CheckConstraint(
                condition=models.Q(overdue_at__gte=models.F("next_deadline")),
                name="checkin_overdue_not_before_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"schedule {self.pk}"

    def state_at(self, now: datetime.datetime) -> ScheduleState:
        """Return the person's check-in state at `now` (ok, due soon, late, missed, paused)."""
        return state_at(self.spec(), next_deadline=self.next_deadline, now=now)

    def spec(self) -> ScheduleSpec:
        """Return the schedule as the pure maths sees it."""
        return schedule_spec(
            kind=self.kind,
            interval_minutes=self.interval_minutes,
            grace_minutes=self.grace_minutes,
            daily_times=self.daily_times,
            timezone=self.timezone,
            heightened_interval_minutes=self.heightened_interval_minutes,
            is_heightened=self.is_heightened,
            paused_until=self.paused_until,
        )


def schedule_spec(
    *,
    kind: str,
    interval_minutes: int | None,
    grace_minutes: int,
    daily_times: list[str],
    timezone: str,
    heightened_interval_minutes: int | None,
    is_heightened: bool,
    paused_until: datetime.datetime | None,
) -> ScheduleSpec:
    """Return the maths' view of a schedule's stored fields (also read as plain values,
    where thousands of schedules are shown at once); raise ValueError if inconsistent."""
    return ScheduleSpec(
        kind=kind,
        interval=_minutes(interval_minutes),
        grace=datetime.timedelta(minutes=grace_minutes),
        daily_times=tuple(parse_daily_time(t) for t in daily_times),
        timezone=timezone,
        heightened_interval=_minutes(heightened_interval_minutes),
        is_heightened=is_heightened,
        paused_until=paused_until,
    )


def _minutes(value: int | None) -> datetime.timedelta | None:
    return None if value is None else datetime.timedelta(minutes=value)


class CheckinSecretQuerySet(models.QuerySet["CheckinSecret"]):
    def unalerted_attacks(self) -> CheckinSecretQuerySet:
        """Secrets flagged for a run of wrong PINs that no alert covers yet."""
        return self.filter(attack_flagged_at__isnull=False, attack_alerted_at__isnull=True)


class CheckinSecret(models.Model):
    """How one person proves a check-in: a personal link and two PINs, and how the
    page behind the link looks (its disguise and language).

    None of them is stored. The link is found by its keyed digest (the token is shown
    once when issued). Each PIN is an HMAC-SHA256 over the person's id and the PIN,
    under a key wrapped by the master key, so a stolen database cannot test guesses
    offline (docs/engine.md says why not a slow hash). `failures`, `not_before` and
    `attack_flagged_at` carry the slow-down and the "possible coercion" flag; the
    alerts worker raises an alert for a flag and sets `attack_alerted_at`.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    person = models.OneToOneField(
        "cases.Person", on_delete=models.CASCADE, related_name="checkin_secret"
    )
    # NULL, not "", until a link is issued: unique allows many NULLs but one "".
    link_index = models.CharField(  # noqa: DJ001
        max_length=64, unique=True, null=True, editable=False
    )
    pin_digest = models.CharField(max_length=64, blank=True, editable=False)
    duress_digest = models.CharField(max_length=64, blank=True, editable=False)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    attack_flagged_at = models.DateTimeField(null=True, blank=True)
    attack_alerted_at = models.DateTimeField(null=True, blank=True)
    # For a check-in by SMS that never texts the whole PIN: keyed digests of every pair
    # of PIN digits by position ("2,4" -> [normal, duress]), and the pair asked for now.
    pair_digests = models.JSONField(default=dict, blank=True, editable=False)
    challenge = models.CharField(max_length=5, blank=True)
    # Channels the person has checked in by ("web,sms"): a check-in by any other is
    # recorded as unusual, and the worker raises a silent alert for it.
    known_channels = models.CharField(max_length=60, blank=True)
    # How the personal page looks (see `checkins.disguises`). Not secret: the page
    # itself shows it to whoever holds the link; plain so the page needs no key.
    disguise = models.CharField(
        _("disguise"), max_length=20, choices=DisguiseKind.choices, default=DisguiseKind.NOTES
    )
    page_language = models.CharField(
        _("page language"),
        max_length=10,
        choices=PageLanguage.choices,
        default=PageLanguage.BROWSER,
    )
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(default=dj_timezone.now)

    objects: ClassVar[CheckinSecretQuerySet] = CheckinSecretQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        indexes = [
            models.Index(
                fields=["attack_flagged_at"],
                condition=models.Q(attack_flagged_at__isnull=False, attack_alerted_at__isnull=True),
                name="checkin_unalerted_attack",
            )
        ]

    def __str__(self) -> str:
        return f"check-in secret {self.pk}"


class Channel(models.TextChoices):
    WEB = "web", _("Web page")
    API = "api", _("API")
    SMS = "sms", _("SMS")
    TELEGRAM = "telegram", _("Telegram")


class Outcome(models.TextChoices):
    OK = "ok", _("OK")
    DURESS = "duress", _("Duress")
    WRONG_PIN = "wrong_pin", _("Wrong PIN")


AWAITING_ALERT = models.Q(processed_at__isnull=True) & (
    models.Q(outcome="duress") | models.Q(is_unusual=True)
)


class CheckinQuerySet(models.QuerySet["Checkin"]):
    def awaiting_alert(self) -> CheckinQuerySet:
        """Duress and unusual check-ins the alerts worker has not yet raised an alert for."""
        return self.filter(AWAITING_ALERT)

    def unprocessed_duress(self) -> CheckinQuerySet:
        """Duress check-ins the alerts worker has not yet raised an alert for."""
        return self.filter(outcome=Outcome.DURESS, processed_at__isnull=True)


class Checkin(models.Model):
    """One check-in attempt whose PIN was checked (slowed-down attempts leave no row):
    its channel, outcome and the deadline it answered. Never edited, except
    `processed_at`, which the alerts worker sets once it raised the duress alert."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    person = models.ForeignKey("cases.Person", on_delete=models.CASCADE, related_name="checkins")
    at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # The client's id for this attempt: a repeat of it changes nothing.
    request_id = models.CharField(max_length=64)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    deadline_met = models.DateTimeField(null=True, blank=True)
    # The deadline this check-in set, so a replay can answer exactly like the first.
    next_deadline = models.DateTimeField(null=True, blank=True)
    # Accepted by a channel this person had never used: a captor may be holding
    # another phone, or be in a place the person is not.
    is_unusual = models.BooleanField(default=False)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[CheckinQuerySet] = CheckinQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "request_id"], name="checkin_request_once_per_person"
            )
        ]
        indexes = [
            # Just the few rows the alerts worker still has to act on; the condition is
            # the one awaiting_alert() filters by, so both databases use the index.
            models.Index(
                fields=["at"],
                condition=AWAITING_ALERT,
                name="checkin_awaiting_alert",
            ),
        ]

    def __str__(self) -> str:
        return f"check-in {self.pk}"
