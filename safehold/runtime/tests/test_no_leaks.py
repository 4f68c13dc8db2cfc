"""Names, phones, addresses and notes never reach logs, URLs or error pages.

The views are driven with marker values — good input, bad input and refused input —
while every log record of every logger is captured and searched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from safehold.cases.models import Person
from safehold.shelters.models import SafeHouse
from safehold.testing import World, login

pytestmark = pytest.mark.django_db

MARKERS = {
    "legal_name": "Zelimkhan Leakcheckov",
    "notes": "LEAKCHECK-NOTE-7781",
    "phone": "+79031234511",
    "address": "Leakcheck prospekt 9",
    "contact": "Хава Утечкина",
    "reason": "LEAKCHECK-REASON-1203",
}


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


@pytest.fixture
def captured_logs() -> Iterator[_Everything]:
    handler = _Everything()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in ("django", "django.request", "django.server", "django.security", "safehold"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def _drive(client: Client, world: World) -> list[object]:
    """Make the requests a coordinator would, with markers everywhere; return responses."""
    responses = []

    def post(name: str, data: dict[str, object], **kwargs: object) -> None:
        responses.append(client.post(reverse(name, kwargs=kwargs or None), data))

    post(
        "person_create",
        {
            "codename": "Leakcheck",
            "compartment": str(world.compartment.pk),
            "risk_level": "high",
            "legal_name": MARKERS["legal_name"],
            "notes": MARKERS["notes"],
            "phones": MARKERS["phone"],
        },
    )
    person = Person.objects.get(codename="Leakcheck")
    pid = str(person.pk)
    # Bad input carrying markers: a refused phone, a missing codename, an overlong field.
    post("person_add_phone", {"number": MARKERS["legal_name"]}, person_id=pid)
    post("person_create", {"legal_name": MARKERS["legal_name"], "notes": MARKERS["notes"]})
    post("person_add_contact", {"name": MARKERS["contact"] * 500}, person_id=pid)
    post("person_add_contact", {"name": MARKERS["contact"], "phone": "+79031234522"}, person_id=pid)
    post("person_reveal", {"reason": MARKERS["reason"]}, person_id=pid)
    post(
        "person_move_stage", {"to_stage": "assessment", "reason": MARKERS["reason"]}, person_id=pid
    )
    post(
        "safe_house_create",
        {
            "codename": "Leakhouse",
            "compartment": str(world.compartment.pk),
            "city": "Kazan",
            "capacity": "2",
            "address": MARKERS["address"],
        },
    )
    house = SafeHouse.objects.get(codename="Leakhouse")
    post("safe_house_reveal", {"reason": MARKERS["reason"]}, safe_house_id=str(house.pk))
    # Refused requests: another member's view of the same records.
    stranger = login(world.stranger)
    responses.append(stranger.get(reverse("person_detail", kwargs={"person_id": pid})))
    responses.append(stranger.post(reverse("person_reveal", kwargs={"person_id": pid}), {}))
    responses.append(client.get("/no-such-page/" + MARKERS["notes"]))
    responses.append(
        Client().post(reverse("login"), {"email": MARKERS["contact"], "password": "x"})
    )
    return responses


def _leaks(text: str) -> list[str]:
    return [name for name, value in MARKERS.items() if value in text]


def test_no_marker_reaches_a_log_or_a_redirect(world: World, captured_logs: _Everything) -> None:
    client = login(world.coordinator)
    responses = _drive(client, world)
    assert len(captured_logs.lines) > 0  # the requests did log (404s, refusals)
    assert _leaks("\n".join(captured_logs.lines)) == []
    for response in responses:
        assert _leaks(response.get("Location", "")) == []
        assert response.status_code < 500


def test_error_pages_show_no_marker(world: World) -> None:
    client = login(world.coordinator)
    for response in _drive(client, world):
        if response.status_code >= 400:
            assert _leaks(response.content.decode(errors="replace")) == [], response.status_code


def test_the_markers_really_were_stored(world: World) -> None:
    # The control: the drive above did write the values, so their absence means something.
    _drive(login(world.coordinator), world)
    person = Person.objects.get(codename="Leakcheck")
    assert person.legal_name == MARKERS["legal_name"]
    assert [p.number for p in person.phones.all()] == [MARKERS["phone"]]
    assert SafeHouse.objects.get(codename="Leakhouse").address == MARKERS["address"]
