"""Fetch persons only through the access policy. "Not yours" looks like "not found"."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from safehold.access.models import Need, TargetKind
from safehold.access.policy import allows, scope_for
from safehold.accounts.models import Member
from safehold.cases.models import Document, Person


def persons_for(member: Member | None, need: Need = Need.VIEW) -> QuerySet[Person]:
    """Return every person `member` may reach for `need`."""
    scope = scope_for(member, TargetKind.PERSON, need)
    return Person.objects.filter(scope.as_q())


def get_person_for(member: Member | None, person_id: uuid.UUID | str, need: Need) -> Person:
    """Return the person, or raise Http404 alike for a missing or a forbidden one."""
    try:
        return persons_for(member, need).get(pk=person_id)
    except (Person.DoesNotExist, ValueError) as missing:
        raise Http404 from missing


def can(member: Member | None, person: Person, need: Need) -> bool:
    return allows(
        member,
        need,
        kind=TargetKind.PERSON,
        record_id=person.id,
        organisation_id=person.organisation_id,
        compartment_id=person.compartment_id,
    )


def get_document_for(member: Member | None, document_id: uuid.UUID | str, need: Need) -> Document:
    """Return a document whose person `member` may reach for `need`, else Http404."""
    scope = scope_for(member, TargetKind.PERSON, need)
    try:
        return Document.objects.select_related("person").get(
            scope.as_q(prefix="person__"), pk=document_id
        )
    except (Document.DoesNotExist, ValueError) as missing:
        raise Http404 from missing
