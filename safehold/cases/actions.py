"""Every change to a protected person: one transaction, one audit entry each.

Callers fetch the person through `safehold.cases.gatekeepers` first; these functions
trust that the actor was allowed.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safehold.accounts.models import Compartment, Member, Organisation
from safehold.audit.chain import record
from safehold.cases.models import (
    Document,
    Person,
    PersonPhone,
    Stage,
    StageChange,
    TrustedContact,
)
from safehold.crypto.envelope import blind_index
from safehold.lib.phones import normalise_phone

PHONE_INDEX_PURPOSE = "person-phone"
CITY_INDEX_PURPOSE = "person-city"
P = ParamSpec("P")
R = TypeVar("R")

# Fields a coordinator may set on a person, and which of them are sensitive.
PERSON_FIELDS = (
    "codename",
    "legal_name",
    "aliases",
    "date_of_birth",
    "origin",
    "city",
    "languages",
    "notes",
    "risk_level",
    "coordinator",
    "compartment",
)


def phone_index(e164: str) -> str:
    """Return the lookup digest of a normalised phone number."""
    return blind_index(PHONE_INDEX_PURPOSE, e164)


def city_index(city: str) -> str:
    """Return the lookup digest of a city as written, ignoring case and spacing."""
    # Russian often writes the letter yo as ye (Orel for Oryol): both give one digest.
    normalised = " ".join(city.split()).casefold().replace("\u0451", "\u0435")
    return blind_index(CITY_INDEX_PURPOSE, normalised) if normalised else ""


@dataclass
class PersonDetails:
    """What a coordinator states about a person when opening or editing a case."""

    codename: str
    compartment: Compartment
    legal_name: str = ""
    aliases: list[str] = field(default_factory=list)
    date_of_birth: datetime.date | None = None
    origin: str = ""
    city: str = ""
    languages: list[str] = field(default_factory=list)
    notes: str = ""
    risk_level: str = "high"
    coordinator: Member | None = None


def _check_codename_free(
    organisation: Organisation, codename: str, exclude: uuid.UUID | None = None
) -> None:
    taken = Person.objects.filter(organisation=organisation, codename__iexact=codename)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError({"codename": _("Another case already uses this codename.")})


def _check_same_organisation(details: PersonDetails, organisation: Organisation) -> None:
    if details.compartment.organisation_id != organisation.id:
        raise ValidationError({"compartment": _("Choose one of your compartments.")})
    if details.coordinator is not None and details.coordinator.organisation_id != organisation.id:
        raise ValidationError({"coordinator": _("Choose a member of your organisation.")})


class PhoneConflict(ValidationError):
    """The number is already on a case, possibly one the caller may not see."""


def _audited_phone_conflict(function: Callable[P, R]) -> Callable[P, R]:
    """Record a refused duplicate phone after the refused change is rolled back.

    Telling a coordinator "this number is known" lets an informer probe numbers across
    compartments; it cannot be hidden without dropping the uniqueness that inbound SMS
    needs, so every such refusal is audited where colleagues can see the probing.
    """

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except PhoneConflict:
            actor = kwargs.get("actor")
            organisation = kwargs.get("organisation") or getattr(args[0], "organisation", None)
            record(
                "person.phone_conflict",
                actor=actor,  # type: ignore[arg-type]
                target=organisation,
                organisation_id=getattr(organisation, "pk", None),
            )
            raise

    return wrapper


@_audited_phone_conflict
@transaction.atomic
def open_case(
    details: PersonDetails,
    *,
    actor: Member | None,
    organisation: Organisation,
    phones: Sequence[str] = (),
) -> Person:
    """Create a person at the intake stage with their phones; raise ValidationError."""
    _check_same_organisation(details, organisation)
    _check_codename_free(organisation, details.codename)
    person = Person(organisation=organisation, **vars(details))
    person.city_index = city_index(details.city)
    person.full_clean(exclude=["organisation", "compartment", "coordinator"])
    try:
        with transaction.atomic():
            person.save(force_insert=True)
    except IntegrityError as clash:
        raise ValidationError(
            {"codename": _("Another case already uses this codename.")}
        ) from clash
    StageChange.objects.create(person=person, from_stage="", to_stage=Stage.INTAKE, actor=actor)
    for raw in phones:
        _add_phone(person, raw)
    record(
        "person.created",
        actor=actor,
        target=person,
        details={"fields": sorted(k for k, v in vars(details).items() if v), "phones": len(phones)},
    )
    return person


@transaction.atomic
def update_person(person: Person, details: PersonDetails, *, actor: Member) -> list[str]:
    """Apply `details`; return the names of the fields that changed (audited, not values)."""
    _check_same_organisation(details, person.organisation)
    if details.codename.casefold() != person.codename.casefold():
        _check_codename_free(person.organisation, details.codename, exclude=person.pk)
    # Change a locked copy: a refused edit leaves the caller's object as it was.
    locked = Person.objects.select_for_update().get(pk=person.pk)
    changed = []
    for name, value in vars(details).items():
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(name)
    if not changed:
        return []
    locked.full_clean(exclude=["organisation", "compartment", "coordinator"])
    locked.city_index = city_index(locked.city)
    locked.updated_at = timezone.now()
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as clash:
        raise ValidationError(
            {"codename": _("Another case already uses this codename.")}
        ) from clash
    record("person.updated", actor=actor, target=locked, details={"fields": sorted(changed)})
    person.refresh_from_db()
    return changed


@transaction.atomic
def move_stage(person: Person, to_stage: str, *, actor: Member | None, reason: str) -> StageChange:
    """Move `person` along the pipeline, keeping who, when and why."""
    if to_stage not in Stage.values:
        raise ValidationError({"to_stage": _("Choose a stage from the list.")})
    if to_stage == person.stage:
        raise ValidationError({"to_stage": _("The case is already at this stage.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the case moves.")})
    locked = Person.objects.select_for_update().get(pk=person.pk)
    change = StageChange.objects.create(
        person=locked, from_stage=locked.stage, to_stage=to_stage, actor=actor, reason=reason
    )
    Person.objects.filter(pk=person.pk).update(stage=to_stage, updated_at=timezone.now())
    person.stage = to_stage
    record(
        "person.stage_moved",
        actor=actor,
        target=person,
        details={"from": change.from_stage, "to": to_stage, "stage_change": str(change.pk)},
    )
    return change


def _add_phone(person: Person, raw: str, label: str = "") -> PersonPhone:
    try:
        e164 = normalise_phone(raw, person.organisation.default_phone_region)
    except ValidationError as error:
        raise ValidationError({"number": error.messages}) from error
    conflict = PhoneConflict(
        {"number": _("This phone number cannot be added. If it is right, ask an admin.")}
    )
    index = phone_index(e164)
    if PersonPhone.objects.filter(organisation=person.organisation, number_index=index).exists():
        raise conflict
    try:
        with transaction.atomic():
            return PersonPhone.objects.create(
                person=person,
                organisation=person.organisation,
                number=e164,
                number_index=index,
                label=label,
            )
    except IntegrityError as clash:  # a concurrent request added it first
        raise conflict from clash


@_audited_phone_conflict
@transaction.atomic
def add_phone(person: Person, raw: str, *, actor: Member | None, label: str = "") -> PersonPhone:
    """Validate, normalise and attach a phone number; raise ValidationError if it is bad."""
    phone = _add_phone(person, raw, label)
    record("person.phone_added", actor=actor, target=person, details={"phone": str(phone.pk)})
    return phone


@transaction.atomic
def remove_phone(phone: PersonPhone, *, actor: Member) -> None:
    person = phone.person
    record("person.phone_removed", actor=actor, target=person, details={"phone": str(phone.pk)})
    phone.delete()


@transaction.atomic
def add_trusted_contact(
    person: Person,
    *,
    actor: Member,
    name: str,
    relation: str = "",
    phone: str = "",
    notes: str = "",
) -> TrustedContact:
    if not name.strip():
        raise ValidationError({"name": _("Enter the contact's name.")})
    number = (
        normalise_phone(phone, person.organisation.default_phone_region) if phone.strip() else ""
    )
    contact = TrustedContact.objects.create(
        person=person, name=name.strip(), relation=relation.strip(), phone=number, notes=notes
    )
    record(
        "person.trusted_contact_added",
        actor=actor,
        target=person,
        details={"contact": str(contact.pk)},
    )
    return contact


@transaction.atomic
def remove_trusted_contact(contact: TrustedContact, *, actor: Member) -> None:
    record(
        "person.trusted_contact_removed",
        actor=actor,
        target=contact.person,
        details={"contact": str(contact.pk)},
    )
    contact.delete()


DOCUMENT_FIELDS = (
    "kind",
    "country",
    "status",
    "number",
    "issued_on",
    "expires_on",
    "deadline",
    "deadline_note",
)


@transaction.atomic
def save_document(
    person: Person, values: dict[str, Any], *, actor: Member, document: Document | None = None
) -> Document:
    """Create or update one of `person`'s documents from validated `values`."""
    is_new = document is None
    doc = document or Document(person=person)
    changed = [k for k in DOCUMENT_FIELDS if k in values and getattr(doc, k, None) != values[k]]
    for name in changed:
        setattr(doc, name, values[name])
    doc.country = (doc.country or "").upper()
    if doc.issued_on and doc.expires_on and doc.expires_on < doc.issued_on:
        raise ValidationError({"expires_on": _("A document cannot expire before it was issued.")})
    doc.full_clean(exclude=["person"])
    doc.updated_at = timezone.now()
    doc.save()
    record(
        "document.created" if is_new else "document.updated",
        actor=actor,
        target=person,
        details={"document": str(doc.pk), "fields": sorted(changed)},
    )
    return doc


@dataclass(frozen=True)
class RevealedPerson:
    legal_name: str
    aliases: list[str]
    date_of_birth: datetime.date | None
    origin: str
    city: str
    languages: list[str]
    notes: str
    phones: list[tuple[str, str]]
    trusted_contacts: list[TrustedContact]


@transaction.atomic
def reveal_person(person: Person, *, actor: Member, reason: str) -> RevealedPerson:
    """Return the sensitive fields of `person`, auditing who asked and why."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why you need to see this.")})
    record("person.revealed", actor=actor, target=person, details={"reason": reason.strip()})
    return RevealedPerson(
        legal_name=person.legal_name,
        aliases=list(person.aliases or []),
        date_of_birth=person.date_of_birth,
        origin=person.origin,
        city=person.city,
        languages=list(person.languages or []),
        notes=person.notes,
        phones=[(p.number, p.label) for p in person.phones.all()],
        trusted_contacts=list(person.trusted_contacts.all()),
    )
