"""Opening cases, moving them along the pipeline, phones and documents."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from safehold.audit.models import AuditEntry
from safehold.cases.actions import (
    PersonDetails,
    add_phone,
    move_stage,
    open_case,
    phone_index,
    reveal_person,
    save_document,
    update_person,
)
from safehold.cases.models import Document, Person, PersonPhone, Stage, StageChange
from safehold.testing import World, make_person

pytestmark = pytest.mark.django_db


def _audit_actions(person: Person) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=str(person.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_opening_a_case_starts_at_intake_and_is_audited(world: World) -> None:
    person = make_person(world.compartment, actor=world.coordinator, legal_name="Adam")
    assert person.stage == Stage.INTAKE
    change = StageChange.objects.get(person=person)
    assert (change.from_stage, change.to_stage, change.actor) == (
        "",
        Stage.INTAKE,
        world.coordinator,
    )
    assert _audit_actions(person) == ["person.created"]


def test_codenames_are_unique_within_an_organisation(world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        make_person(world.compartment, codename="falcon")
    assert "codename" in raised.value.message_dict


def test_phones_are_normalised_to_e164(world: World) -> None:
    phone = add_phone(world.person, "8 (916) 765-43-21", actor=world.coordinator)
    assert PersonPhone.objects.get(pk=phone.pk).number == "+79167654321"
    assert phone.number_index == phone_index("+79167654321")


@pytest.mark.parametrize("raw", ["", "hello", "+7 123", "+1 555 0100 0000 0000"])
def test_a_bad_phone_is_refused_and_nothing_is_written(world: World, raw: str) -> None:
    before = (Person.objects.count(), PersonPhone.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError):
        make_person(world.compartment, phones=[raw])
    after = (Person.objects.count(), PersonPhone.objects.count(), AuditEntry.objects.count())
    assert before == after


def test_a_phone_belongs_to_one_case_only_and_probing_is_audited(world: World) -> None:
    other = make_person(world.compartment)
    with pytest.raises(ValidationError):
        add_phone(other, "+7 916 123-45-67", actor=world.stranger)
    with pytest.raises(ValidationError):
        make_person(world.compartment, actor=world.stranger, phones=["+79161234567"])
    probes = AuditEntry.objects.filter(action="person.phone_conflict")
    assert [p.actor_id for p in probes] == [world.stranger.pk, world.stranger.pk]
    assert not PersonPhone.objects.filter(person=other).exists()


def test_a_stage_move_keeps_who_when_and_why(world: World) -> None:
    move_stage(world.person, Stage.ASSESSMENT, actor=world.coordinator, reason="Call done")
    person = Person.objects.get(pk=world.person.pk)
    assert person.stage == Stage.ASSESSMENT
    change = person.stage_changes.order_by("at").last()
    assert change is not None
    assert (change.from_stage, change.to_stage) == (Stage.INTAKE, Stage.ASSESSMENT)
    assert change.actor == world.coordinator
    assert change.reason == "Call done"
    assert _audit_actions(person)[-1] == "person.stage_moved"


@pytest.mark.parametrize(
    ("stage", "reason"),
    [("nowhere", "why"), (Stage.INTAKE, "already there"), (Stage.RELOCATION, "  ")],
)
def test_a_bad_stage_move_is_refused(world: World, stage: str, reason: str) -> None:
    with pytest.raises(ValidationError):
        move_stage(world.person, stage, actor=world.coordinator, reason=reason)
    assert StageChange.objects.filter(person=world.person).count() == 1


def test_an_update_audits_field_names_not_values(world: World) -> None:
    details = PersonDetails(
        codename="Falcon",
        compartment=world.compartment,
        legal_name="Ruslan New",
        notes=world.person.notes,
    )
    changed = update_person(world.person, details, actor=world.coordinator)
    assert "legal_name" in changed
    entry = AuditEntry.objects.filter(action="person.updated").get()
    assert "legal_name" in entry.details["fields"]
    assert "Ruslan New" not in str(entry.details)


def test_a_reveal_needs_a_reason_and_is_audited(world: World) -> None:
    with pytest.raises(ValidationError):
        reveal_person(world.person, actor=world.coordinator, reason=" ")
    revealed = reveal_person(world.person, actor=world.coordinator, reason="Visa form")
    assert revealed.legal_name == "Ruslan Testov"
    assert revealed.phones == [("+79161234567", "")]
    entry = AuditEntry.objects.filter(action="person.revealed").get()
    assert entry.actor_id == world.coordinator.pk
    assert entry.details == {"reason": "Visa form"}


def test_documents_keep_dates_and_refuse_impossible_ones(world: World) -> None:
    today = datetime.date.today()
    document = save_document(
        world.person,
        {"kind": "passport", "country": "ru", "issued_on": today, "deadline": today},
        actor=world.coordinator,
    )
    assert Document.objects.get(pk=document.pk).country == "RU"
    with pytest.raises(ValidationError):
        save_document(
            world.person,
            {
                "kind": "passport",
                "country": "RU",
                "issued_on": today,
                "expires_on": today - datetime.timedelta(days=1),
            },
            actor=world.coordinator,
        )
    with pytest.raises(ValidationError):
        save_document(world.person, {"kind": "spaceship", "country": "RU"}, actor=world.coordinator)
    assert Document.objects.count() == 1


def test_open_case_refuses_a_compartment_of_another_organisation(world: World) -> None:
    foreign = world.outsider.compartments.get()
    with pytest.raises(ValidationError):
        open_case(
            PersonDetails(codename="Owl", compartment=foreign),
            actor=world.coordinator,
            organisation=world.organisation,
        )


def test_the_database_refuses_one_phone_on_two_cases(world: World) -> None:
    from django.db import IntegrityError, transaction

    existing = world.person.phones.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonPhone.objects.create(
            person=make_person(world.compartment),
            organisation=world.organisation,
            number=existing.number,
            number_index=existing.number_index,
        )


def test_a_refused_update_leaves_the_callers_object_unchanged(world: World) -> None:
    other = make_person(world.compartment, codename="Owl")
    details = PersonDetails(codename="FALCON", compartment=world.compartment)
    with pytest.raises(ValidationError):
        update_person(other, details, actor=world.coordinator)
    assert other.codename == "Owl"
