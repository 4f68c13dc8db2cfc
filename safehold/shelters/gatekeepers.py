"""Fetch safe houses only through the access policy. "Not yours" looks like "not found"."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from safehold.access.models import Need, TargetKind
from safehold.access.policy import allows, scope_for
from safehold.accounts.models import Member
from safehold.shelters.models import SafeHouse


def safe_houses_for(member: Member | None, need: Need = Need.VIEW) -> QuerySet[SafeHouse]:
    """Return every safe house `member` may reach for `need`."""
    return SafeHouse.objects.filter(scope_for(member, TargetKind.SAFE_HOUSE, need).as_q())


def get_safe_house_for(
    member: Member | None, safe_house_id: uuid.UUID | str, need: Need
) -> SafeHouse:
    """Return the safe house, or raise Http404 alike for a missing or a forbidden one."""
    try:
        return safe_houses_for(member, need).get(pk=safe_house_id)
    except (SafeHouse.DoesNotExist, ValueError) as missing:
        raise Http404 from missing


def can(member: Member | None, safe_house: SafeHouse, need: Need) -> bool:
    return allows(
        member,
        need,
        kind=TargetKind.SAFE_HOUSE,
        record_id=safe_house.id,
        organisation_id=safe_house.organisation_id,
        compartment_id=safe_house.compartment_id,
    )
