"""The pipeline board, filters by stage, state and city, and a person's whole history."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from safehold.alerts.actions import open_alert
from safehold.audit.models import AuditEntry
from safehold.cases.actions import move_stage
from safehold.checkins.actions import set_schedule
from safehold.incidents.actions import open_incident
from safehold.shelters.actions import place_person
from safehold.testing import World, login, make_person

pytestmark = pytest.mark.django_db


def test_the_board_shows_each_case_in_its_stage_column(world: World) -> None:
    heron = make_person(world.compartment, codename="Heron")
    move_stage(heron, "sheltered", actor=world.coordinator, reason="Arrived")
    content = login(world.coordinator).get("/board/").content.decode()
    intake = content[content.index('id="column-intake"') : content.index('id="column-assessment"')]
    sheltered = content[
        content.index('id="column-sheltered"') : content.index('id="column-documents')
    ]
    assert "Falcon" in intake and "Heron" not in intake
    assert "Heron" in sheltered


def test_a_case_moves_from_the_board_with_a_reason_and_comes_back(world: World) -> None:
    client = login(world.coordinator)
    board = client.get("/board/").content.decode()
    move_link = f"/persons/{world.person.pk}/stage/?next=board"
    assert move_link in board
    refused = client.post(move_link, {"to_stage": "assessment", "reason": ""})
    assert refused.status_code == 200
    assert "This field is required." in refused.content.decode()
    moved = client.post(move_link, {"to_stage": "assessment", "reason": "Interviewed"})
    assert moved.status_code == 302
    assert moved["Location"] == "/board/"
    world.person.refresh_from_db()
    assert world.person.stage == "assessment"


def test_a_viewer_gets_no_move_link_and_an_outsider_no_case(world: World) -> None:
    assert "/stage/?next=board" not in login(world.viewer).get("/board/").content.decode()
    assert "Falcon" not in login(world.outsider).get("/board/").content.decode()


def test_the_lists_filter_by_check_in_state(world: World) -> None:
    set_schedule(
        world.person,
        actor=world.coordinator,
        kind="interval",
        interval_minutes=60,
        now=timezone.now() - datetime.timedelta(hours=3),
    )
    make_person(world.compartment, codename="Heron")
    client = login(world.coordinator)
    missed = client.get("/persons/", {"state": "missed"}).content.decode()
    assert "Falcon" in missed and "Heron" not in missed
    unscheduled = client.get("/board/", {"state": "none"}).content.decode()
    assert "Heron" in unscheduled and ">Falcon<" not in unscheduled
    assert client.get("/persons/", {"state": "nonsense"}).status_code == 200


def test_an_open_alert_is_a_state_of_its_own(world: World) -> None:
    open_alert(world.person, "manual", actor=world.coordinator)
    content = login(world.coordinator).get("/persons/", {"state": "alert"}).content.decode()
    assert "Falcon" in content


def test_the_city_search_is_a_post_audited_and_for_revealers_only(world: World) -> None:
    heron = make_person(world.compartment, codename="Heron", city="Nizhny  Novgorod")
    make_person(world.compartment, codename="Crane", city="Kazan")
    client = login(world.coordinator)
    # A city never travels in a URL: the GET list ignores it.
    by_get = client.get("/persons/", {"city": "Kazan"}).content.decode()
    assert "Crane" in by_get and "Heron" in by_get
    found = client.post("/persons/", {"city": "nizhny novgorod"}).content.decode()
    assert "Heron" in found and "Crane" not in found and ">Falcon<" not in found
    entry = AuditEntry.objects.filter(action="person.searched_by_city").get()
    assert entry.actor_id == world.coordinator.pk
    assert "Novgorod" not in entry.details_token
    # A viewer may not reveal cases, so a city finds nothing for them.
    assert (
        "Heron"
        not in login(world.viewer).post("/persons/", {"city": "Nizhny Novgorod"}).content.decode()
    )
    assert heron.city_index and "Novgorod" not in heron.city_index


def test_the_person_page_holds_the_whole_history(world: World) -> None:
    move_stage(world.person, "assessment", actor=world.coordinator, reason="Interviewed")
    place_person(
        world.person, world.safe_house, actor=world.coordinator, start_date=timezone.localdate()
    )
    alert = open_alert(world.person, "duress", actor=world.coordinator)
    open_incident(kind="person_missing", actor=world.coordinator, person=world.person)
    coordinator_page = login(world.coordinator).get(f"/persons/{world.person.pk}/").content.decode()
    history = coordinator_page[coordinator_page.index('id="whole-history-heading"') :]
    assert "Moved to Assessment" in history
    assert "Placed in Lighthouse" in history
    assert f"Duress check-in, alert {alert.code}" in history
    assert "Opened: Person missing" in history
    viewer_page = login(world.viewer).get(f"/persons/{world.person.pk}/").content.decode()
    assert f"Urgent alert, alert {alert.code}" in viewer_page
    assert "Duress" not in viewer_page


def test_check_ins_in_the_history_keep_duress_from_viewers(world: World) -> None:
    from safehold.checkins.actions import set_pins
    from safehold.checkins.service import check_in

    set_schedule(
        world.person,
        actor=world.coordinator,
        kind="interval",
        interval_minutes=60,
        now=timezone.now(),
    )
    set_pins(world.person, pin="2468", duress_pin="1357", actor=world.coordinator)
    secret = world.person.checkin_secret
    check_in(secret, "1357", channel="web", request_id="r-1", now=timezone.now())
    coordinator_page = login(world.coordinator).get(f"/persons/{world.person.pk}/").content.decode()
    assert "Duress by Web page" in coordinator_page
    viewer_page = login(world.viewer).get(f"/persons/{world.person.pk}/").content.decode()
    assert "Check-in by Web page" in viewer_page
    assert "Duress" not in viewer_page
