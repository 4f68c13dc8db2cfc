"""Incident tasks falling due: the same escalation engine as any alert.

A task past its deadline opens an alert routed to its owner and, if nobody
acknowledges, to the incident lead, again and again until someone does or the task is
done. A lawyer's task belongs to the lawyer who accepted the dispatch, else to the lead.
"""

from __future__ import annotations

import datetime
import uuid

from django.db import transaction

from safehold.alerts.actions import RoutedAlert, open_routed_alert
from safehold.alerts.ladder import Route
from safehold.alerts.models import AlertKind
from safehold.audit.chain import record
from safehold.incidents.models import (
    Dispatch,
    DispatchState,
    EntryKind,
    IncidentState,
    IncidentTask,
    OwnerRole,
    TimelineEntry,
)

# How long the owner has to acknowledge before the lead is told, and then how often
# the lead is told again.
OWNER_WAIT = datetime.timedelta(minutes=10)
LEAD_REPEAT = datetime.timedelta(minutes=15)
BATCH = 200


def owner_of(task: IncidentTask) -> uuid.UUID | None:
    """Return who answers for the task now: its owner, the accepted responder of a
    lawyer's task, else the lead."""
    if task.owner_id is not None:
        return task.owner_id
    if task.owner_role == OwnerRole.LAWYER:
        lawyer = (
            Dispatch.objects.filter(incident_id=task.incident_id, state=DispatchState.ACCEPTED)
            .order_by("-answered_at")
            .values_list("responder_id", flat=True)
            .first()
        )
        if lawyer is not None:
            return lawyer
    return task.incident.responsible_id


def route_for(task: IncidentTask) -> Route:
    """The owner first, then the lead, the lead again until someone acknowledges."""
    incident = task.incident
    owner = owner_of(task)
    lead = incident.responsible_id
    steps: list[tuple[uuid.UUID, datetime.timedelta]] = []
    if owner is not None and owner != lead:
        steps.append((owner, OWNER_WAIT))
    if lead is not None:
        steps.append((lead, LEAD_REPEAT))
    return Route.to_members(incident.compartment_id, steps, repeat_from=len(steps) or 1)


def escalate_overdue_tasks(now: datetime.datetime) -> int:
    """Worker pass: open the alert of every open incident's task past its deadline."""
    due = IncidentTask.objects.filter(
        due_at__lte=now, done_at__isnull=True, overdue_alert__isnull=True
    ).exclude(incident__state=IncidentState.CLOSED)
    opened = 0
    for task_id in list(due.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            task = (
                IncidentTask.objects.select_for_update(of=("self",))
                .select_related("incident", "incident__person", "incident__safe_house")
                .filter(pk=task_id, done_at__isnull=True, overdue_alert__isnull=True)
                .first()
            )
            if task is None:
                continue  # done or handled by another worker meanwhile
            incident = task.incident
            task.overdue_alert = open_routed_alert(
                RoutedAlert(
                    incident.organisation_id,
                    AlertKind.TASK_OVERDUE,
                    route_for(task),
                    person=incident.person,
                    topic=incident.safe_house.codename if incident.safe_house else "",
                ),
                now=now,
            )
            task.save(update_fields=["overdue_alert"])
            TimelineEntry.objects.create(
                incident=incident,
                at=now,
                kind=EntryKind.TASK_OVERDUE,
                facts={"task": str(task.pk), "position": task.position,
                       "alert": task.overdue_alert.code},
            )  # fmt: skip
            record("incident.task_overdue", actor=None, target=task,
                   details={"task": str(task.pk), "alert": str(task.overdue_alert.pk)},
                   organisation_id=incident.organisation_id)  # fmt: skip
            opened += 1
    return opened
