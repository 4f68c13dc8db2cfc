"""The person's check-in page and API, and the responder's one-tap link, over HTTP."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from safehold.alerts.actions import open_alert
from safehold.alerts.links import ack_token
from safehold.alerts.models import AlertKind, AlertState, Notification
from safehold.alerts.tests.helpers import DURESS_PIN, PIN, add_channel, watch
from safehold.audit.models import AuditEntry
from safehold.checkins.models import Checkin
from safehold.testing import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(world: World) -> str:
    return watch(world.person)


def _page(client: Client, link: str, pin: str, request_id: str = "r1"):  # type: ignore[no-untyped-def]
    return client.post(f"/c/{link}/", {"pin": pin, "request_id": request_id})


def _comparable(html: bytes) -> str:
    # Each page carries a fresh random request id for its next submission.
    return re.sub(r'name="request_id" value="[^"]+"', "", html.decode())


def test_the_page_works_without_signing_in_or_cookies(link: str) -> None:
    client = Client()
    page = client.get(f"/c/{link}/")
    assert page.status_code == 200
    assert b'name="pin"' in page.content
    assert b"<script" not in page.content
    assert not page.cookies
    assert page["Cache-Control"].startswith("no-store") or "no-store" in page["Cache-Control"]


def test_the_duress_pin_gets_the_very_same_page(world: World, link: str) -> None:
    normal = _page(Client(), link, PIN, "a")
    duress = _page(Client(), link, DURESS_PIN, "b")
    assert normal.status_code == duress.status_code == 200
    assert _comparable(normal.content) == _comparable(duress.content)
    assert sorted(normal.headers) == sorted(duress.headers)
    assert list(Checkin.objects.order_by("at").values_list("outcome", flat=True)) == [
        "ok",
        "duress",
    ]


def test_a_wrong_pin_says_so_without_echoing_it(link: str) -> None:
    page = _page(Client(), link, "9999")
    assert b"Not saved" in page.content
    assert b"9999" not in page.content


def test_an_unknown_link_is_a_plain_not_found(world: World) -> None:
    assert Client().get("/c/not-a-real-link/").status_code == 404
    assert _page(Client(), "not-a-real-link", PIN).status_code == 404


def test_the_api_answers_alike_for_both_pins(link: str) -> None:
    def post(pin: str, request_id: str):  # type: ignore[no-untyped-def]
        body = json.dumps({"link": link, "pin": pin, "request_id": request_id})
        return Client().post("/api/v1/checkin", body, content_type="application/json")

    normal, duress = post(PIN, "a"), post(DURESS_PIN, "b")
    assert normal.status_code == duress.status_code == 200
    assert normal.json()["status"] == duress.json()["status"] == "accepted"
    assert set(normal.json()) == set(duress.json())
    replay = post(PIN, "a")
    assert replay.json() == normal.json()
    assert post("0000", "c").status_code == 403


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"link": 1}', b'{"link": "x", "pin": "1"}', b"{" * 10000],
)
def test_the_api_refuses_bad_bodies_clearly(world: World, body: bytes) -> None:
    response = Client().post("/api/v1/checkin", body, content_type="application/json")
    assert response.status_code in (400, 413)
    assert "error" in response.json()


def test_the_ack_link_shows_the_alert_and_acknowledges_on_the_button(world: World) -> None:
    world.person.coordinator = world.coordinator
    world.person.save()
    add_channel(world.coordinator, "json://x.test/")
    alert = open_alert(world.person, AlertKind.DURESS)
    notification = Notification.objects.get(alert=alert)
    url = f"/a/{ack_token(notification.id)}/"
    page = Client().get(url)
    assert page.status_code == 200
    assert alert.code in page.content.decode()
    assert b"uress" not in page.content  # the page does not say "duress" either
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN  # opening the link changed nothing
    Client().post(url)
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    assert alert.acknowledged_by == world.coordinator
    assert AuditEntry.objects.get(action="alert.acknowledged").details == {"via": "link"}


def test_a_forged_or_altered_ack_link_is_not_found(world: World) -> None:
    world.person.coordinator = world.coordinator
    world.person.save()
    alert = open_alert(world.person, AlertKind.MANUAL)
    token = ack_token(Notification.objects.get(alert=alert).id)
    assert Client().get(f"/a/{token[:-2]}xx/").status_code == 404
    assert Client().post("/a/forged/").status_code == 404
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_the_api_acknowledges_with_a_link_token(world: World) -> None:
    world.person.coordinator = world.coordinator
    world.person.save()
    alert = open_alert(world.person, AlertKind.MISSED_CHECKIN)
    token = ack_token(Notification.objects.get(alert=alert).id)

    def post(body: object):  # type: ignore[no-untyped-def]
        return Client().post("/api/v1/ack", json.dumps(body), content_type="application/json")

    assert post({"token": token[:-3] + "abc"}).status_code == 404
    assert post({"nothing": 1}).status_code == 400
    first = post({"token": token})
    assert first.status_code == 200
    assert first.json() == {"code": alert.code, "state": "acknowledged", "acknowledged_now": True}
    assert post({"token": token}).json()["acknowledged_now"] is False
    assert AuditEntry.objects.get(action="alert.acknowledged").details == {"via": "api"}
