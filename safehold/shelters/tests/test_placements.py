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


D = datetime.date


@pytest.mark.parametrize(
    ("stays", "window", "peak"),
    [
        ([], (D(2026, 1, 1), None), 0),
        ([(D(2026, 1, 1), D(2026, 1, 2)), (D(2026, 1, 3), None)], (D(2026, 1, 1), None), 1),
        ([(D(2026, 1, 1), D(2026, 1, 3)), (D(2026, 1, 3), None)], (D(2026, 1, 1), None), 2),
        ([(D(2026, 1, 1), None), (D(2026, 2, 1), None)], (D(2026, 1, 1), D(2026, 1, 31)), 1),
        (
            [(D(2026, 1, 1), D(2026, 1, 5)), (D(2026, 1, 6), D(2026, 1, 9))],
            (D(2026, 1, 5), None),
            1,
        ),
    ],
)
def test_peak_occupancy_counts_the_fullest_day(stays, window, peak) -> None:  # type: ignore[no-untyped-def]
    from safehold.shelters.actions import peak_occupancy

    assert peak_occupancy(stays, *window) == peak


def test_lengthening_a_stay_cannot_overfill_the_house(world: World) -> None:
    house = make_safe_house(world.compartment, capacity=1)
    first = _place(world, house, start=TODAY, end=TODAY + datetime.timedelta(days=2))
    _place(world, house, start=TODAY + datetime.timedelta(days=3))
    with pytest.raises(ValidationError, match="full"):
        end_placement(first, actor=world.coordinator, end_date=TODAY + datetime.timedelta(days=30))
    first.refresh_from_db()
    assert first.end_date == TODAY + datetime.timedelta(days=2)


def test_lengthening_a_stay_cannot_double_book_the_person(world: World) -> None:
    one, two = make_safe_house(world.compartment), make_safe_house(world.compartment)
    first = place_person(
        world.person,
        one,
        actor=world.coordinator,
        start_date=TODAY,
        end_date=TODAY + datetime.timedelta(days=2),
    )
    place_person(
        world.person, two, actor=world.coordinator, start_date=TODAY + datetime.timedelta(days=3)
    )
    with pytest.raises(ValidationError):
        end_placement(first, actor=world.coordinator, end_date=TODAY + datetime.timedelta(days=9))


def test_capacity_cannot_drop_below_future_bookings(world: World) -> None:
    house = make_safe_house(world.compartment, capacity=2)
    next_week = datetime.date.today() + datetime.timedelta(days=7)
    _place(world, house, start=next_week)
    _place(world, house, start=next_week)
    details = SafeHouseDetails(
        codename=house.codename, compartment=world.compartment, city=house.city, capacity=1
    )
    with pytest.raises(ValidationError):
        update_safe_house(house, details, actor=world.coordinator)


def test_who_knows_the_address_includes_whoever_changed_it(world: World) -> None:
    from safehold.shelters.knowledge import who_knows_address

    details = SafeHouseDetails(
        codename="Lighthouse",
        compartment=world.compartment,
        city="Kazan",
        capacity=2,
        address="New street 5",
    )
    update_safe_house(world.safe_house, details, actor=world.admin)
    reveal_safe_house(world.safe_house, actor=world.viewer, reason="Driving there")
    knowers = {(k.label, k.how) for k in who_knows_address(world.safe_house)}
    assert knowers == {
        (world.coordinator.label, "entered"),
        (world.admin.label, "changed"),
        (world.viewer.label, "revealed"),
    }


def test_the_database_refuses_codenames_differing_only_in_case(world: World) -> None:
    from django.db import IntegrityError, transaction

    from safehold.shelters.models import SafeHouse

    with pytest.raises(IntegrityError), transaction.atomic():
        SafeHouse.objects.create(
            organisation=world.organisation,
            compartment=world.compartment,
            codename="LIGHTHOUSE",
            city="Kazan",
            capacity=1,
            address="x",
        )
