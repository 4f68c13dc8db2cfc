"""Write one of every sensitive value through the real actions (run as a subprocess)."""

from __future__ import annotations

import datetime
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safehold.settings")
django.setup()

from safehold.accounts.actions import create_compartment, create_member, create_organisation  # noqa: E402
from safehold.accounts.models import Role  # noqa: E402
from safehold.cases.actions import (  # noqa: E402
    PersonDetails,
    add_trusted_contact,
    move_stage,
    open_case,
    reveal_person,
    save_document,
)
from safehold.shelters.actions import SafeHouseDetails, create_safe_house, place_person  # noqa: E402

MARKERS = {
    "legal_name": "Zelimkhan Markerov",
    "cyrillic_name": "Хава Маркерова",
    "phone": "+79031234599",
    "address": "Markerstrasse 77",
    "instructions": "MARKER-DOOR-CODE-5521",
    "notes": "MARKER-NOTE-4471",
    "reason": "MARKER-REASON-8812",
    "email": "marker.member@example.org",
    "member_name": "Markus Markerman",
    "city": "Markertown",
    "document": "MARKER-PASSPORT-3390",
}


def main() -> None:
    organisation = create_organisation("At Rest Test", actor=None)
    compartment = create_compartment(organisation, "Main", actor=None)
    member, _ = create_member(
        organisation,
        email=MARKERS["email"],
        role=Role.COORDINATOR,
        actor=None,
        display_name=MARKERS["member_name"],
        compartments=[compartment],
    )
    person = open_case(
        PersonDetails(
            codename="Sparrow",
            compartment=compartment,
            legal_name=MARKERS["legal_name"],
            aliases=[MARKERS["cyrillic_name"]],
            date_of_birth=datetime.date(1999, 4, 13),
            origin="Markerovo",
            city=MARKERS["city"],
            notes=MARKERS["notes"],
        ),
        actor=member,
        organisation=organisation,
        phones=[MARKERS["phone"]],
    )
    add_trusted_contact(
        person, actor=member, name=MARKERS["cyrillic_name"], phone="+79031234588", notes="sister"
    )
    move_stage(person, "assessment", actor=member, reason=MARKERS["reason"])
    save_document(
        person, {"kind": "passport", "country": "RU", "number": MARKERS["document"]}, actor=member
    )
    house = create_safe_house(
        SafeHouseDetails(
            codename="Attic",
            compartment=compartment,
            city="Kazan",
            capacity=2,
            address=MARKERS["address"],
            access_instructions=MARKERS["instructions"],
        ),
        actor=member,
        organisation=organisation,
    )
    place_person(person, house, actor=member, start_date=datetime.date.today())
    reveal_person(person, actor=member, reason=MARKERS["reason"])
    sys.stdout.write("scenario written\n")


if __name__ == "__main__":
    main()
