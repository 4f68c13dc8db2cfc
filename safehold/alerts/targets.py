"""Turning a step's targets into members, for one alert at one moment."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import QuerySet

from safehold.accounts.models import Member, Role
from safehold.alerts.ladder import Target
from safehold.alerts.models import Alert, DutyShift


def _active(queryset: QuerySet[Member], alert: Alert) -> QuerySet[Member]:
    return queryset.filter(is_active=True, organisation_id=alert.organisation_id)


def members_for(target: Target, alert: Alert, now: datetime.datetime) -> QuerySet[Member]:
    """Return the active members of the alert's organisation that `target` names."""
    compartment_id = target.compartment_id or alert.person.compartment_id
    if target.kind == "member" and target.member_id:
        return _active(Member.objects.filter(pk=target.member_id), alert)
    if target.kind == "coordinator":
        if alert.person.coordinator_id is None:
            return Member.objects.none()
        return _active(Member.objects.filter(pk=alert.person.coordinator_id), alert)
    if target.kind == "on_duty":
        on_duty = DutyShift.objects.filter(
            compartment_id=compartment_id, starts_at__lte=now, ends_at__gt=now
        ).values("member_id")
        return _active(Member.objects.filter(pk__in=on_duty), alert)
    if target.kind == "role" and target.role:
        return _active(
            Member.objects.filter(role=target.role, compartments__id=compartment_id), alert
        )
    return Member.objects.none()


def fallback_members(alert: Alert) -> QuerySet[Member]:
    """Return who is told when a step names nobody reachable: never nobody.

    The compartment's coordinators and admins, else the organisation's admins.
    """
    compartment = _active(
        Member.objects.filter(
            role__in=[Role.COORDINATOR, Role.ADMIN], compartments__id=alert.person.compartment_id
        ),
        alert,
    )
    if compartment.exists():
        return compartment
    return _active(Member.objects.filter(role=Role.ADMIN), alert)


def resolve_targets(
    targets: Iterable[Target], alert: Alert, now: datetime.datetime
) -> list[Member]:
    """Return the distinct members to tell for a step, falling back so someone is told."""
    chosen: dict[object, Member] = {}
    for target in targets:
        for member in members_for(target, alert, now):
            chosen.setdefault(member.pk, member)
    if not chosen:
        for member in fallback_members(alert):
            chosen.setdefault(member.pk, member)
    return list(chosen.values())
