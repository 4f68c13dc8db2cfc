"""Opening and editing cases, moving stages, adding phones, contacts and documents."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from safehold.audit.models import AuditEntry
from safehold.cases.models import Document, Person, PersonPhone, StageChange, TrustedContact
from safehold.testing import login, make_compartment, make_organisation, make_person

pytestmark = pytest.mark.django_db

CREATE = "/persons/new/"


def url(name, person):
    return reverse(name, kwargs={"person_id": person.pk})


def new_case(world, **overrides):
    data = {
        "codename": "Heron",
        "compartment": str(world.compartment.pk),
        "risk_level": "high",
        "coordinator": str(world.coordinator.pk),
        "legal_name": "Zaur Example",
        "aliases": "Zara\nZ.",
        "date_of_birth": "1995-04-02",
        "origin": "Grozny",
        "languages": "Chechen\nRussian",
        "notes": "Needs insulin",
        "phones": "+7 916 765-43-21",
    }
    data.update(overrides)
    return data


def test_it_opens_a_case_with_its_phones(world):
    response = login(world.coordinator).post(CREATE, new_case(world))
    person = Person.objects.get(codename="Heron")
    assert response.status_code == 302
    assert response["Location"] == url("person_detail", person)
    assert person.legal_name == "Zaur Example"
    assert person.aliases == ["Zara", "Z."]
    assert person.languages == ["Chechen", "Russian"]
    assert person.date_of_birth == datetime.date(1995, 4, 2)
    assert [p.number for p in person.phones.all()] == ["+79167654321"]
    assert AuditEntry.objects.filter(action="person.created", object_id=str(person.pk)).exists()


def test_it_refuses_a_bad_phone_and_writes_nothing(world):
    persons, audits = Person.objects.count(), AuditEntry.objects.count()
    response = login(world.coordinator).post(
        CREATE, new_case(world, phones="+79167654321\nnot a phone")
    )
    assert response.status_code == 200
    assert b"Line 2: This is not a phone number." in response.content
    assert Person.objects.count() == persons
    assert AuditEntry.objects.count() == audits
    assert not PersonPhone.objects.filter(person__codename="Heron").exists()


def test_it_refuses_a_phone_of_another_case_and_writes_nothing(world):
    persons = Person.objects.count()
    response = login(world.coordinator).post(CREATE, new_case(world, phones="+79161234567"))
    assert response.status_code == 200
    assert b"This phone number cannot be added." in response.content
    assert Person.objects.count() == persons


def test_it_refuses_a_codename_in_use(world):
    response = login(world.coordinator).post(CREATE, new_case(world, codename="falcon"))
    assert response.status_code == 200
    assert b"Another case already uses this codename." in response.content


@pytest.mark.parametrize(
    "field, value",
    [
        ("codename", ""),
        ("codename", "x" * 61),
        ("codename", "Nul\x00l"),
        ("legal_name", "Nul\x00l"),
        ("notes", "x" * 20001),
        ("date_of_birth", "1995-02-30"),
        ("date_of_birth", "99999-01-01"),
        ("risk_level", "apocalyptic"),
        ("coordinator", "not-a-uuid"),
        ("compartment", "00000000-0000-0000-0000-000000000000"),
        ("aliases", "a\n" * 30),
    ],
)
def test_it_shows_form_errors_for_bad_input(world, field, value):
    count = Person.objects.count()
    response = login(world.coordinator).post(CREATE, new_case(world, **{field: value}))
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert Person.objects.count() == count


def test_it_refuses_a_compartment_of_another_organisation(world):
    foreign = make_compartment(make_organisation())
    response = login(world.coordinator).post(CREATE, new_case(world, compartment=str(foreign.pk)))
    assert response.status_code == 200
    assert not Person.objects.filter(codename="Heron").exists()


def test_it_refuses_a_coordinator_of_another_organisation(world):
    response = login(world.coordinator).post(
        CREATE, new_case(world, coordinator=str(world.outsider.pk))
    )
    assert response.status_code == 200
    assert not Person.objects.filter(codename="Heron").exists()


def test_it_refuses_the_create_form_to_a_viewer(world):
    client = login(world.viewer)
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, new_case(world)).status_code == 403
    assert not Person.objects.filter(codename="Heron").exists()


def test_it_does_not_prefill_sensitive_fields_on_edit(world):
    response = login(world.coordinator).get(url("person_edit", world.person))
    assert response.status_code == 200
    assert b"Falcon" in response.content
    assert b"Ruslan" not in response.content
    assert b"Hiding since March" not in response.content


def edit_data(world, **overrides):
    data = {
        "codename": "Falcon",
        "compartment": str(world.compartment.pk),
        "risk_level": "critical",
        "coordinator": str(world.coordinator.pk),
    }
    data.update(overrides)
    return data


def test_it_keeps_sensitive_fields_left_empty_on_edit(world):
    response = login(world.coordinator).post(
        url("person_edit", world.person), edit_data(world, coordinator="")
    )
    assert response.status_code == 302
    person = Person.objects.get(pk=world.person.pk)
    assert person.risk_level == "critical"
    assert person.legal_name == "Ruslan Testov"
    assert person.notes == "Hiding since March"
    entry = AuditEntry.objects.filter(action="person.updated").latest("seq")
    assert entry.details == {"fields": ["risk_level"]}


def test_it_replaces_a_sensitive_field_given_on_edit(world):
    login(world.coordinator).post(
        url("person_edit", world.person), edit_data(world, notes="Moved on Tuesday")
    )
    person = Person.objects.get(pk=world.person.pk)
    assert person.notes == "Moved on Tuesday"
    assert person.legal_name == "Ruslan Testov"


def test_it_shows_an_action_error_on_edit(world):
    make_person(world.compartment, codename="Heron")
    response = login(world.coordinator).post(
        url("person_edit", world.person), edit_data(world, codename="Heron")
    )
    assert response.status_code == 200
    assert b"Another case already uses this codename." in response.content
    assert Person.objects.get(pk=world.person.pk).codename == "Falcon"


@pytest.mark.parametrize("persona", ["viewer", "outsider", "stranger", "responder"])
@pytest.mark.parametrize(
    "name",
    [
        "person_edit",
        "person_move_stage",
        "person_add_phone",
        "person_add_contact",
        "document_create",
    ],
)
def test_it_refuses_outsider_and_viewer_on_edit_pages(world, persona, name):
    client = login(getattr(world, persona))
    assert client.get(url(name, world.person)).status_code == 404
    assert client.post(url(name, world.person), {"codename": "X"}).status_code == 404


def test_it_needs_a_reason_to_move_stage(world):
    response = login(world.coordinator).post(
        url("person_move_stage", world.person), {"to_stage": "assessment", "reason": ""}
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert Person.objects.get(pk=world.person.pk).stage == "intake"


def test_it_moves_stage_and_records_the_change(world):
    response = login(world.coordinator).post(
        url("person_move_stage", world.person),
        {"to_stage": "assessment", "reason": "interview done"},
    )
    assert response.status_code == 302
    change = StageChange.objects.filter(person=world.person).latest("at")
    assert (change.from_stage, change.to_stage) == ("intake", "assessment")
    assert change.reason == "interview done"
    assert change.actor == world.coordinator
    assert Person.objects.get(pk=world.person.pk).stage == "assessment"


def test_it_refuses_a_move_to_the_current_stage(world):
    response = login(world.coordinator).post(
        url("person_move_stage", world.person), {"to_stage": "intake", "reason": "again"}
    )
    assert response.status_code == 200
    assert b"The case is already at this stage." in response.content


def test_it_adds_a_phone(world):
    response = login(world.coordinator).post(
        url("person_add_phone", world.person), {"number": "8 916 111-22-33", "label": "spare"}
    )
    assert response.status_code == 302
    assert "+79161112233" in [p.number for p in world.person.phones.all()]


def test_it_refuses_a_bad_phone_number(world):
    count = PersonPhone.objects.count()
    response = login(world.coordinator).post(
        url("person_add_phone", world.person), {"number": "12", "label": ""}
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert PersonPhone.objects.count() == count


def test_it_adds_a_trusted_contact(world):
    response = login(world.coordinator).post(
        url("person_add_contact", world.person),
        {"name": "Aminat", "relation": "sister", "phone": "+79169998877", "notes": ""},
    )
    assert response.status_code == 302
    contact = TrustedContact.objects.get(person=world.person)
    assert (contact.name, contact.phone) == ("Aminat", "+79169998877")


def test_it_refuses_a_trusted_contact_with_a_bad_phone(world):
    response = login(world.coordinator).post(
        url("person_add_contact", world.person),
        {"name": "Aminat", "relation": "", "phone": "abc", "notes": ""},
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not TrustedContact.objects.filter(person=world.person).exists()


def document_data(**overrides):
    data = {
        "kind": "visa_application",
        "country": "de",
        "status": "submitted",
        "number": "VA-778",
        "issued_on": "",
        "expires_on": "",
        "deadline": "2030-01-15",
        "deadline_note": "Biometrics appointment",
    }
    data.update(overrides)
    return data


def test_it_adds_a_document(world):
    response = login(world.coordinator).post(url("document_create", world.person), document_data())
    assert response.status_code == 302
    document = Document.objects.get(person=world.person)
    assert (document.country, document.number) == ("DE", "VA-778")


@pytest.mark.parametrize(
    "overrides",
    [
        {"country": "Germany"},
        {"country": "1Z"},
        {"kind": "spaceship"},
        {"deadline": "tomorrow"},
        {"issued_on": "2024-05-01", "expires_on": "2020-05-01"},
    ],
)
def test_it_refuses_a_bad_document(world, overrides):
    response = login(world.coordinator).post(
        url("document_create", world.person), document_data(**overrides)
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not Document.objects.filter(person=world.person).exists()


def test_it_edits_a_document_keeping_its_hidden_number(world):
    client = login(world.coordinator)
    client.post(url("document_create", world.person), document_data())
    document = Document.objects.get(person=world.person)
    edit = reverse("document_edit", kwargs={"document_id": document.pk})
    page = client.get(edit)
    assert b"VA-778" not in page.content
    assert b"Biometrics" not in page.content
    response = client.post(edit, document_data(status="approved", number="", deadline_note=""))
    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.status, document.number) == ("approved", "VA-778")
    assert document.deadline_note == "Biometrics appointment"


@pytest.mark.parametrize("persona", ["viewer", "outsider", "stranger"])
def test_it_refuses_outsider_on_document_edit(world, persona):
    login(world.coordinator).post(url("document_create", world.person), document_data())
    document = Document.objects.get(person=world.person)
    edit = reverse("document_edit", kwargs={"document_id": document.pk})
    client = login(getattr(world, persona))
    assert client.get(edit).status_code == 404
    assert client.post(edit, document_data(status="refused")).status_code == 404
    document.refresh_from_db()
    assert document.status == "submitted"
