"""Safe houses: occupancy never exceeds capacity; a person is in one place at a time."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from safehold.audit.models import AuditEntry
from safehold.shelters.actions import (
    SafeHouseDetails,
    end_placement,
    occupancy,
    place_person,
    reveal_safe_house,
    set_safe_house_status,
    update_safe_house,
)
from safehold.shelters.models import Placement, SafeHouseStatus
from safehold.testing import World, make_person, make_safe_house

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 22)


def _place(world: World, house, start=TODAY, end=None):  # type: ignore[no-untyped-def]
    person = make_person(world.compartment)
    return place_person(person, house, actor=world.coordinator, start_date=start, end_date=end)


def test_a_house_takes_people_up_to_its_capacity(world: World) -> None:
    house = make_safe_house(world.compartment, capacity=2)
    _place(world, house)
    _place(world, house)
    with pytest.raises(ValidationError, match="full"):
        _place(world, house)
    assert occupancy(house, TODAY) == 2


def test_a_stay_that_ended_frees_its_bed(world: World) -> None:
    house = make_safe_house(world.compartment, capacity=1)
    first = _place(world, house, start=TODAY - datetime.timedelta(days=9))
    end_placement(first, actor=world.coordinator, end_date=TODAY - datetime.timedelta(days=1))
    _place(world, house)
    assert occupancy(house, TODAY) == 1


def test_a_person_cannot_be_in_two_houses_at_once(world: World) -> None:
    one = make_safe_house(world.compartment)
    two = make_safe_house(world.compartment)
    place_person(world.person, one, actor=world.coordinator, start_date=TODAY)
    with pytest.raises(ValidationError):
        place_person(world.person, two, actor=world.coordinator, start_date=TODAY)
    assert Placement.objects.filter(person=world.person).count() == 1


def test_a_burned_house_takes_nobody(world: World) -> None:
    set_safe_house_status(
        world.safe_house, SafeHouseStatus.BURNED, actor=world.coordinator, reason="Raided"
    )
    with pytest.raises(ValidationError):
        _place(world, world.safe_house)
    entry = AuditEntry.objects.filter(action="safe_house.status_changed").get()
    assert entry.details["to"] == SafeHouseStatus.BURNED


def test_capacity_cannot_drop_below_current_occupancy(world: World) -> None:
    house = make_safe_house(world.compartment, capacity=3)
    _place(world, house, start=datetime.date.today())
    _place(world, house, start=datetime.date.today())
    details = SafeHouseDetails(
        codename=house.codename, compartment=world.compartment, city=house.city, capacity=1
    )
    with pytest.raises(ValidationError):
        update_safe_house(house, details, actor=world.coordinator)
    house.refresh_from_db()
    assert house.capacity == 3


def test_an_empty_address_in_an_update_keeps_the_old_one(world: World) -> None:
    details = SafeHouseDetails(
        codename="Lighthouse", compartment=world.compartment, city="Kazan", capacity=2
    )
    assert update_safe_house(world.safe_house, details, actor=world.coordinator) == ["city"]
    world.safe_house.refresh_from_db()
    assert world.safe_house.address == "ul. Test 1, kv. 2"


def test_revealing_an_address_records_who_learnt_it(world: World) -> None:
    revealed = reveal_safe_house(world.safe_house, actor=world.viewer, reason="Driving there")
    assert revealed.address == "ul. Test 1, kv. 2"
    entry = AuditEntry.objects.get(action="safe_house.revealed")
    assert (entry.actor_id, entry.object_id) == (world.viewer.pk, str(world.safe_house.pk))


def test_a_stay_cannot_end_before_it_starts(world: World) -> None:
    with pytest.raises(ValidationError):
        _place(world, world.safe_house, start=TODAY, end=TODAY - datetime.timedelta(days=1))
