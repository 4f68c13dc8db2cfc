"""Safe houses: masked address, reveal, who knows it, edits, status and placements."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.urls import reverse

from safehold.audit.models import AuditEntry
from safehold.shelters.actions import place_person, reveal_safe_house
from safehold.shelters.models import Placement, SafeHouse
from safehold.testing import login, make_person, make_safe_house

pytestmark = pytest.mark.django_db

ADDRESS = "ul. Test 1, kv. 2"


def url(name, house, **extra):
    return reverse(name, kwargs={"safe_house_id": house.pk, **extra})


def test_it_lists_houses_with_occupancy(world):
    place_person(world.person, world.safe_house, actor=world.coordinator, start_date=world.today)
    make_safe_house(world.other_compartment, codename="Burrow")
    response = login(world.coordinator).get("/safe-houses/")
    content = response.content.decode()
    assert "Lighthouse" in content
    assert "1 of 2" in content
    assert "Burrow" not in content
    assert ADDRESS not in content


def test_it_lists_nothing_to_an_outsider(world):
    response = login(world.outsider).get("/safe-houses/")
    assert b"Lighthouse" not in response.content


def test_it_masks_the_address_by_default(world):
    response = login(world.coordinator).get(url("safe_house_detail", world.safe_house))
    assert response.status_code == 200
    assert b"Lighthouse" in response.content
    assert ADDRESS.encode() not in response.content


def test_it_reveals_the_address_with_a_reason_and_audits_it(world):
    response = login(world.coordinator).post(
        url("safe_house_reveal", world.safe_house), {"reason": "driving Falcon there"}
    )
    assert response.status_code == 200
    assert ADDRESS.encode() in response.content
    entry = AuditEntry.objects.get(action="safe_house.revealed", object_id=str(world.safe_house.pk))
    assert entry.actor_id == world.coordinator.pk
    assert entry.details == {"reason": "driving Falcon there"}


def test_it_needs_a_reason_to_reveal_the_address(world):
    response = login(world.coordinator).post(url("safe_house_reveal", world.safe_house), {})
    assert ADDRESS.encode() not in response.content
    assert b"errorlist" in response.content
    assert not AuditEntry.objects.filter(action="safe_house.revealed").exists()


def test_it_refuses_a_viewer_the_reveal_and_the_edit(world):
    client = login(world.viewer)
    page = client.get(url("safe_house_detail", world.safe_house))
    assert page.status_code == 200
    assert url("safe_house_reveal", world.safe_house).encode() not in page.content
    response = client.post(url("safe_house_reveal", world.safe_house), {"reason": "curious"})
    assert response.status_code == 404
    assert client.get(url("safe_house_edit", world.safe_house)).status_code == 404
    assert not AuditEntry.objects.filter(action="safe_house.revealed").exists()


@pytest.mark.parametrize("persona", ["outsider", "stranger", "responder"])
@pytest.mark.parametrize(
    "name",
    [
        "safe_house_detail",
        "safe_house_reveal",
        "safe_house_edit",
        "safe_house_status",
        "placement_create",
    ],
)
def test_it_refuses_outsider(world, persona, name):
    client = login(getattr(world, persona))
    expected_post = 405 if name == "safe_house_detail" else 404
    assert client.post(url(name, world.safe_house), {"reason": "x"}).status_code == expected_post
    expected_get = 405 if name == "safe_house_reveal" else 404
    assert client.get(url(name, world.safe_house)).status_code == expected_get
    assert not AuditEntry.objects.filter(action="safe_house.revealed").exists()


def test_it_shows_who_knows_the_address_to_editors(world):
    reveal_safe_house(world.safe_house, actor=world.admin, reason="inspection")
    response = login(world.coordinator).get(url("safe_house_detail", world.safe_house))
    content = response.content.decode()
    assert "Who knows this address" in content
    assert world.admin.label in content
    assert world.coordinator.label in content  # entered it when creating the house


def test_it_hides_who_knows_from_viewers(world):
    reveal_safe_house(world.safe_house, actor=world.admin, reason="inspection")
    response = login(world.viewer).get(url("safe_house_detail", world.safe_house))
    assert b"Who knows this address" not in response.content
    assert world.admin.label.encode() not in response.content


def house_data(world, **overrides):
    data = {
        "codename": "Harbour",
        "compartment": str(world.compartment.pk),
        "city": "Tbilisi",
        "region": "",
        "capacity": "3",
        "address": "Rustaveli 5",
        "access_instructions": "Ring twice",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_it_creates_a_safe_house(world):
    response = login(world.coordinator).post("/safe-houses/new/", house_data(world))
    house = SafeHouse.objects.get(codename="Harbour")
    assert response["Location"] == url("safe_house_detail", house)
    assert (house.address, house.capacity) == ("Rustaveli 5", 3)


@pytest.mark.parametrize(
    "overrides",
    [
        {"address": ""},
        {"capacity": "0"},
        {"capacity": "many"},
        {"capacity": "99999999999999999999"},
        {"codename": "lighthouse"},
        {"city": "x" * 101},
        {"compartment": "bogus"},
    ],
)
def test_it_refuses_a_bad_safe_house(world, overrides):
    count = SafeHouse.objects.count()
    response = login(world.coordinator).post("/safe-houses/new/", house_data(world, **overrides))
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert SafeHouse.objects.count() == count


def test_it_refuses_the_create_form_to_a_viewer(world):
    assert login(world.viewer).get("/safe-houses/new/").status_code == 403


def test_it_edits_a_safe_house_keeping_the_hidden_address(world):
    client = login(world.coordinator)
    page = client.get(url("safe_house_edit", world.safe_house))
    assert ADDRESS.encode() not in page.content
    response = client.post(
        url("safe_house_edit", world.safe_house),
        house_data(world, codename="Lighthouse", address="", access_instructions="", capacity="4"),
    )
    assert response.status_code == 302
    house = SafeHouse.objects.get(pk=world.safe_house.pk)
    assert (house.address, house.capacity, house.city) == (ADDRESS, 4, "Tbilisi")


def test_it_refuses_a_capacity_below_occupancy(world):
    other = make_person(world.compartment, codename="Heron")
    for person in (world.person, other):
        place_person(person, world.safe_house, actor=world.coordinator, start_date=world.today)
    response = login(world.coordinator).post(
        url("safe_house_edit", world.safe_house),
        house_data(world, codename="Lighthouse", address="", capacity="1"),
    )
    assert response.status_code == 200
    assert b"capacity cannot be lower" in response.content
    assert SafeHouse.objects.get(pk=world.safe_house.pk).capacity == 2


def test_it_changes_status_with_a_reason(world):
    client = login(world.coordinator)
    missing = client.post(url("safe_house_status", world.safe_house), {"status": "burned"})
    assert b"errorlist" in missing.content
    response = client.post(
        url("safe_house_status", world.safe_house), {"status": "burned", "reason": "seen police"}
    )
    assert response.status_code == 302
    assert SafeHouse.objects.get(pk=world.safe_house.pk).status == "burned"
    entry = AuditEntry.objects.get(action="safe_house.status_changed")
    assert entry.details["reason"] == "seen police"


def test_it_places_a_person(world):
    response = login(world.coordinator).post(
        url("placement_create", world.safe_house),
        {"person": str(world.person.pk), "start_date": str(world.today), "end_date": ""},
    )
    assert response.status_code == 302
    assert Placement.objects.filter(person=world.person, safe_house=world.safe_house).exists()


def test_it_refuses_a_placement_over_capacity(world):
    house = make_safe_house(world.compartment, codename="Cabin", capacity=1)
    place_person(world.person, house, actor=world.coordinator, start_date=world.today)
    other = make_person(world.compartment, codename="Heron")
    response = login(world.coordinator).post(
        url("placement_create", house),
        {"person": str(other.pk), "start_date": str(world.today), "end_date": ""},
    )
    assert response.status_code == 200
    assert b"This safe house is full for these dates." in response.content
    assert not Placement.objects.filter(person=other).exists()


def test_it_refuses_a_placement_in_a_burned_house(world):
    SafeHouse.objects.filter(pk=world.safe_house.pk).update(status="burned")
    response = login(world.coordinator).post(
        url("placement_create", world.safe_house),
        {"person": str(world.person.pk), "start_date": str(world.today), "end_date": ""},
    )
    assert b"This safe house is not active." in response.content
    assert not Placement.objects.exists()


def test_it_offers_only_persons_i_may_edit(world):
    hidden = make_person(world.other_compartment, codename="Heron")
    client = login(world.coordinator)
    page = client.get(url("placement_create", world.safe_house))
    assert b"Falcon" in page.content
    assert b"Heron" not in page.content
    response = client.post(
        url("placement_create", world.safe_house),
        {"person": str(hidden.pk), "start_date": str(world.today), "end_date": ""},
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not Placement.objects.exists()


@pytest.mark.parametrize(
    "start, end",
    [("2026-13-01", ""), ("", ""), ("2030-05-10", "2030-05-01")],
)
def test_it_refuses_bad_placement_dates(world, start, end):
    response = login(world.coordinator).post(
        url("placement_create", world.safe_house),
        {"person": str(world.person.pk), "start_date": start, "end_date": end},
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not Placement.objects.exists()


def test_it_ends_a_placement(world):
    placement = place_person(
        world.person, world.safe_house, actor=world.coordinator, start_date=world.today
    )
    end = url("placement_end", world.safe_house, placement_id=placement.pk)
    later = world.today + datetime.timedelta(days=3)
    response = login(world.coordinator).post(end, {"end_date": str(later)})
    assert response.status_code == 302
    placement.refresh_from_db()
    assert placement.end_date == later


def test_it_refuses_to_end_a_stay_before_it_starts(world):
    placement = place_person(
        world.person, world.safe_house, actor=world.coordinator, start_date=world.today
    )
    end = url("placement_end", world.safe_house, placement_id=placement.pk)
    earlier = world.today - datetime.timedelta(days=3)
    response = login(world.coordinator).post(end, {"end_date": str(earlier)})
    assert b"The stay cannot end before it starts." in response.content


@pytest.mark.parametrize("persona", ["viewer", "outsider", "stranger"])
def test_it_refuses_outsider_to_end_a_placement(world, persona):
    placement = place_person(
        world.person, world.safe_house, actor=world.coordinator, start_date=world.today
    )
    end = url("placement_end", world.safe_house, placement_id=placement.pk)
    response = login(getattr(world, persona)).post(end, {"end_date": str(world.today)})
    assert response.status_code == 404
    placement.refresh_from_db()
    assert placement.end_date is None


def test_it_refuses_a_placement_of_another_house(world):
    other = make_safe_house(world.compartment, codename="Cabin")
    placement = place_person(world.person, other, actor=world.coordinator, start_date=world.today)
    end = url("placement_end", world.safe_house, placement_id=placement.pk)
    assert login(world.coordinator).get(end).status_code == 404
    wrong = url("placement_end", world.safe_house, placement_id=uuid.uuid4())
    assert login(world.coordinator).get(wrong).status_code == 404


def test_it_hides_a_person_outside_my_reach_in_a_house(world):
    hidden = make_person(world.other_compartment, codename="Heron")
    place_person(hidden, world.safe_house, actor=world.admin, start_date=world.today)
    response = login(world.coordinator).get(url("safe_house_detail", world.safe_house))
    assert b"Heron" not in response.content
    assert b"A person outside your compartments" in response.content
