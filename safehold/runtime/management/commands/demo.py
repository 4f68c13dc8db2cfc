"""`safehold demo`: load the demo organisation once and print its logins.

The demo people, houses and phone numbers are invented. Passwords are random per
installation and kept (mode 0600) in the data directory so later runs can print them.
"""

from __future__ import annotations

import datetime
import json
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from safehold.access.actions import grant_access
from safehold.access.models import Need, TargetKind
from safehold.accounts.actions import create_compartment, create_member, create_organisation
from safehold.accounts.models import Organisation, Role
from safehold.cases.actions import PersonDetails, move_stage, open_case, save_document
from safehold.cases.models import DocumentKind, DocumentStatus, Person, RiskLevel, Stage
from safehold.checkins.actions import issue_link, set_pins, set_schedule
from safehold.shelters.actions import SafeHouseDetails, create_safe_house, place_person

DEMO_ORG = "Demo Shelter Network"
DEMO_PIN, DEMO_DURESS_PIN = "2468", "1357"

MEMBERS = [
    ("admin@demo.safehold.invalid", Role.ADMIN, "Demo Admin", ["North Caucasus", "Volga"]),
    ("anna@demo.safehold.invalid", Role.COORDINATOR, "Анна", ["North Caucasus"]),
    ("mark@demo.safehold.invalid", Role.COORDINATOR, "Mark", ["Volga"]),
    ("lawyer@demo.safehold.invalid", Role.RESPONDER, "Адвокат Ирина", []),
    ("viewer@demo.safehold.invalid", Role.VIEWER, "Observer", ["North Caucasus"]),
]

# codename, compartment, stage path, legal name, phone, risk
PERSONS = [
    (
        "Falcon",
        "North Caucasus",
        ["assessment", "relocation", "sheltered"],
        "Demo Person One",
        "+79161230001",
        RiskLevel.CRITICAL,
    ),
    (
        "Heron",
        "North Caucasus",
        ["assessment", "relocation", "sheltered", "documents_pending"],
        "Demo Person Two",
        "+79161230002",
        RiskLevel.HIGH,
    ),
    ("Swift", "North Caucasus", [], "Demo Person Three", "+79161230003", RiskLevel.HIGH),
    (
        "Kestrel",
        "North Caucasus",
        ["assessment"],
        "Demo Person Four",
        "+79161230004",
        RiskLevel.MEDIUM,
    ),
    (
        "Lark",
        "Volga",
        ["assessment", "relocation", "sheltered"],
        "Demo Person Five",
        "+79161230005",
        RiskLevel.HIGH,
    ),
    (
        "Wren",
        "Volga",
        ["assessment", "relocation", "sheltered", "documents_pending", "departed"],
        "Demo Person Six",
        "+79161230006",
        RiskLevel.MEDIUM,
    ),
    (
        "Plover",
        "Volga",
        ["assessment", "relocation", "sheltered", "documents_pending", "departed", "resettled"],
        "Demo Person Seven",
        "+79161230007",
        RiskLevel.LOW,
    ),
]

HOUSES = [
    (
        "Lighthouse",
        "North Caucasus",
        "Nizhny Novgorod",
        "Nizhny Novgorod Oblast",
        3,
        "Demo street 1, flat 1",
    ),
    ("Orchard", "North Caucasus", "Moscow", "Moscow", 2, "Demo street 2, flat 2"),
    ("Riverside", "Volga", "Kazan", "Tatarstan", 4, "Demo street 3, flat 3"),
]


class Command(BaseCommand):
    help = "Load the demo organisation (once) and print its logins."

    def handle(self, *args: Any, **options: Any) -> None:
        logins_file = settings.SAFEHOLD_DEMO_PASSWORD_FILE
        if Organisation.objects.filter(name=DEMO_ORG).exists():
            saved = json.loads(logins_file.read_text()) if logins_file.exists() else {}
            self._print_logins(saved if isinstance(saved, dict) else {"members": saved})
            return
        logins = self._load()
        logins_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(logins_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(logins, handle)
        self._print_logins(logins)

    @transaction.atomic
    def _load(self) -> dict[str, Any]:
        members = self._load_people()
        now = timezone.now()
        for person in Person.objects.filter(
            organisation__name=DEMO_ORG, stage__in=[Stage.SHELTERED, Stage.DOCUMENTS_PENDING]
        ):
            set_schedule(person, actor=None, kind="interval", interval_minutes=360, now=now)
            set_pins(person, actor=None, pin=DEMO_PIN, duress_pin=DEMO_DURESS_PIN)
        falcon = Person.objects.get(organisation__name=DEMO_ORG, codename="Falcon")
        set_schedule(falcon, actor=None, kind="interval", interval_minutes=120, now=now)
        token = issue_link(falcon, actor=None)
        link = settings.SAFEHOLD_BASE_URL.rstrip("/") + reverse("checkin_page", args=[token])
        return {"members": members, "checkin": {"codename": "Falcon", "link": link}}

    def _load_people(self) -> list[list[str]]:
        organisation = create_organisation(DEMO_ORG, actor=None)
        compartments = {
            name: create_compartment(organisation, name, actor=None)
            for name in ("North Caucasus", "Volga")
        }
        members = {}
        logins = []
        for email, role, name, member_compartments in MEMBERS:
            member, password = create_member(
                organisation,
                email=email,
                role=role,
                actor=None,
                display_name=name,
                compartments=[compartments[c] for c in member_compartments],
            )
            members[email] = member
            logins.append([email, password, role])
        coordinator_for = {
            "North Caucasus": members["anna@demo.safehold.invalid"],
            "Volga": members["mark@demo.safehold.invalid"],
        }
        houses = {}
        for codename, compartment, city, region, capacity, address in HOUSES:
            houses[codename] = create_safe_house(
                SafeHouseDetails(
                    codename=codename,
                    compartment=compartments[compartment],
                    city=city,
                    region=region,
                    capacity=capacity,
                    address=address,
                    access_instructions="Demo: ring twice",
                ),
                actor=coordinator_for[compartment],
                organisation=organisation,
            )
        today = timezone.localdate()
        house_for = {"North Caucasus": ["Lighthouse", "Orchard"], "Volga": ["Riverside"]}
        for index, (codename, compartment, path, legal, phone, risk) in enumerate(PERSONS):
            actor = coordinator_for[compartment]
            person = open_case(
                PersonDetails(
                    codename=codename,
                    compartment=compartments[compartment],
                    legal_name=legal,
                    origin="Demo origin",
                    languages=["ru"],
                    risk_level=risk,
                    coordinator=actor,
                ),
                actor=actor,
                organisation=organisation,
                phones=[phone],
            )
            for stage in path:
                move_stage(person, stage, actor=actor, reason="Demo progress")
            if person.stage in {Stage.SHELTERED, Stage.DOCUMENTS_PENDING}:
                names = house_for[compartment]
                place_person(
                    person,
                    houses[names[index % len(names)]],
                    actor=actor,
                    start_date=today - datetime.timedelta(days=10 + index),
                )
                save_document(
                    person,
                    {
                        "kind": DocumentKind.VISA_APPLICATION,
                        "country": "DE",
                        "status": DocumentStatus.SUBMITTED,
                        "deadline": today + datetime.timedelta(days=index * 3 - 2),
                        "deadline_note": "Demo: embassy appointment",
                    },
                    actor=actor,
                )
            if codename == "Falcon":
                # The demo lawyer is on Falcon's case only: responders see what they are sent to.
                grant_access(
                    members["lawyer@demo.safehold.invalid"],
                    kind=TargetKind.PERSON,
                    target_id=person.pk,
                    organisation_id=organisation.pk,
                    need=Need.REVEAL,
                    actor=actor,
                )
        return logins

    def _print_logins(self, logins: dict[str, Any]) -> None:
        self.stdout.write("Demo logins (invented data; never use the demo with real cases):")
        for email, password, role in logins.get("members", []):
            self.stdout.write(f"  {role:<12} {email:<32} {password}")
        checkin = logins.get("checkin")
        if checkin:
            self.stdout.write(
                f"Check-in page of {checkin['codename']}: {checkin['link']}  "
                f"(PIN {DEMO_PIN}; duress PIN {DEMO_DURESS_PIN})"
            )
