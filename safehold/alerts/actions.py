"""Opening, escalating, acknowledging and resolving alerts.

Opening an alert runs its first step at once: the alert and its notifications are
written in one transaction, and the worker delivers them. Batches are written with a
few statements whatever their size, so a burst of missed check-ins is not a queue of
single inserts.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from safehold.accounts.models import Member, Organisation
from safehold.alerts.ladder import (
    DEFAULT_LADDER,
    DEFAULT_REPEAT_FROM,
    INTAKE_LADDER,
    INTAKE_REPEAT_FROM,
    PANIC_LADDER,
    PANIC_REPEAT_FROM,
    Climb,
    Route,
    Rung,
    Target,
    next_climb,
)
from safehold.alerts.models import (
    Alert,
    AlertKind,
    AlertState,
    Channel,
    EscalationPolicy,
    Notification,
    NotificationStatus,
    Purpose,
    Resolution,
    Severity,
)
from safehold.alerts.targets import Subject, resolve_targets
from safehold.audit.chain import record
from safehold.cases.models import Person
from safehold.checkins.models import Schedule
from safehold.lib.rows import as_uuid, db_time, hex_id, insert_many, new_hex_ids
from safehold.shelters.models import Placement

# No 0/O, 1/I/L or U/V: read aloud and typed on a phone keypad without mistakes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
# 29^7 is 17 billion codes: a burst of 100,000 open alerts rarely draws one twice.
CODE_LENGTH = 7
# Random bytes map onto the alphabet without bias: bytes past the last whole multiple
# of its length are dropped before the mapping.
_CODE_USABLE = 256 - 256 % len(CODE_ALPHABET)
_CODE_TABLE = bytes(ord(CODE_ALPHABET[b % len(CODE_ALPHABET)]) for b in range(256))
_CODE_DROPPED = bytes(range(_CODE_USABLE, 256))

SEVERITY_OF: dict[str, str] = {
    AlertKind.MISSED_CHECKIN: Severity.HIGH.value,
    AlertKind.DURESS: Severity.CRITICAL.value,
    AlertKind.PIN_ATTACK: Severity.CRITICAL.value,
    AlertKind.PANIC: Severity.CRITICAL.value,
    AlertKind.MANUAL: Severity.HIGH.value,
    AlertKind.INTAKE: Severity.HIGH.value,
    AlertKind.UNUSUAL: Severity.HIGH.value,
    AlertKind.TASK_OVERDUE: Severity.HIGH.value,
    AlertKind.DISPATCH: Severity.CRITICAL.value,
    AlertKind.DISPATCH_UNANSWERED: Severity.CRITICAL.value,
}
ROUTED_KINDS = frozenset(
    {AlertKind.TASK_OVERDUE, AlertKind.DISPATCH, AlertKind.DISPATCH_UNANSWERED}
)

ALERT_FIELDS = (
    "id", "organisation", "person", "kind", "severity", "code", "state", "created_at",
    "step", "round", "next_step_at", "source_checkin", "missed_deadline", "resolution",
)  # fmt: skip
NOTIFICATION_FIELDS = (
    "id", "alert", "member", "purpose", "step", "round", "status", "channel_index",
    "fixed_channel", "failures_on_channel", "attempts", "next_attempt_at", "idempotency_key",
    "created_at", "last_error",
)  # fmt: skip


def new_codes(count: int) -> list[str]:
    """Return `count` distinct random alert codes."""
    codes: dict[str, None] = {}
    while len(codes) < count:
        needed = (count - len(codes)) * CODE_LENGTH
        drawn = os.urandom(needed + needed // 8 + 16).translate(_CODE_TABLE, _CODE_DROPPED)
        for start in range(0, len(drawn) - CODE_LENGTH + 1, CODE_LENGTH):
            codes[drawn[start : start + CODE_LENGTH].decode("ascii")] = None
            if len(codes) == count:
                break
    return list(codes)


@dataclass(frozen=True)
class NewAlert:
    """What the worker or a coordinator knows when an alert must open."""

    subject: Subject
    kind: str
    source_checkin_id: uuid.UUID | str | None = None
    missed_deadline: datetime.datetime | None = None


def ladder_for(compartment_id: uuid.UUID) -> tuple[tuple[Rung, ...], int]:
    """Return the rungs and repeat step of a compartment's policy, or the default."""
    policy = (
        EscalationPolicy.objects.filter(compartment_id=compartment_id)
        .prefetch_related("steps")
        .first()
    )
    if policy is None or not policy.steps.all():
        return DEFAULT_LADDER, DEFAULT_REPEAT_FROM
    rungs = tuple(
        Rung(
            step.position,
            datetime.timedelta(minutes=step.wait_minutes),
            tuple(Target.from_json(t) for t in step.targets),
        )
        for step in policy.steps.all()
    )
    return rungs, policy.repeat_from


class _Batch:
    """Ladders and resolved targets, remembered for the length of one batch.

    Who a step tells depends only on the compartment, the coordinator and the moment,
    so a burst of alerts in one compartment resolves each step once.
    """

    def __init__(self, now: datetime.datetime) -> None:
        self.now = now
        self._ladders: dict[uuid.UUID, tuple[tuple[Rung, ...], int]] = {}
        self._members: dict[tuple[object, ...], list[str]] = {}
        self._climbs: dict[tuple[object, ...], tuple[Climb, list[str]]] = {}
        self._times: dict[datetime.datetime, object] = {}

    def db_time(self, value: datetime.datetime) -> object:
        # Most alerts of a batch share their next step's moment: convert it once.
        if value not in self._times:
            self._times[value] = db_time(value)
        return self._times[value]

    def ladder(self, compartment_id: uuid.UUID) -> tuple[tuple[Rung, ...], int]:
        if compartment_id not in self._ladders:
            self._ladders[compartment_id] = ladder_for(compartment_id)
        return self._ladders[compartment_id]

    def member_ids(self, rung: Rung, subject: Subject, kind: str) -> list[str]:
        key = (
            subject.organisation_id,
            subject.compartment_id,
            subject.coordinator_id,
            # A panic also calls the person's own trusted responders.
            subject.person_id if kind == AlertKind.PANIC else None,
            rung.position,
            rung.targets,
        )
        if key not in self._members:
            members = resolve_targets(rung.targets, subject, self.now)
            self._members[key] = [member.pk.hex for member in members]
        return self._members[key]

    def _ladder_for(self, kind: str, subject: Subject) -> tuple[tuple[Rung, ...], int]:
        if kind == AlertKind.PANIC:
            return PANIC_LADDER, PANIC_REPEAT_FROM
        if kind == AlertKind.INTAKE:
            return INTAKE_LADDER, INTAKE_REPEAT_FROM
        return self.ladder(subject.compartment_id)

    def climb(
        self, subject: Subject, kind: str, *, done_step: int, done_round: int
    ) -> tuple[Climb, list[str]]:
        """Return the next rung after (done_step, done_round) and the ids of whom it tells."""
        is_panic = kind == AlertKind.PANIC
        key = (
            subject.organisation_id,
            subject.compartment_id,
            subject.coordinator_id,
            subject.person_id if is_panic else None,
            kind if kind in (AlertKind.PANIC, AlertKind.INTAKE) else None,
            done_step,
            done_round,
        )
        if key not in self._climbs:
            rungs, repeat_from = self._ladder_for(kind, subject)
            climb = next_climb(
                rungs,
                repeat_from=repeat_from,
                done_step=done_step,
                done_round=done_round,
                now=self.now,
            )
            self._climbs[key] = (climb, self.member_ids(climb.rung, subject, kind))
        return self._climbs[key]


class _Outbox:
    """Notification rows to insert, built as tuples (see safehold.lib.rows)."""

    def __init__(self, now: datetime.datetime) -> None:
        self.now = db_time(now)
        # (alert, member, purpose, step, round, channel index, fixed to that channel)
        self.wanted: list[tuple[str, str, str, int, int, int, bool]] = []
        self._every_channel: list[int] = []  # indexes into `wanted` to spread per channel

    def add(
        self,
        alert_id: str,
        member_ids: Sequence[str],
        purpose: str,
        step: int,
        rnd: int,
        *,
        every_channel: bool = False,
    ) -> None:
        for member_id in member_ids:
            if every_channel:
                self._every_channel.append(len(self.wanted))
            self.wanted.append((alert_id, member_id, purpose, step, rnd, 0, every_channel))

    def _spread_over_channels(self) -> list[tuple[str, str, str, int, int, int, bool]]:
        """One notification per active channel for those that go to every channel."""
        if not self._every_channel:
            return self.wanted
        members = {self.wanted[i][1] for i in self._every_channel}
        counts = dict(
            Channel.objects.filter(member_id__in=[as_uuid(m) for m in members], is_active=True)
            .values("member_id")
            .annotate(n=Count("id"))
            .values_list("member_id", "n")
        )
        spread = set(self._every_channel)
        rows = []
        for index, wanted in enumerate(self.wanted):
            if index not in spread:
                rows.append(wanted)
                continue
            # A member without channels still gets one, which fails where coordinators see.
            for channel_index in range(max(counts.get(as_uuid(wanted[1]), 0), 1)):
                rows.append((*wanted[:5], channel_index, True))
        return rows

    def write(self) -> int:
        pending, now = NotificationStatus.PENDING.value, self.now
        wanted = self._spread_over_channels()
        rows = [
            (id_, alert_id, member_id, purpose, step, rnd, pending, channel_index, fixed, 0,
             0, now, f"sh-{id_}", now, "")
            for id_, (alert_id, member_id, purpose, step, rnd, channel_index, fixed) in zip(
                new_hex_ids(len(wanted)), wanted, strict=True
            )
        ]  # fmt: skip
        insert_many(Notification, NOTIFICATION_FIELDS, rows)
        return len(rows)


@transaction.atomic
def open_alerts(
    new_alerts: Sequence[NewAlert], *, now: datetime.datetime, actor: Member | None = None
) -> list[str]:
    """Open alerts and run their first step; return their ids (hex).

    One transaction and a few statements per batch, whatever its size.
    """
    if not new_alerts:
        return []
    batch, outbox = _Batch(now), _Outbox(now)
    db_now, opened = db_time(now), AlertState.OPEN.value
    alert_ids = new_hex_ids(len(new_alerts))
    rows: list[list[object]] = []
    for new, alert_id in zip(new_alerts, alert_ids, strict=True):
        climb, member_ids = batch.climb(new.subject, new.kind, done_step=0, done_round=1)
        subject, person_id = new.subject, new.subject.person_id
        assert person_id is not None  # only routed alerts go without a person
        source = hex_id(new.source_checkin_id) if new.source_checkin_id else None
        rows.append(
            [
                alert_id, subject.organisation_id.hex, hex_id(person_id), new.kind,
                SEVERITY_OF[new.kind], None, opened, db_now, climb.rung.position, climb.round,
                batch.db_time(climb.next_step_at), source,
                db_time(new.missed_deadline), "",
            ]
        )  # fmt: skip
        outbox.add(
            alert_id, member_ids, Purpose.ALERT.value, climb.rung.position, climb.round,
            every_channel=new.kind == AlertKind.PANIC,
        )  # fmt: skip
    _insert_alerts(rows)
    outbox.write()
    by_organisation: dict[uuid.UUID, list[str]] = defaultdict(list)
    kinds: dict[uuid.UUID, set[str]] = defaultdict(set)
    for new, alert_id in zip(new_alerts, alert_ids, strict=True):
        by_organisation[new.subject.organisation_id].append(alert_id)
        kinds[new.subject.organisation_id].add(new.kind)
    for organisation_id, ids in by_organisation.items():
        record(
            "alerts.opened",
            actor=actor,
            target=Organisation(pk=organisation_id),
            details={
                "alerts": [str(uuid.UUID(a)) for a in ids],
                "kinds": sorted(kinds[organisation_id]),
            },
            organisation_id=organisation_id,
        )
    return alert_ids


def _insert_alerts(rows: list[list[object]], fields: tuple[str, ...] = ALERT_FIELDS) -> None:
    """Insert alert rows with fresh codes; on a clash with an older code, draw again."""
    code_column = fields.index("code")
    for _attempt in range(5):
        for row, code in zip(rows, new_codes(len(rows)), strict=True):
            row[code_column] = code
        try:
            with transaction.atomic():
                insert_many(Alert, fields, rows)
            return
        except IntegrityError:
            continue
    raise RuntimeError("could not draw unique alert codes")


@transaction.atomic
def open_alert(
    person: Person, kind: str, *, now: datetime.datetime | None = None, actor: Member | None = None
) -> Alert:
    """Open one alert (a coordinator's manual alert, say) and run its first step."""
    if kind not in AlertKind.values:
        raise ValidationError({"kind": _("Choose a kind of alert from the list.")})
    opened = open_alerts(
        [NewAlert(Subject.of(person), kind)], now=now or timezone.now(), actor=actor
    )
    return Alert.objects.get(pk=opened[0])


@dataclass(frozen=True)
class RoutedAlert:
    """Incident work for named members: see Alert.route."""

    organisation_id: uuid.UUID
    kind: str
    route: Route
    person: Person | None = None
    topic: str = ""


def _routed_climb(
    alert_route: Route,
    subject: Subject,
    *,
    done_step: int,
    done_round: int,
    now: datetime.datetime,
) -> tuple[Climb, list[str]]:
    climb = next_climb(
        alert_route.rungs,
        repeat_from=alert_route.repeat_from,
        done_step=done_step,
        done_round=done_round,
        now=now,
    )
    members = resolve_targets(climb.rung.targets, subject, now)
    return climb, [member.pk.hex for member in members]


def _routed_subject(
    organisation_id: uuid.UUID, person_id: uuid.UUID | str | None, route: Route
) -> Subject:
    # Named members only: the coordinator matters only when nobody named is reachable,
    # and then the compartment's coordinators are told (targets.fallback_members).
    return Subject(person_id, organisation_id, route.compartment_id, None)


@transaction.atomic
def open_routed_alert(
    new: RoutedAlert, *, now: datetime.datetime, actor: Member | None = None
) -> Alert:
    """Open an alert that follows its own route and run its first step."""
    if new.kind not in ROUTED_KINDS:
        raise ValueError(f"{new.kind} alerts follow the compartment's ladder")
    person_id = new.person.pk if new.person is not None else None
    climb, member_ids = _routed_climb(
        new.route,
        _routed_subject(new.organisation_id, person_id, new.route),
        done_step=0,
        done_round=1,
        now=now,
    )
    (alert_id,) = new_hex_ids(1)
    fields = (*ALERT_FIELDS, "topic", "route")
    _insert_alerts(
        [
            [
                alert_id, new.organisation_id.hex, hex_id(person_id) if person_id else None,
                new.kind, SEVERITY_OF[new.kind], None, AlertState.OPEN.value, db_time(now),
                climb.rung.position, climb.round, db_time(climb.next_step_at), None, None, "",
                new.topic[:60], json.dumps(new.route.to_json()),
            ]
        ],
        fields,
    )  # fmt: skip
    outbox = _Outbox(now)
    outbox.add(alert_id, member_ids, Purpose.ALERT.value, climb.rung.position, climb.round)
    outbox.write()
    alert = Alert.objects.get(pk=as_uuid(alert_id))
    record(
        "alerts.opened",
        actor=actor,
        target=alert,
        details={"alerts": [str(alert.pk)], "kinds": [new.kind]},
        organisation_id=new.organisation_id,
    )
    return alert


@transaction.atomic
def climb_ladders(alerts: Sequence[Alert], *, now: datetime.datetime) -> int:
    """Run the next step of each due open alert; return how many notifications it made."""
    batch, outbox = _Batch(now), _Outbox(now)
    for alert in alerts:
        if alert.route is not None:
            route = Route.from_json(alert.route)
            climb, member_ids = _routed_climb(
                route,
                _routed_subject(alert.organisation_id, alert.person_id, route),
                done_step=alert.step,
                done_round=alert.round,
                now=now,
            )
        else:
            assert alert.person is not None  # only routed alerts lack a person
            climb, member_ids = batch.climb(
                Subject.of(alert.person),
                alert.kind,
                done_step=alert.step,
                done_round=alert.round,
            )
        alert.step, alert.round = climb.rung.position, climb.round
        alert.next_step_at = climb.next_step_at
        outbox.add(
            alert.pk.hex, member_ids, Purpose.ALERT.value, alert.step, alert.round,
            every_channel=alert.kind == AlertKind.PANIC,
        )  # fmt: skip
    Alert.objects.bulk_update(alerts, ["step", "round", "next_step_at"], batch_size=500)
    return outbox.write()


def _cancel_pending(alert: Alert) -> None:
    alert.notifications.filter(purpose=Purpose.ALERT, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.CANCELLED
    )


@transaction.atomic
def acknowledge_alert(alert: Alert, *, actor: Member, via: str) -> bool:
    """Stop the ladder: a human has the alert. Return False if it was not open."""
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.state != AlertState.OPEN:
        return False
    now = timezone.now()
    Alert.objects.filter(pk=alert.pk).update(
        state=AlertState.ACKNOWLEDGED, acknowledged_by=actor, acknowledged_at=now, next_step_at=None
    )
    _cancel_pending(locked)
    record("alert.acknowledged", actor=actor, target=locked, details={"via": via})
    alert.refresh_from_db()
    return True


@transaction.atomic
def resolve_alert(
    alert: Alert,
    *,
    actor: Member | None,
    resolution: str,
    note: str = "",
    stand_down: bool = True,
    via: str = "web",
) -> int:
    """Close the alert; with `stand_down`, tell everyone who was told. Return how many.

    `actor` is None when Safehold closes it itself (a task done, a dispatch moved on)."""
    if resolution not in Resolution.values:
        raise ValidationError({"resolution": _("Choose how the alert ended.")})
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.state == AlertState.RESOLVED:
        raise ValidationError(_("This alert is already resolved."))
    now = timezone.now()
    locked.state = AlertState.RESOLVED
    locked.resolved_by, locked.resolved_at = actor, now
    locked.resolution, locked.resolution_note = resolution, note
    locked.next_step_at = None
    if locked.acknowledged_at is None:
        locked.acknowledged_by, locked.acknowledged_at = actor, now
    locked.save()
    _cancel_pending(locked)
    told = 0
    if stand_down:
        member_ids = Member.objects.filter(
            pk__in=locked.notifications.filter(purpose=Purpose.ALERT)
            .exclude(status=NotificationStatus.CANCELLED)
            .values("member_id")
        ).values_list("pk", flat=True)
        outbox = _Outbox(now)
        outbox.add(
            locked.pk.hex, [m.hex for m in member_ids], Purpose.STAND_DOWN.value, locked.step,
            locked.round,
        )  # fmt: skip
        told = outbox.write()
    record(
        "alert.resolved",
        actor=actor,
        target=locked,
        details={"resolution": resolution, "stand_down": told, "via": via},
    )
    alert.refresh_from_db()
    return told


# A panic message is kept for responders; long digit runs in it may be a PIN typed by
# a shaking hand, and are never stored.
_LONG_DIGITS = re.compile(r"\d(?:[\s-]?\d){3,}")


def mask_long_digits(text: str) -> str:
    return _LONG_DIGITS.sub("••••", text)


@dataclass(frozen=True)
class PanicReport:
    """What came with a panic: by which channel, when, the words, a place if given."""

    channel: str
    received_at: datetime.datetime
    text: str = ""
    latitude: float | None = None
    longitude: float | None = None


@transaction.atomic
def open_panic(person: Person, report: PanicReport, *, actor: Member | None = None) -> Alert:
    """Open a panic alert that calls everyone at once, or add to the one still open.

    A second cry while the first is unacknowledged joins it (one timeline) instead of
    calling everyone again; the open alert already repeats every five minutes.
    """
    entry: dict[str, object] = {
        "channel": report.channel,
        "received_at": report.received_at.isoformat(),
        "text": mask_long_digits(report.text)[:1000],
    }
    if report.latitude is not None and report.longitude is not None:
        entry["location"] = [report.latitude, report.longitude]
    open_panic_alert = (
        Alert.objects.select_for_update()
        .filter(person=person, kind=AlertKind.PANIC, state=AlertState.OPEN)
        .order_by("-created_at")
        .first()
    )
    if open_panic_alert is not None:
        context = open_panic_alert.context or {}
        context.setdefault("messages", []).append(entry)
        open_panic_alert.context = context
        open_panic_alert.save(update_fields=["context"])
        record(
            "alert.panic_added",
            actor=actor,
            target=open_panic_alert,
            details={"channel": report.channel},
        )
        return open_panic_alert
    [alert_id] = open_alerts(
        [NewAlert(Subject.of(person), AlertKind.PANIC)], now=report.received_at, actor=actor
    )
    alert = Alert.objects.get(pk=alert_id)
    alert.context = {
        "messages": [entry],
        "last_checkin_at": _last_checkin_at(person),
        "safe_house": _current_safe_house(person, report.received_at),
    }
    alert.save(update_fields=["context"])
    return alert


def _last_checkin_at(person: Person) -> str | None:
    at = Schedule.objects.filter(person=person).values_list("last_checkin_at", flat=True).first()
    return at.isoformat() if at else None


def _current_safe_house(person: Person, now: datetime.datetime) -> str | None:
    """Return the id of the house the person is placed in today (shown only to those allowed)."""
    today = timezone.localdate(now)
    house = (
        Placement.objects.filter(person=person, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .order_by("-start_date")
        .values_list("safe_house_id", flat=True)
        .first()
    )
    return str(house) if house else None
