"""The dashboard: is everyone safe, alerts to acknowledge, incidents, deadlines this week."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safehold.alerts.actions import open_alert
from safehold.alerts.models import AlertState
from safehold.cases.actions import save_document
from safehold.checkins.actions import set_schedule
from safehold.incidents.actions import open_incident
from safehold.testing import World, login, make_person

pytestmark = pytest.mark.django_db


def words(html: str | bytes) -> str:
    """Return the page's text as a reader gets it: tags dropped, spaces collapsed."""
    if isinstance(html, bytes):
        html = html.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def document(person, actor, days, status="submitted", kind="visa_application"):  # type: ignore[no-untyped-def]
    deadline = datetime.date.today() + datetime.timedelta(days=days)
    return save_document(
        person,
        {"kind": kind, "country": "DE", "status": status, "deadline": deadline},
        actor=actor,
    )


def every_six_hours(person, actor, *, since: datetime.timedelta = datetime.timedelta(0)):  # type: ignore[no-untyped-def]
    return set_schedule(
        person, actor=actor, kind="interval", interval_minutes=360, now=timezone.now() - since
    )


def test_it_counts_cases_by_stage(world: World) -> None:
    make_person(world.compartment, codename="Heron")
    make_person(world.other_compartment, codename="Crane")
    response = login(world.coordinator).get("/")
    assert response.status_code == 200
    assert b"You can see 2 cases." in response.content


def test_it_lists_near_and_passed_deadlines_of_this_week(world: World) -> None:
    document(world.person, world.coordinator, 5)
    document(world.person, world.coordinator, -2, kind="passport")
    content = login(world.coordinator).get("/").content.decode()
    assert "5 days" in content
    assert "2 days overdue" in content


def test_it_leaves_out_settled_and_later_deadlines(world: World) -> None:
    document(world.person, world.coordinator, 3, status="approved")
    document(world.person, world.coordinator, -3, status="refused")
    document(world.person, world.coordinator, 9)
    content = login(world.coordinator).get("/").content.decode()
    assert "No open document is due soon." in content


def test_everyone_is_listed_with_check_in_state_and_time_to_deadline(world: World) -> None:
    every_six_hours(world.person, world.coordinator)
    make_person(world.compartment, codename="Heron")
    content = login(world.coordinator).get("/").content.decode()
    falcon = content[content.index(">Falcon<") :]
    assert "state-ok" in falcon[:300]
    assert "in 5 h 59 min" in falcon[:400] or "in 6 h" in falcon[:400]
    heron = content[content.index(">Heron<") :]
    assert "No check-ins" in heron[:300]


def test_a_missed_check_in_comes_first(world: World) -> None:
    make_person(world.compartment, codename="Aardvark")
    every_six_hours(world.person, world.coordinator, since=datetime.timedelta(hours=7))
    content = login(world.coordinator).get("/").content.decode()
    assert content.index(">Falcon<") < content.index(">Aardvark<")
    falcon = content[content.index(">Falcon<") :][:400]
    assert "Missed" in falcon
    assert "overdue" in falcon
    assert "1 person needs attention" in words(content)


def test_an_alert_waits_with_a_one_click_acknowledgement(world: World) -> None:
    alert = open_alert(world.person, "manual", actor=world.coordinator)
    client = login(world.coordinator)
    content = client.get("/").content.decode()
    assert "1 alert waiting" in words(content)
    assert alert.code in content
    assert f'id="ack-{alert.pk}"' in content
    response = client.post(f"/alerts/{alert.pk}/ack/", {"next": "home"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    content = client.get("/").content.decode()
    assert "No alert is waiting for acknowledgement." in content
    assert "You acknowledged the alert." in content


def test_a_viewer_sees_the_alert_but_no_button_nor_a_duress_kind(world: World) -> None:
    alert = open_alert(world.person, "duress", actor=world.coordinator)
    content = login(world.viewer).get("/").content.decode()
    assert alert.code in content
    assert f'id="ack-{alert.pk}"' not in content
    assert "Urgent alert" in content
    assert "Duress" not in content


def test_open_incidents_show_their_overdue_tasks(world: World) -> None:
    open_incident(
        kind="person_missing",
        actor=world.coordinator,
        person=world.person,
        now=timezone.now() - datetime.timedelta(hours=3),
    )
    content = login(world.coordinator).get("/").content.decode()
    assert "1 open incident" in words(content)
    incidents = content[
        content.index('id="incidents-heading"') : content.index('id="persons-heading"')
    ]
    assert "Person missing" in incidents
    assert "Falcon" in incidents
    # Opened three hours ago: the steps due within 15 and 60 minutes are late, the
    # report due at 180 minutes not yet (by a hair), the police check not at all.
    assert "Try to reach the person on every channel" in incidents
    assert "Send a lawyer to the last known address" in incidents
    assert "Check the police stations in the city" not in incidents


def test_it_refuses_outsider_any_count_or_deadline(world: World) -> None:
    document(world.person, world.coordinator, 1)
    open_alert(world.person, "manual", actor=world.coordinator)
    content = login(world.outsider).get("/").content.decode()
    assert "Falcon" not in content
    assert "You can see 0 cases." in content
    assert "No alert is waiting for acknowledgement." in content


def test_the_live_part_answers_204_until_something_changes(world: World) -> None:
    client = login(world.coordinator)
    first = client.get("/dashboard/live/")
    assert first.status_code == 200
    stamp = first.content.decode().split('"seen": "')[1].split('"')[0]
    assert client.get("/dashboard/live/", {"seen": stamp}).status_code == 204
    open_alert(world.person, "manual", actor=world.coordinator)
    changed = client.get("/dashboard/live/", {"seen": stamp})
    assert changed.status_code == 200
    assert "1 alert waiting" in words(changed.content)
    assert b"<html" not in changed.content


def test_a_check_in_changes_the_stamp(world: World) -> None:
    from safehold.checkins.actions import set_pins
    from safehold.checkins.service import check_in

    every_six_hours(world.person, world.coordinator)
    set_pins(world.person, pin="2468", duress_pin="1357", actor=world.coordinator)
    client = login(world.coordinator)
    stamp = client.get("/dashboard/live/").content.decode().split('"seen": "')[1].split('"')[0]
    secret = world.person.checkin_secret
    result = check_in(secret, "2468", channel="web", request_id="r-1", now=timezone.now())
    assert result.status == "accepted"
    assert client.get("/dashboard/live/", {"seen": stamp}).status_code == 200


def test_polling_does_not_keep_the_session_alive(world: World) -> None:
    client = login(world.coordinator)
    client.get("/")
    session_key = client.cookies["sessionid"].value
    from django.contrib.sessions.models import Session

    before = Session.objects.get(session_key=session_key).expire_date
    Session.objects.filter(session_key=session_key).update(
        expire_date=before - datetime.timedelta(minutes=10)
    )
    client.get("/dashboard/live/")
    after_poll = Session.objects.get(session_key=session_key).expire_date
    assert after_poll == before - datetime.timedelta(minutes=10)
    client.get("/")
    assert Session.objects.get(session_key=session_key).expire_date > after_poll


def test_a_signed_out_poll_sends_the_page_to_the_login_form(world: World) -> None:
    from django.test import Client

    response = Client().get("/dashboard/live/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/"


def _queries_for_dashboard(world: World) -> int:
    client = login(world.coordinator)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_cases(world: World) -> None:
    """No N+1: ten times more persons, alerts, incidents and deadlines, same queries."""

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            person = make_person(world.compartment, codename=f"Bird-{n}")
            every_six_hours(person, world.coordinator, since=datetime.timedelta(hours=n % 8))
            document(person, world.coordinator, n % 6)
            if n % 3 == 0:
                open_alert(person, "manual", actor=world.coordinator)
            if n % 4 == 0:
                open_incident(kind="person_missing", actor=world.coordinator, person=person)

    add(3, 0)
    few = _queries_for_dashboard(world)
    add(27, 3)
    many = _queries_for_dashboard(world)
    assert many == few
