"""Person list and detail: reach through the gatekeepers, masked until revealed."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.urls import reverse

from safehold.access.models import Grant, Need, TargetKind
from safehold.audit.models import AuditEntry
from safehold.cases.actions import add_trusted_contact, save_document
from safehold.cases.models import Stage
from safehold.lib.phones import mask_phone
from safehold.testing import login, make_person

pytestmark = pytest.mark.django_db


def detail(person):
    return reverse("person_detail", kwargs={"person_id": person.pk})


def reveal(person):
    return reverse("person_reveal", kwargs={"person_id": person.pk})


def reveals(person):
    return AuditEntry.objects.filter(action="person.revealed", object_id=str(person.pk))


def test_it_lists_cases_of_my_compartments(world):
    make_person(world.other_compartment, codename="Heron")
    response = login(world.coordinator).get("/persons/")
    assert b"Falcon" in response.content
    assert b"Heron" not in response.content


def test_it_lists_nothing_to_an_outsider(world):
    response = login(world.outsider).get("/persons/")
    assert response.status_code == 200
    assert b"Falcon" not in response.content


def test_it_searches_by_codename(world):
    make_person(world.compartment, codename="Heron")
    response = login(world.coordinator).get("/persons/", {"q": "hero"})
    assert b"Heron" in response.content
    assert b"Falcon" not in response.content


def test_it_filters_by_stage(world):
    make_person(world.compartment, codename="Heron")
    from safehold.cases.actions import move_stage

    move_stage(world.person, Stage.ASSESSMENT, actor=world.coordinator, reason="first call")
    response = login(world.coordinator).get("/persons/", {"stage": "assessment"})
    assert b"Falcon" in response.content
    assert b"Heron" not in response.content


def test_it_shows_an_error_for_an_unknown_stage_filter(world):
    response = login(world.coordinator).get("/persons/", {"stage": "nonsense", "page": "x"})
    assert response.status_code == 200
    assert b"errorlist" in response.content


def test_it_refuses_a_codename_search_too_long(world):
    response = login(world.coordinator).get("/persons/", {"q": "x" * 500})
    assert response.status_code == 200
    assert b"errorlist" in response.content


def test_it_masks_sensitive_fields_by_default(world):
    add_trusted_contact(world.person, actor=world.coordinator, name="Aminat Sister", phone="")
    save_document(
        world.person,
        {"kind": "passport", "country": "ru", "number": "4510 123456"},
        actor=world.coordinator,
    )
    response = login(world.coordinator).get(detail(world.person))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Falcon" in content
    assert "Ruslan Testov" not in content
    assert "Hiding since March" not in content
    assert "Aminat" not in content
    assert "4510 123456" not in content
    assert "+79161234567" not in content
    assert mask_phone("+79161234567") in content
    assert "1 trusted contact, hidden." in content
    assert f'action="{reveal(world.person)}"' in content
    assert not reveals(world.person).exists()


def test_it_reveals_with_a_reason_and_audits_it(world):
    response = login(world.coordinator).post(reveal(world.person), {"reason": "booking a ticket"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Ruslan Testov" in content
    assert "Hiding since March" in content
    assert "+79161234567" in content
    entry = reveals(world.person).get()
    assert entry.actor_id == world.coordinator.pk
    assert entry.details == {"reason": "booking a ticket"}


def test_it_reveals_document_numbers_with_the_rest(world):
    save_document(
        world.person,
        {"kind": "passport", "country": "RU", "number": "4510 123456"},
        actor=world.coordinator,
    )
    response = login(world.coordinator).post(reveal(world.person), {"reason": "visa form"})
    assert "4510 123456" in response.content.decode()


def test_it_shows_values_only_in_the_reveal_response(world):
    client = login(world.coordinator)
    client.post(reveal(world.person), {"reason": "booking a ticket"})
    again = client.get(detail(world.person))
    assert b"Ruslan Testov" not in again.content


def test_it_needs_a_reason_to_reveal(world):
    response = login(world.coordinator).post(reveal(world.person), {"reason": "   "})
    assert response.status_code == 200
    assert b"Ruslan Testov" not in response.content
    assert b"errorlist" in response.content
    assert not reveals(world.person).exists()


def test_it_reveals_by_post_only(world):
    response = login(world.coordinator).get(reveal(world.person))
    assert response.status_code == 405


def test_it_gives_a_viewer_no_reveal_form_and_404_on_reveal(world):
    client = login(world.viewer)
    page = client.get(detail(world.person))
    assert page.status_code == 200
    assert reveal(world.person).encode() not in page.content
    assert (
        reverse("person_edit", kwargs={"person_id": world.person.pk}).encode() not in page.content
    )
    response = client.post(reveal(world.person), {"reason": "curious"})
    assert response.status_code == 404
    assert b"Ruslan" not in response.content
    assert not reveals(world.person).exists()


@pytest.mark.parametrize("persona", ["outsider", "stranger", "responder"])
def test_it_refuses_outsider(world, persona):
    client = login(getattr(world, persona))
    assert client.get(detail(world.person)).status_code == 404
    response = client.post(reveal(world.person), {"reason": "curious"})
    assert response.status_code == 404
    assert not reveals(world.person).exists()


def test_it_answers_not_found_alike_for_missing_and_forbidden(world):
    client = login(world.outsider)
    missing = client.get(reverse("person_detail", kwargs={"person_id": uuid.uuid4()}))
    forbidden = client.get(detail(world.person))
    assert missing.status_code == forbidden.status_code == 404
    assert missing.content == forbidden.content


def test_it_answers_404_to_a_malformed_id(world):
    assert login(world.coordinator).get("/persons/not-a-uuid/").status_code == 404


def test_it_lets_a_responder_with_a_grant_view_but_not_reveal(world):
    Grant.objects.create(
        member=world.responder,
        target_kind=TargetKind.PERSON,
        target_id=world.person.pk,
        need=Need.VIEW,
        granted_by=world.coordinator,
    )
    client = login(world.responder)
    assert client.get(detail(world.person)).status_code == 200
    assert client.post(reveal(world.person), {"reason": "court"}).status_code == 404


def test_it_lets_a_responder_with_a_reveal_grant_reveal(world):
    Grant.objects.create(
        member=world.responder,
        target_kind=TargetKind.PERSON,
        target_id=world.person.pk,
        need=Need.REVEAL,
        granted_by=world.coordinator,
    )
    response = login(world.responder).post(reveal(world.person), {"reason": "court filing"})
    assert b"Ruslan Testov" in response.content


def test_it_shows_stage_history_with_who_and_why_once_revealed(world):
    from safehold.cases.actions import move_stage

    move_stage(world.person, Stage.ASSESSMENT, actor=world.coordinator, reason="first call done")
    content = login(world.viewer).get(detail(world.person)).content.decode()
    assert "Assessment" in content
    assert world.coordinator.label in content
    revealed = login(world.coordinator).post(
        f"/persons/{world.person.pk}/reveal/", {"reason": "Reading the history"}
    )
    assert "first call done" in revealed.content.decode()


def test_it_hides_a_safe_house_outside_my_reach_on_the_person_page(world):
    from safehold.shelters.actions import place_person
    from safehold.testing import make_safe_house

    house = make_safe_house(world.other_compartment, codename="Burrow")
    place_person(world.person, house, actor=world.admin, start_date=datetime.date.today())
    response = login(world.coordinator).get(detail(world.person))
    assert b"Burrow" not in response.content
    assert b"A safe house outside your compartments" in response.content


def test_stage_reasons_stay_masked_until_revealed(world):
    from safehold.cases.actions import move_stage

    move_stage(world.person, "assessment", actor=world.coordinator, reason="Moved to Lenina 5")
    page = login(world.viewer).get(f"/persons/{world.person.pk}/")
    assert page.status_code == 200
    assert b"Lenina 5" not in page.content
    revealed = login(world.coordinator).post(
        f"/persons/{world.person.pk}/reveal/", {"reason": "Checking the move"}
    )
    assert "Lenina 5" in revealed.content.decode()


def test_the_coordinator_list_shows_only_colleagues_of_shared_compartments(world):
    page = login(world.stranger).get("/persons/new/").content.decode()
    assert world.coordinator.email not in page
    assert world.coordinator.label not in page
