"""Personas and `make_*` helpers for tests (loaded as a pytest plugin by conftest.py).

Every view test has an outsider who is refused: `outsider` is a coordinator of another
organisation, `stranger` a coordinator of another compartment of the same one.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from safehold.accounts.models import Compartment, Member, Organisation, Role
from safehold.cases.actions import PersonDetails, open_case, save_document
from safehold.cases.models import Person
from safehold.shelters.actions import SafeHouseDetails, create_safe_house, place_person
from safehold.shelters.models import SafeHouse

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_organisation(name: str | None = None) -> Organisation:
    return Organisation.objects.create(name=name or f"Org {next(_counter)}")


def make_compartment(organisation: Organisation, name: str | None = None) -> Compartment:
    return Compartment.objects.create(
        organisation=organisation, name=name or f"Compartment {next(_counter)}"
    )


def make_member(
    organisation: Organisation | None,
    role: str = Role.COORDINATOR,
    compartments: list[Compartment] | tuple[Compartment, ...] = (),
    email: str | None = None,
    **extra: Any,
) -> Member:
    member = Member.objects.create_user(
        email or f"member{next(_counter)}@example.org",
        PASSWORD,
        organisation=organisation,
        role=role,
        display_name=extra.pop("display_name", ""),
        **extra,
    )
    member.compartments.add(*compartments)
    return member


def make_person(compartment: Compartment, *, actor: Member | None = None, **fields: Any) -> Person:
    phones = fields.pop("phones", [])
    details = PersonDetails(
        codename=fields.pop("codename", f"Sparrow-{next(_counter)}"),
        compartment=compartment,
        **fields,
    )
    return open_case(details, actor=actor, organisation=compartment.organisation, phones=phones)


def make_safe_house(
    compartment: Compartment, *, actor: Member | None = None, **fields: Any
) -> SafeHouse:
    details = SafeHouseDetails(
        codename=fields.pop("codename", f"House-{next(_counter)}"),
        compartment=compartment,
        city=fields.pop("city", "Nizhny Novgorod"),
        capacity=fields.pop("capacity", 2),
        address=fields.pop("address", "ul. Test 1, kv. 2"),
        **fields,
    )
    return create_safe_house(details, actor=actor, organisation=compartment.organisation)


def login(member: Member) -> Client:
    client = Client()
    client.force_login(member)
    return client


@dataclass
class World:
    """One organisation with two compartments, a case and a safe house in the first."""

    organisation: Organisation
    compartment: Compartment
    other_compartment: Compartment
    admin: Member
    coordinator: Member
    viewer: Member
    responder: Member
    stranger: Member
    outsider: Member
    person: Person
    safe_house: SafeHouse
    today: datetime.date


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def build_world() -> World:
    """Create the personas' organisation; see World."""
    organisation = make_organisation("Rainbow Shelter Network")
    compartment = make_compartment(organisation, "North Caucasus")
    other = make_compartment(organisation, "Siberia")
    coordinator = make_member(organisation, Role.COORDINATOR, [compartment])
    person = make_person(
        compartment,
        actor=coordinator,
        codename="Falcon",
        legal_name="Ruslan Testov",
        notes="Hiding since March",
        phones=["+79161234567"],
    )
    house = make_safe_house(compartment, actor=coordinator, codename="Lighthouse")
    other_org = make_organisation("Another Network")
    return World(
        organisation=organisation,
        compartment=compartment,
        other_compartment=other,
        admin=make_member(organisation, Role.ADMIN, [compartment]),
        coordinator=coordinator,
        viewer=make_member(organisation, Role.VIEWER, [compartment]),
        responder=make_member(organisation, Role.RESPONDER, [compartment]),
        stranger=make_member(organisation, Role.COORDINATOR, [other]),
        outsider=make_member(other_org, Role.COORDINATOR, [make_compartment(other_org)]),
        person=person,
        safe_house=house,
        today=datetime.date.today(),
    )


def url_routes() -> Iterator[tuple[str, URLPattern]]:
    """Yield every (route, pattern) of the app, e.g. ("persons/<uuid:person_id>/", ...)."""

    def walk(resolver: URLResolver, prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + str(entry.pattern))
            else:
                yield prefix + str(entry.pattern), entry

    return walk(get_resolver(), "")


def fill_route(route: str, ids: dict[str, str]) -> str:
    """Turn 'persons/<uuid:person_id>/' into a real path with the given ids."""
    path = route
    for name, value in ids.items():
        path = re.sub(rf"<\w+:{name}>", value, path)
    assert "<" not in path, f"no id given for a parameter of {route!r}"
    return "/" + path


@pytest.fixture
def record_ids(world: World) -> dict[str, str]:
    """Ids of one record of every kind in the world, by URL parameter name."""
    document = save_document(
        world.person, {"kind": "passport", "country": "RU"}, actor=world.coordinator
    )
    placement = place_person(
        world.person, world.safe_house, actor=world.coordinator, start_date=world.today
    )
    from safehold.alerts.actions import open_alert
    from safehold.alerts.models import AlertKind, Channel, DutyShift

    alert = open_alert(world.person, AlertKind.MANUAL, actor=world.coordinator)
    channel = Channel.objects.create(
        member=world.coordinator, position=1, url="json://127.0.0.1:9/hook", scheme="json"
    )
    shift = DutyShift.objects.create(
        compartment=world.compartment,
        member=world.coordinator,
        starts_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC),
    )
    from safehold.checkins.actions import issue_link, set_pins, set_schedule

    set_schedule(world.person, actor=None, kind="interval", interval_minutes=60, now=timezone.now())
    set_pins(world.person, actor=None, pin="2468", duress_pin="1357")
    from safehold.incidents.actions import open_incident
    from safehold.incidents.dispatch import dispatch_responder
    from safehold.incidents.models import ResponderProfile
    from safehold.records.evidence import add_file

    incident = open_incident(kind="person_missing", actor=world.coordinator, person=world.person)
    lawyer = make_member(world.organisation, Role.RESPONDER)
    ResponderProfile.objects.create(member=lawyer, kinds=["lawyer"])
    dispatch = dispatch_responder(incident, actor=world.coordinator, responder=lawyer)
    assert dispatch is not None
    item = add_file(incident, actor=world.coordinator, name="door.jpg", data=b"\xff\xd8photo")
    # A member of a third organisation: coordinators manage their own organisation's
    # responders, so no persona may reach this one.
    elsewhere = make_member(make_organisation(), Role.RESPONDER)
    return {
        "token": issue_link(world.person, actor=None),
        "person_id": str(world.person.pk),
        "safe_house_id": str(world.safe_house.pk),
        "document_id": str(document.pk),
        "placement_id": str(placement.pk),
        "alert_id": str(alert.pk),
        "channel_id": str(channel.pk),
        "compartment_id": str(world.compartment.pk),
        "shift_id": str(shift.pk),
        "incident_id": str(incident.pk),
        "task_id": str(incident.tasks.get(position=1).pk),
        "dispatch_id": str(dispatch.pk),
        "item_id": str(item.pk),
        "member_id": str(elsewhere.pk),
        # Not a secret: the kind of playbook in /playbooks/<kind>/.
        "kind": "person_missing",
    }
