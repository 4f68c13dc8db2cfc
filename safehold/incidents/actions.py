"""Opening, moving and closing incidents, their tasks and their timeline.

Each action runs in one transaction and writes one audit entry; audit details hold ids
and codes, never a note or a name.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safehold.accounts.models import Member
from safehold.alerts.actions import resolve_alert
from safehold.alerts.models import Alert, AlertKind, AlertState, Resolution
from safehold.audit.chain import record
from safehold.cases.models import Person
from safehold.incidents.dispatch import withdraw_dispatches
from safehold.incidents.models import (
    EntryKind,
    Incident,
    IncidentAlert,
    IncidentKind,
    IncidentOutcome,
    IncidentState,
    IncidentTask,
    OwnerRole,
    TimelineEntry,
)
from safehold.incidents.playbooks import playbook_for
from safehold.shelters.models import SafeHouse

# Where an incident may go from each state; closing is always possible.
NEXT_STATES: dict[str, frozenset[str]] = {
    IncidentState.OPEN: frozenset({IncidentState.RESPONDING, IncidentState.LOCATED}),
    IncidentState.RESPONDING: frozenset({IncidentState.LOCATED}),
    IncidentState.LOCATED: frozenset({IncidentState.RESPONDING}),
    IncidentState.CLOSED: frozenset(),
}
MAX_NOTE = 10_000
MAX_DEBRIEF = 10_000


@transaction.atomic
def open_incident(
    *,
    kind: str,
    actor: Member | None,
    person: Person | None = None,
    safe_house: SafeHouse | None = None,
    alerts: tuple[Alert, ...] = (),
    now: datetime.datetime | None = None,
) -> Incident:
    """Open an incident with the playbook's tasks; raise ValidationError on bad input."""
    if kind not in IncidentKind.values:
        raise ValidationError({"kind": _("Choose what happened from the list.")})
    subject = person or safe_house
    if subject is None:
        raise ValidationError(_("An incident is about a person or a safe house."))
    if kind == IncidentKind.HOUSE_COMPROMISED and safe_house is None:
        raise ValidationError({"safe_house": _("Choose the safe house that was compromised.")})
    now = now or timezone.now()
    incident = Incident.objects.create(
        organisation_id=subject.organisation_id,
        compartment_id=subject.compartment_id,
        person=person,
        safe_house=safe_house,
        kind=kind,
        lead=actor if actor is not None else (person.coordinator if person else None),
        opened_at=now,
        opened_by=actor,
    )
    TimelineEntry.objects.create(
        incident=incident, at=now, actor=actor, kind=EntryKind.OPENED, facts={"kind": kind}
    )
    for alert in alerts:
        _link(incident, alert, now)
    _add_tasks(incident, now)
    record(
        "incident.opened",
        actor=actor,
        target=incident,
        details={"kind": kind, "alerts": [alert.code for alert in alerts]},
        organisation_id=incident.organisation_id,
    )
    return incident


# Alerts that may start a response; incident work, a cry from an unknown sender and an
# unusual check-in do not.
OPENS_INCIDENTS = frozenset(
    {AlertKind.PANIC, AlertKind.DURESS, AlertKind.MISSED_CHECKIN, AlertKind.PIN_ATTACK,
     AlertKind.MANUAL}
)  # fmt: skip


def kind_for_alert(alert: Alert) -> str:
    """Return the kind of incident an alert opens, or raise ValidationError if none."""
    if alert.kind == AlertKind.MISSED_CHECKIN and alert.resolution == Resolution.FALSE_ALARM:
        raise ValidationError(_("This alert was resolved as a false alarm."))
    if alert.kind == AlertKind.UNUSUAL:
        raise ValidationError(_("An unusual check-in alone does not open an incident."))
    if alert.kind not in OPENS_INCIDENTS:
        raise ValidationError(_("This kind of alert does not open an incident."))
    return IncidentKind.PERSON_MISSING


def may_open_from(alert: Alert) -> bool:
    """Return whether `alert` may open an incident (see kind_for_alert)."""
    try:
        kind_for_alert(alert)
    except ValidationError:
        return False
    return True


@transaction.atomic
def open_from_alert(alert: Alert, *, actor: Member | None) -> Incident:
    """Open an incident from a panic, duress, missed check-in or PIN-attack alert.

    An alert that already belongs to an incident returns that incident.
    """
    existing = IncidentAlert.objects.filter(alert=alert).select_related("incident").first()
    if existing is not None:
        return existing.incident
    return open_incident(
        kind=kind_for_alert(alert), actor=actor, person=alert.person, alerts=(alert,)
    )


def _link(incident: Incident, alert: Alert, now: datetime.datetime) -> None:
    try:
        with transaction.atomic():
            IncidentAlert.objects.create(incident=incident, alert=alert)
    except IntegrityError:
        raise ValidationError(_("This alert already belongs to another incident.")) from None
    TimelineEntry.objects.create(
        incident=incident,
        at=alert.created_at,
        kind=EntryKind.ALERT,
        facts={"alert": alert.code, "kind": alert.kind},
    )


def _add_tasks(incident: Incident, now: datetime.datetime) -> None:
    playbook = playbook_for(incident.organisation, incident.kind)
    IncidentTask.objects.bulk_create(
        IncidentTask(
            incident=incident,
            position=step.position,
            title_en=step.title_en,
            title_ru=step.title_ru,
            owner_role=step.owner_role,
            owner=incident.lead if step.owner_role == OwnerRole.LEAD else None,
            due_at=now + datetime.timedelta(minutes=step.due_minutes)
            if step.due_minutes is not None
            else None,
        )
        for step in playbook.steps.all()
    )


@transaction.atomic
def move_incident(incident: Incident, to_state: str, *, actor: Member) -> None:
    """Move an open incident to responding or person located."""
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if to_state not in NEXT_STATES.get(locked.state, frozenset()):
        raise ValidationError({"state": _("The incident cannot move to this state now.")})
    before, locked.state = locked.state, to_state
    locked.save(update_fields=["state"])
    TimelineEntry.objects.create(
        incident=locked, actor=actor, kind=EntryKind.STATE, facts={"from": before, "to": to_state}
    )
    record("incident.moved", actor=actor, target=locked, details={"from": before, "to": to_state})
    incident.state = to_state


@transaction.atomic
def close_incident(incident: Incident, *, actor: Member, outcome: str, debrief: str) -> None:
    """Close with an outcome and a short debrief (both required)."""
    errors: dict[str, str] = {}
    if outcome not in IncidentOutcome.values:
        errors["outcome"] = _("Choose how the incident ended.")
    debrief = debrief.strip() if isinstance(debrief, str) else ""
    if not debrief:
        errors["debrief"] = _("Write a short debrief: what happened and what to learn.")
    elif len(debrief) > MAX_DEBRIEF:
        errors["debrief"] = _("Keep the debrief shorter.")
    if errors:
        raise ValidationError(errors)
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.state == IncidentState.CLOSED:
        raise ValidationError(_("This incident is already closed."))
    now = timezone.now()
    locked.state, locked.outcome, locked.debrief, locked.closed_at = (
        IncidentState.CLOSED, outcome, debrief, now,
    )  # fmt: skip
    locked.save(update_fields=["state", "outcome", "debrief", "closed_at"])
    withdraw_dispatches(locked, actor=actor)
    for task in locked.tasks.filter(overdue_alert__state__in=_UNRESOLVED):
        _settle_overdue_alert(task, actor)
    TimelineEntry.objects.create(
        incident=locked, at=now, actor=actor, kind=EntryKind.CLOSED, facts={"outcome": outcome}
    )
    record("incident.closed", actor=actor, target=locked, details={"outcome": outcome})
    incident.refresh_from_db()


@transaction.atomic
def complete_task(task: IncidentTask, *, actor: Member) -> bool:
    """Mark a task done; return False if it already was."""
    locked = IncidentTask.objects.select_for_update().get(pk=task.pk)
    if locked.done_at is not None:
        return False
    locked.done_at, locked.done_by = timezone.now(), actor
    locked.save(update_fields=["done_at", "done_by"])
    _settle_overdue_alert(locked, actor)
    TimelineEntry.objects.create(
        incident_id=locked.incident_id,
        at=locked.done_at,
        actor=actor,
        kind=EntryKind.TASK_DONE,
        facts={"task": str(locked.pk), "position": locked.position},
    )
    record("incident.task_done", actor=actor, target=locked, details={"task": str(locked.pk)})
    return True


_UNRESOLVED = (AlertState.OPEN, AlertState.ACKNOWLEDGED)


def _settle_overdue_alert(task: IncidentTask, actor: Member | None) -> None:
    """A task done (or its incident closed) ends its overdue alert; those already told
    hear that it is settled."""
    alert = task.overdue_alert
    if alert is not None and alert.state in _UNRESOLVED:
        resolve_alert(alert, actor=actor, resolution=Resolution.OTHER, via="incident")


@transaction.atomic
def add_note(
    incident: Incident, text: str, *, actor: Member, is_call: bool = False
) -> TimelineEntry:
    """Add a note (or a logged call) to the timeline; the text is encrypted at rest."""
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise ValidationError({"text": _("Write the note first.")})
    if len(text) > MAX_NOTE:
        raise ValidationError({"text": _("Keep a note under 10,000 characters.")})
    entry = TimelineEntry.objects.create(
        incident=incident,
        actor=actor,
        kind=EntryKind.CALL if is_call else EntryKind.NOTE,
        text=text,
    )
    record("incident.note_added", actor=actor, target=incident, details={"entry": str(entry.pk)})
    return entry
