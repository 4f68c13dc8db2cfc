"""The one place that decides who may do what with a protected record.

Deny by default: a member reaches a record only if it belongs to their organisation and
either sits in one of their compartments (with a role that allows the need) or is named
in an explicit, unexpired grant. Django's superuser flag plays no part.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from safehold.access.models import Grant, Need, TargetKind
from safehold.accounts.models import Member, Role

# The most a role may do inside its own compartments. Responders reach cases only
# through grants: a lawyer sees the case they are sent to, not the whole team's.
ROLE_CEILING: dict[str, int] = {
    Role.ADMIN: Need.EDIT,
    Role.COORDINATOR: Need.EDIT,
    Role.VIEWER: Need.VIEW,
    Role.RESPONDER: 0,
}


@dataclass(frozen=True)
class Scope:
    """The records a member may reach for one need: whole compartments plus single ids."""

    organisation_id: uuid.UUID | None
    compartment_ids: frozenset[uuid.UUID]
    granted_ids: frozenset[uuid.UUID]

    def as_q(self, prefix: str = "") -> Q:
        """Return a filter for records that carry organisation, compartment and id.

        `prefix` reaches them through a relation, e.g. "person__" for a person's documents.
        """
        if self.organisation_id is None:
            return Q(pk__in=[])
        return Q(**{f"{prefix}organisation_id": self.organisation_id}) & (
            Q(**{f"{prefix}compartment_id__in": self.compartment_ids})
            | Q(**{f"{prefix}id__in": self.granted_ids})
        )


def _is_usable(member: Member | None) -> bool:
    return bool(
        member is not None
        and getattr(member, "is_authenticated", False)
        and member.is_active
        and member.organisation_id is not None
    )


def active_grants(member: Member, kind: TargetKind, need: Need) -> QuerySet[Grant]:
    now = timezone.now()
    return Grant.objects.filter(
        member=member, target_kind=kind, need__gte=need, revoked_at__isnull=True
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def scope_for(member: Member | None, kind: TargetKind, need: Need) -> Scope:
    """Return what `member` may reach of records of `kind` for `need`."""
    if member is None or not _is_usable(member):
        return Scope(None, frozenset(), frozenset())
    compartments: Iterable[uuid.UUID] = ()
    if ROLE_CEILING.get(member.role, 0) >= need:
        compartments = member.compartments.values_list("id", flat=True)
    granted = active_grants(member, kind, need).values_list("target_id", flat=True)
    return Scope(member.organisation_id, frozenset(compartments), frozenset(granted))


def allows(
    member: Member | None,
    need: Need,
    *,
    kind: TargetKind,
    record_id: uuid.UUID,
    organisation_id: uuid.UUID,
    compartment_id: uuid.UUID,
) -> bool:
    """Return whether `member` may do `need` on one record."""
    scope = scope_for(member, kind, need)
    if scope.organisation_id is None or scope.organisation_id != organisation_id:
        return False
    return compartment_id in scope.compartment_ids or record_id in scope.granted_ids


def edits_organisation(member: Member | None, organisation_id: uuid.UUID | None) -> bool:
    """Return whether `member` may change what belongs to the whole organisation rather
    than to a compartment (its playbooks, its responders' profiles)."""
    return (
        member is not None
        and _is_usable(member)
        and organisation_id is not None
        and member.organisation_id == organisation_id
        and ROLE_CEILING.get(member.role, 0) >= Need.EDIT
    )


def editable_compartments(member: Member | None) -> QuerySet:
    """Return the compartments where `member` may create and edit records."""
    from safehold.accounts.models import Compartment

    if member is None or not _is_usable(member) or ROLE_CEILING.get(member.role, 0) < Need.EDIT:
        return Compartment.objects.none()
    return member.compartments.filter(organisation_id=member.organisation_id)
