"""The responder's one-tap link page: what this member may know, what to do next, and
the button; as the signed-in alert page would show it to them."""

from __future__ import annotations

import datetime
import time
import uuid

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from safehold.accounts.models import Member
from safehold.alerts.actions import PanicReport, open_alert, open_panic
from safehold.alerts.links import ACK_LINK_LIFETIME, ack_token
from safehold.alerts.models import Alert, AlertKind, AlertState, Notification
from safehold.alerts.tests.helpers import PIN, watch
from safehold.front.tests.test_in_a_real_browser import page  # noqa: F401 (fixture)
from safehold.incidents.models import IncidentKind, Playbook
from safehold.incidents.playbooks import playbook_for
from safehold.shelters.actions import place_person
from safehold.testing import World

pytestmark = pytest.mark.django_db

FIXED_FIRST_STEP = "Call the person on the agreed line. Do not send details by text message."


def _link(alert: Alert, member: Member) -> str:
    notification = Notification.objects.filter(alert=alert, member=member).first()
    if notification is None:
        notification = Notification.objects.create(
            alert=alert, member=member, idempotency_key=f"sh-{uuid.uuid4().hex}"
        )
    return f"/a/{ack_token(notification.id)}/"


def _panic(world: World) -> Alert:
    """A panic by SMS with a place, from a person placed in the Lighthouse who checked in."""
    place_person(
        world.person,
        world.safe_house,
        actor=world.coordinator,
        start_date=world.today - datetime.timedelta(days=3),
    )
    Client().post(f"/c/{watch(world.person)}/", {"pin": PIN, "request_id": "r1"})
    return open_panic(
        world.person,
        PanicReport(channel="sms", received_at=timezone.now(), text="забрали возле подъезда, 1357",
                    latitude=43.31, longitude=45.69),
    )  # fmt: skip


def test_a_responder_allowed_to_see_the_house_sees_it_with_the_message(world: World) -> None:
    alert = _panic(world)
    response = Client().get(_link(alert, world.coordinator))
    assert response.status_code == 200
    html = response.content.decode()
    assert alert.code in html and world.person.codename in html
    assert "Lighthouse" in html
    assert "забрали возле подъезда, ••••" in html
    assert "1357" not in html  # masked when stored: it may have been a PIN
    assert "SMS" in html
    assert 'href="geo:43.31000,45.69000"' in html
    assert "Last check-in" in html


def test_a_responder_not_allowed_to_see_the_house_does_not(world: World) -> None:
    alert = _panic(world)
    html = Client().get(_link(alert, world.responder)).content.decode()
    assert "забрали возле подъезда, ••••" in html  # asked to act: they get the words
    assert "Lighthouse" not in html
    assert str(world.safe_house.pk) not in html


def test_a_panic_shows_next_steps_and_a_missed_checkin_does_not(world: World) -> None:
    panic = _panic(world)
    missed = open_alert(world.person, AlertKind.MISSED_CHECKIN)
    panic_page = Client().get(_link(panic, world.responder)).content.decode()
    missed_page = Client().get(_link(missed, world.responder)).content.decode()
    assert "Next steps" in panic_page and FIXED_FIRST_STEP in panic_page
    assert "Next steps" not in missed_page and FIXED_FIRST_STEP not in missed_page


def test_a_duress_alert_shows_next_steps_without_saying_duress(world: World) -> None:
    alert = open_alert(world.person, AlertKind.DURESS)
    html = Client().get(_link(alert, world.responder)).content.decode()
    assert FIXED_FIRST_STEP in html
    assert "uress" not in html


def test_next_steps_come_from_the_organisations_person_missing_playbook(world: World) -> None:
    playbook = playbook_for(world.organisation, IncidentKind.PERSON_MISSING)
    first = playbook.steps.all()[0]
    first.title_en, first.title_ru = "Ring the hotline of Memorial", "Позвонить на горячую линию"
    first.save()
    alert = open_alert(world.person, AlertKind.PANIC)
    url = _link(alert, world.responder)
    english = Client().get(url, headers={"accept-language": "en"}).content.decode()
    russian = Client().get(url, headers={"accept-language": "ru"}).content.decode()
    assert "Ring the hotline of Memorial" in english and FIXED_FIRST_STEP not in english
    assert "Send a lawyer to the last known address" in english
    assert "Позвонить на горячую линию" in russian


def test_opening_the_link_copies_no_playbook_and_changes_nothing(world: World) -> None:
    alert = _panic(world)
    Client().get(_link(alert, world.responder))
    assert not Playbook.objects.exists()
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_acknowledging_works_and_the_page_then_says_so(world: World) -> None:
    alert = _panic(world)
    url = _link(alert, world.responder)
    assert b"Acknowledge: I am on it" in Client().get(url).content
    answer = Client().post(url)
    assert answer.status_code == 200
    assert b"Acknowledged. The others will not be woken" in answer.content
    assert b"Acknowledge: I am on it" not in answer.content
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    assert alert.acknowledged_by_id == world.responder.pk
    assert b"You acknowledged this alert" in Client().get(url).content
    other = Client().get(_link(alert, world.coordinator)).content
    assert b"Someone has already acknowledged this alert." in other


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_or_forged_token_is_not_found(world: World, method: str) -> None:
    alert = _panic(world)
    notification = Notification.objects.create(
        alert=alert, member=world.responder, idempotency_key=f"sh-{uuid.uuid4().hex}"
    )
    too_old = time.time() - ACK_LINK_LIFETIME.total_seconds() - 60
    expired = ack_token(notification.id, issued_at=too_old)
    altered = ack_token(notification.id)[:-2] + "xx"
    for token in (expired, altered, "forged", ack_token(uuid.uuid4())):
        assert getattr(Client(), method)(f"/a/{token}/").status_code == 404, token
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_the_page_is_never_stored_and_hands_the_link_to_nobody(world: World) -> None:
    alert = _panic(world)
    response = Client().get(_link(alert, world.responder))
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert not response.cookies
    assert b"<script" not in response.content


@pytest.mark.browser
@pytest.mark.slow
def test_the_page_fits_a_360_px_phone_without_sideways_scrolling(
    transactional_db: None,
    live_server,  # type: ignore[no-untyped-def]
    world: World,
    page,  # type: ignore[no-untyped-def]  # noqa: F811 - the browser fixture imported above
) -> None:
    alert = _panic(world)
    # A message with no place to break, as a pasted link or a row of letters would be.
    open_panic(world.person, PanicReport(channel="web", received_at=timezone.now(), text="ж" * 300))
    url = _link(alert, world.responder)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    try:
        page.set_viewport_size({"width": 360, "height": 640})
        page.goto(live_server.url + url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        button = page.locator("main button[type=submit]")
        assert button.bounding_box()["width"] > 250  # the one button that matters
        button.click()
        page.wait_for_selector("text=Acknowledged.")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        # Beside Playwright's event loop the ORM opens a connection of its own; left
        # open, it would keep PostgreSQL from dropping the test database.
        connections.close_all()
    assert problems == []
