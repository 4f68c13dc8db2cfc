"""Opening, escalating, acknowledging and resolving alerts.

Opening an alert runs its first step at once: the alert and its notifications are
written in one transaction, and the worker delivers them. Batches are written with a
few statements whatever their size, so a burst of missed check-ins is not a queue of
single inserts.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safehold.accounts.models import Member
from safehold.alerts.ladder import (
    DEFAULT_LADDER,
    DEFAULT_REPEAT_FROM,
    Rung,
    Target,
    next_climb,
)
from safehold.alerts.models import (
    Alert,
    AlertKind,
    AlertState,
    EscalationPolicy,
    Notification,
    NotificationStatus,
    Purpose,
    Resolution,
    Severity,
)
from safehold.alerts.targets import resolve_targets
from safehold.audit.chain import record
from safehold.cases.models import Person

# No 0/O, 1/I/L or U/V: read aloud and typed on a phone keypad without mistakes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH = 6

SEVERITY_OF = {
    AlertKind.MISSED_CHECKIN: Severity.HIGH,
    AlertKind.DURESS: Severity.CRITICAL,
    AlertKind.PIN_ATTACK: Severity.CRITICAL,
    AlertKind.PANIC: Severity.CRITICAL,
    AlertKind.MANUAL: Severity.HIGH,
}


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class NewAlert:
    """What the worker or a coordinator knows when an alert must open."""

    person: Person
    kind: str
    source_checkin_id: uuid.UUID | None = None
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
        self._members: dict[tuple[object, ...], list[Member]] = {}

    def ladder(self, compartment_id: uuid.UUID) -> tuple[tuple[Rung, ...], int]:
        if compartment_id not in self._ladders:
            self._ladders[compartment_id] = ladder_for(compartment_id)
        return self._ladders[compartment_id]

    def members(self, rung: Rung, alert: Alert) -> list[Member]:
        person = alert.person
        key = (person.compartment_id, person.coordinator_id, rung.position, rung.targets)
        if key not in self._members:
            self._members[key] = resolve_targets(rung.targets, alert, self.now)
        return self._members[key]

    def climb(self, alert: Alert) -> list[Notification]:
        """Move `alert` one rung up (in memory); return the notifications it sends."""
        rungs, repeat_from = self.ladder(alert.person.compartment_id)
        climb = next_climb(
            rungs,
            repeat_from=repeat_from,
            done_step=alert.step,
            done_round=alert.round,
            now=self.now,
        )
        alert.step, alert.round = climb.rung.position, climb.round
        alert.next_step_at = climb.next_step_at
        return [
            _notification(alert, member, Purpose.ALERT, self.now)
            for member in self.members(climb.rung, alert)
        ]


def _notification(
    alert: Alert, member: Member, purpose: str, now: datetime.datetime
) -> Notification:
    notification = Notification(
        alert=alert,
        member=member,
        purpose=purpose,
        step=alert.step,
        round=alert.round,
        next_attempt_at=now,
        created_at=now,
    )
    notification.idempotency_key = f"sh-{notification.id.hex}"
    return notification


@transaction.atomic
def open_alerts(
    new_alerts: Sequence[NewAlert], *, now: datetime.datetime, actor: Member | None = None
) -> list[Alert]:
    """Open alerts and run their first step; one transaction, a few statements per batch."""
    batch = _Batch(now)
    alerts: list[Alert] = []
    notifications: list[Notification] = []
    for new in new_alerts:
        alert = Alert(
            organisation_id=new.person.organisation_id,
            person=new.person,
            kind=new.kind,
            severity=SEVERITY_OF.get(AlertKind(new.kind), Severity.HIGH),
            code=new_code(),
            created_at=now,
            source_checkin_id=new.source_checkin_id,
            missed_deadline=new.missed_deadline,
        )
        notifications.extend(batch.climb(alert))
        alerts.append(alert)
    _insert_alerts(alerts)
    Notification.objects.bulk_create(notifications, batch_size=500)
    by_organisation: dict[object, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_organisation[alert.organisation_id].append(alert)
    for organisation_id, opened in by_organisation.items():
        record(
            "alerts.opened",
            actor=actor,
            target=opened[0].organisation,
            details={
                "alerts": [str(a.pk) for a in opened],
                "kinds": sorted({a.kind for a in opened}),
            },
            organisation_id=organisation_id,  # type: ignore[arg-type]
        )
    return alerts


def _insert_alerts(alerts: list[Alert]) -> None:
    """Bulk-insert; on the rare clash of random codes, draw new ones and retry."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                Alert.objects.bulk_create(alerts, batch_size=500)
            return
        except IntegrityError:
            for alert in alerts:
                alert.code = new_code()
    raise RuntimeError("could not draw unique alert codes")


@transaction.atomic
def open_alert(
    person: Person, kind: str, *, now: datetime.datetime | None = None, actor: Member | None = None
) -> Alert:
    """Open one alert (a coordinator's manual alert, say) and run its first step."""
    if kind not in AlertKind.values:
        raise ValidationError({"kind": _("Choose a kind of alert from the list.")})
    return open_alerts([NewAlert(person, kind)], now=now or timezone.now(), actor=actor)[0]


@transaction.atomic
def climb_ladders(alerts: Sequence[Alert], *, now: datetime.datetime) -> int:
    """Run the next step of each due open alert; return how many notifications it made."""
    batch = _Batch(now)
    notifications: list[Notification] = []
    for alert in alerts:
        notifications.extend(batch.climb(alert))
    Alert.objects.bulk_update(alerts, ["step", "round", "next_step_at"], batch_size=500)
    Notification.objects.bulk_create(notifications, batch_size=500)
    return len(notifications)


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
    actor: Member,
    resolution: str,
    note: str = "",
    stand_down: bool = True,
    via: str = "web",
) -> int:
    """Close the alert; with `stand_down`, tell everyone who was told. Return how many."""
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
        members = Member.objects.filter(
            pk__in=locked.notifications.filter(purpose=Purpose.ALERT)
            .exclude(status=NotificationStatus.CANCELLED)
            .values("member_id")
        )
        notices = [_notification(locked, m, Purpose.STAND_DOWN, now) for m in members]
        Notification.objects.bulk_create(notices)
        told = len(notices)
    record(
        "alert.resolved",
        actor=actor,
        target=locked,
        details={"resolution": resolution, "stand_down": told, "via": via},
    )
    alert.refresh_from_db()
    return told
