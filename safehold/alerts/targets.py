"""Turning a step's targets into members, for one alert's subject at one moment."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from safehold.access.models import Grant
from safehold.access.models import TargetKind as GrantTarget
from safehold.accounts.models import Member, Role
from safehold.alerts.ladder import PANIC_TARGET, Target
from safehold.alerts.models import DutyShift
from safehold.cases.models import Person


@dataclass(frozen=True)
class Subject:
    """Who an alert is about, as far as choosing whom to tell needs: ids, no names."""

    # As read: a raw statement on SQLite gives hex text. None for incident work about a
    # safe house.
    person_id: uuid.UUID | str | None
    organisation_id: uuid.UUID
    compartment_id: uuid.UUID
    coordinator_id: uuid.UUID | None

    @classmethod
    def of(cls, person: Person) -> Subject:
        return cls(person.pk, person.organisation_id, person.compartment_id, person.coordinator_id)


def _active(queryset: QuerySet[Member], subject: Subject) -> QuerySet[Member]:
    return queryset.filter(is_active=True, organisation_id=subject.organisation_id)


def members_for(target: Target, subject: Subject, now: datetime.datetime) -> QuerySet[Member]:
    """Return the active members of the subject's organisation that `target` names."""
    compartment_id = target.compartment_id or subject.compartment_id
    if target.kind == "member" and target.member_id:
        return _active(Member.objects.filter(pk=target.member_id), subject)
    if target.kind == "coordinator":
        if subject.coordinator_id is None:
            return Member.objects.none()
        return _active(Member.objects.filter(pk=subject.coordinator_id), subject)
    if target.kind == "on_duty":
        on_duty = DutyShift.objects.filter(
            compartment_id=compartment_id, starts_at__lte=now, ends_at__gt=now
        ).values("member_id")
        return _active(Member.objects.filter(pk__in=on_duty), subject)
    if target.kind == "role" and target.role:
        return _active(
            Member.objects.filter(role=target.role, compartments__id=compartment_id), subject
        )
    return Member.objects.none()


def fallback_members(subject: Subject) -> QuerySet[Member]:
    """Return who is told when a step names nobody reachable: never nobody.

    The compartment's coordinators and admins, else the organisation's admins.
    """
    compartment = _active(
        Member.objects.filter(
            role__in=[Role.COORDINATOR, Role.ADMIN], compartments__id=subject.compartment_id
        ),
        subject,
    )
    if compartment.exists():
        return compartment
    return _active(Member.objects.filter(role=Role.ADMIN), subject)


def resolve_targets(
    targets: Iterable[Target], subject: Subject, now: datetime.datetime
) -> list[Member]:
    """Return the distinct members to tell for a step, falling back so someone is told."""
    chosen: dict[object, Member] = {}
    for target in targets:
        found = (
            panic_members(subject, now)
            if target.kind == PANIC_TARGET
            else members_for(target, subject, now)
        )
        for member in found:
            chosen.setdefault(member.pk, member)
    if not chosen:
        for member in fallback_members(subject):
            chosen.setdefault(member.pk, member)
    return list(chosen.values())


def panic_members(subject: Subject, now: datetime.datetime) -> list[Member]:
    """Return everyone a panic calls at once: never nobody.

    The compartment's responders and coordinators, whoever is on duty there, the
    person's coordinator, and every member holding a live grant on the person (the
    person's trusted responders, who may sit outside the compartment).
    """
    grants = (
        Grant.objects.filter(
            target_kind=GrantTarget.PERSON,
            target_id=subject.person_id,
            revoked_at__isnull=True,
        ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        if subject.person_id is not None
        else Grant.objects.none()
    )
    in_compartment = Q(
        role__in=[Role.RESPONDER, Role.COORDINATOR], compartments__id=subject.compartment_id
    )
    on_duty = Q(
        pk__in=DutyShift.objects.filter(
            compartment_id=subject.compartment_id, starts_at__lte=now, ends_at__gt=now
        ).values("member_id")
    )
    chosen = Q(pk__in=grants.values("member_id")) | in_compartment | on_duty
    if subject.coordinator_id is not None:
        chosen |= Q(pk=subject.coordinator_id)
    members = list(_active(Member.objects.filter(chosen).distinct(), subject))
    return members or list(fallback_members(subject))
