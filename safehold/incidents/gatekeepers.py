"""Fetch incidents only through the access policy. "Not yours" looks like "not found".

Coordinators reach the incidents of their compartments, and of persons they hold a
grant on. A responder asked to go reaches that one incident, and sees of it only what
the responder's page shows.
"""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from django.http import Http404

from safehold.access.models import Need, TargetKind
from safehold.access.policy import scope_for
from safehold.accounts.models import Member
from safehold.incidents.models import Dispatch, DispatchState, Incident

# A responder keeps the incident for as long as the request is theirs.
_RESPONDER_STATES = (DispatchState.OFFERED, DispatchState.ACCEPTED)


def incidents_for(member: Member | None, need: Need = Need.VIEW) -> QuerySet[Incident]:
    """Return every incident `member` manages (may see, or edit, as a coordinator)."""
    scope = scope_for(member, TargetKind.PERSON, need)
    if scope.organisation_id is None:
        return Incident.objects.none()
    return Incident.objects.filter(
        Q(organisation_id=scope.organisation_id)
        & (Q(compartment_id__in=scope.compartment_ids) | Q(person_id__in=scope.granted_ids))
    )


def get_incident_for(member: Member | None, incident_id: uuid.UUID | str, need: Need) -> Incident:
    """Return the incident, or raise Http404 alike for a missing or a forbidden one."""
    try:
        return (
            incidents_for(member, need)
            .select_related("person", "safe_house", "lead")
            .get(pk=incident_id)
        )
    except (Incident.DoesNotExist, ValueError) as missing:
        raise Http404 from missing


def can_manage(member: Member | None, incident: Incident, need: Need = Need.EDIT) -> bool:
    return incidents_for(member, need).filter(pk=incident.pk).exists()


def incident_of(alert_id: uuid.UUID) -> Incident | None:
    """Return the incident an alert raised, joined, or was opened for (a task, a request)."""
    return (
        Incident.objects.filter(
            Q(alert_links__alert_id=alert_id)
            | Q(tasks__overdue_alert_id=alert_id)
            | Q(dispatches__alert_id=alert_id)
        )
        .distinct()
        .first()
    )


def get_dispatch_for(member: Member | None, dispatch_id: uuid.UUID | str) -> Dispatch:
    """Return a request sent to `member` that is still theirs, else Http404."""
    if member is None or not member.is_active or member.organisation_id is None:
        raise Http404
    try:
        return Dispatch.objects.select_related("incident", "incident__person").get(
            pk=dispatch_id,
            responder=member,
            state__in=_RESPONDER_STATES,
            incident__organisation_id=member.organisation_id,
        )
    except (Dispatch.DoesNotExist, ValueError) as missing:
        raise Http404 from missing
