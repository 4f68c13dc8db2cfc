"""A person's check-in page: state, recent check-ins, and the coordinator's controls."""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connections
from django.urls import reverse
from django.utils import dateformat, timezone

from safehold.audit.models import AuditEntry
from safehold.checkins.actions import pause, set_heightened, set_pins, set_schedule
from safehold.checkins.models import Channel, Checkin, CheckinSecret, Outcome, Schedule
from safehold.checkins.service import find_secret_by_link, pin_digest
from safehold.front.tests.test_in_a_real_browser import _sign_in, page  # noqa: F401 (fixture)
from safehold.testing import login

pytestmark = pytest.mark.django_db

PIN, DURESS_PIN = "48291375", "17532064"
ACTIONS = ["schedule", "pins", "link", "pause", "resume", "heightened"]


def checkins_url(person):
    return reverse("person_checkins", kwargs={"person_id": person.pk})


def action(name, person):
    return reverse(f"person_checkins_{name}", kwargs={"person_id": person.pk})


def hourly(person, actor=None, **extra):
    values: dict[str, Any] = {"kind": "interval", "interval_minutes": 60, "grace_minutes": 15}
    values.update(extra)
    return set_schedule(person, actor=actor, now=timezone.now(), **values)


def schedule_post(**extra):
    data = {
        "schedule-kind": "interval",
        "schedule-interval_minutes": "60",
        "schedule-daily_times": "",
        "schedule-timezone": "Europe/Moscow",
        "schedule-grace_minutes": "30",
    }
    data.update({f"schedule-{key}": value for key, value in extra.items()})
    return data


def shown(moment, zone="Europe/Moscow"):
    return dateformat.format(moment.astimezone(ZoneInfo(zone)), "j E Y, H:i")


# --- Seeing the page ----------------------------------------------------------------


def test_it_says_when_a_person_has_no_schedule(world):
    response = login(world.coordinator).get(checkins_url(world.person))
    assert response.status_code == 200
    assert b"no check-in schedule yet" in response.content
    assert action("schedule", world.person).encode() in response.content
    # Pausing and heightened mode need a schedule; their forms wait for one.
    assert action("pause", world.person).encode() not in response.content


def test_it_shows_state_and_next_deadline_in_the_persons_zone_and_utc(world):
    schedule = hourly(world.person)
    response = login(world.coordinator).get(checkins_url(world.person))
    content = response.content.decode()
    assert '<span class="state state-ok">OK</span>' in content
    assert shown(schedule.next_deadline) in content
    assert "Europe/Moscow" in content
    utc_time = dateformat.format(schedule.next_deadline.astimezone(datetime.UTC), "j E, H:i")
    assert f"{utc_time} UTC" in content
    assert "in 59 min" in content or "in 1 h" in content


def test_it_shows_a_missed_check_in_as_missed(world):
    set_schedule(
        world.person,
        actor=None,
        kind="interval",
        interval_minutes=60,
        grace_minutes=10,
        now=timezone.now() - datetime.timedelta(hours=3),
    )
    content = login(world.coordinator).get(checkins_url(world.person)).content.decode()
    assert '<span class="state state-missed">Missed</span>' in content
    assert "2 h" in content and "ago" in content


def test_it_shows_paused_and_heightened_status(world):
    hourly(world.person)
    now = timezone.now()
    set_heightened(world.person, actor=None, on=True, interval_minutes=20, now=now)
    pause(world.person, actor=None, until=now + datetime.timedelta(days=2), now=now)
    content = login(world.viewer).get(checkins_url(world.person)).content.decode()
    assert '<span class="state state-paused">Paused</span>' in content
    assert "at least every 20 min" in content


def _checkin(person, outcome, minutes_ago):
    return Checkin.objects.create(
        person=person,
        at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
        channel=Channel.WEB,
        request_id=uuid.uuid4().hex,
        outcome=outcome,
    )


def test_a_coordinator_sees_duress_and_wrong_pin_outcomes(world):
    hourly(world.person)
    _checkin(world.person, Outcome.OK, 30)
    _checkin(world.person, Outcome.DURESS, 20)
    _checkin(world.person, Outcome.WRONG_PIN, 10)
    content = login(world.coordinator).get(checkins_url(world.person)).content.decode()
    assert "<strong>Duress</strong>" in content
    assert "<strong>Wrong PIN</strong>" in content


def test_a_viewer_sees_every_outcome_as_a_check_in(world):
    hourly(world.person)
    _checkin(world.person, Outcome.DURESS, 20)
    _checkin(world.person, Outcome.WRONG_PIN, 10)
    content = login(world.viewer).get(checkins_url(world.person)).content.decode()
    assert content.count("<td>Check-in</td>") == 2
    assert "Duress" not in content
    assert "uress" not in content.replace("Address", "")
    assert "Wrong PIN" not in content


def test_it_lists_only_the_last_twenty_check_ins(world):
    hourly(world.person)
    for minutes in range(25):
        _checkin(world.person, Outcome.OK, minutes + 1)
    content = login(world.coordinator).get(checkins_url(world.person)).content.decode()
    assert content.count("<td>Web page</td>") == 20


# --- Who may do what -------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["outsider", "stranger", "responder"])
def test_it_refuses_outsider(world, persona):
    hourly(world.person)
    client = login(getattr(world, persona))
    assert client.get(checkins_url(world.person)).status_code == 404
    for name in ACTIONS:
        assert client.post(action(name, world.person), schedule_post()).status_code == 404
    raise_url = reverse("person_raise_alert", kwargs={"person_id": world.person.pk})
    assert client.post(raise_url).status_code == 404
    assert not AuditEntry.objects.filter(
        action__startswith="checkin.", actor_id=getattr(world, persona).pk
    ).exists()


def test_it_answers_404_alike_for_a_missing_person(world):
    client = login(world.coordinator)
    missing = client.get(reverse("person_checkins", kwargs={"person_id": uuid.uuid4()}))
    forbidden = login(world.outsider).get(checkins_url(world.person))
    assert missing.status_code == forbidden.status_code == 404
    assert missing.content == forbidden.content


def test_a_viewer_sees_the_page_without_forms_and_cannot_change_anything(world):
    schedule = hourly(world.person)
    client = login(world.viewer)
    response = client.get(checkins_url(world.person))
    assert response.status_code == 200
    for name in ACTIONS:
        assert action(name, world.person).encode() not in response.content
    before = Schedule.objects.get(pk=schedule.pk).updated_at
    for name in ACTIONS:
        data = {**schedule_post(), "pins-pin": PIN, "pins-duress_pin": DURESS_PIN}
        assert client.post(action(name, world.person), data).status_code == 404
    assert Schedule.objects.get(pk=schedule.pk).updated_at == before
    assert not CheckinSecret.objects.filter(person=world.person).exists()


@pytest.mark.parametrize("name", ACTIONS)
def test_changes_are_posts_only(world, name):
    assert login(world.coordinator).get(action(name, world.person)).status_code == 405


# --- Setting the schedule ---------------------------------------------------------------


def test_it_saves_an_interval_schedule_and_returns_to_the_page(world):
    client = login(world.coordinator)
    response = client.post(action("schedule", world.person), schedule_post())
    assert response.status_code == 302
    assert response["Location"] == checkins_url(world.person)
    schedule = Schedule.objects.get(person=world.person)
    assert (schedule.kind, schedule.interval_minutes, schedule.grace_minutes) == (
        "interval",
        60,
        30,
    )
    assert schedule.timezone == "Europe/Moscow"
    entry = AuditEntry.objects.get(action="checkin.schedule_set")
    assert entry.actor_id == world.coordinator.pk
    assert b"The check-in schedule was saved." in client.get(checkins_url(world.person)).content


def test_it_saves_daily_times_in_the_chosen_zone(world):
    response = login(world.coordinator).post(
        action("schedule", world.person),
        schedule_post(
            kind="daily", interval_minutes="", daily_times="21:00, 09:00", timezone="Europe/Berlin"
        ),
    )
    assert response.status_code == 302
    schedule = Schedule.objects.get(person=world.person)
    assert schedule.daily_times == ["09:00", "21:00"]
    assert schedule.timezone == "Europe/Berlin"


def test_the_schedule_form_starts_from_the_saved_schedule(world):
    hourly(world.person, timezone="Asia/Tokyo")
    content = login(world.coordinator).get(checkins_url(world.person)).content.decode()
    assert '<option value="Asia/Tokyo" selected>' in content
    assert 'name="schedule-interval_minutes" value="60"' in content


def test_a_new_schedule_form_defaults_to_moscow_time(world):
    content = login(world.coordinator).get(checkins_url(world.person)).content.decode()
    assert '<option value="Europe/Moscow" selected>' in content


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"interval_minutes": ""}, "The interval must be between 5 minutes and 7 days."),
        ({"interval_minutes": "2"}, "The interval must be between 5 minutes and 7 days."),
        ({"interval_minutes": "99999999999999999999"}, "errorlist"),
        ({"kind": "daily", "daily_times": "25:00"}, "Write each time of day as HH:MM"),
        ({"kind": "daily", "daily_times": ""}, "Give at least one time of day."),
        ({"kind": "weekly"}, "Select a valid choice."),
        ({"timezone": "Mars/Olympus"}, "Select a valid choice."),
        ({"grace_minutes": "-1"}, "errorlist"),
        ({"grace_minutes": "5000"}, "The grace period must be between 0 minutes and 24 hours."),
        ({"grace_minutes": "NaN"}, "Enter a whole number."),
    ],
)
def test_a_bad_schedule_shows_errors_and_saves_nothing(world, fields, message):
    response = login(world.coordinator).post(
        action("schedule", world.person), schedule_post(**fields)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert b"errorlist" in response.content
    assert not Schedule.objects.filter(person=world.person).exists()


# --- PINs --------------------------------------------------------------------------------


def _pins(pin=PIN, duress=DURESS_PIN):
    return {"pins-pin": pin, "pins-duress_pin": duress}


def test_the_pin_inputs_are_masked_numeric_and_never_remembered(world):
    content = login(world.coordinator).get(checkins_url(world.person)).content.decode()
    for name in ("pins-pin", "pins-duress_pin"):
        start = content.index(f'name="{name}"')
        tag = content[content.rindex("<input", 0, start) : content.index(">", start)]
        assert 'type="password"' in tag
        assert 'inputmode="numeric"' in tag
        assert 'autocomplete="off"' in tag
        assert "value=" not in tag


def test_setting_pins_never_echoes_or_logs_them(world, caplog):
    caplog.set_level(logging.DEBUG)
    client = login(world.coordinator)
    response = client.post(action("pins", world.person), _pins())
    assert response.status_code == 302
    assert PIN not in response["Location"] and DURESS_PIN not in response["Location"]
    after = client.get(checkins_url(world.person)).content.decode()
    assert PIN not in after and DURESS_PIN not in after
    secret = CheckinSecret.objects.get(person=world.person)
    assert secret.pin_digest == pin_digest(world.person.pk, PIN)
    assert secret.duress_digest == pin_digest(world.person.pk, DURESS_PIN)
    entry = AuditEntry.objects.get(action="checkin.pins_set")
    assert PIN not in str(entry.details) and DURESS_PIN not in str(entry.details)
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert PIN not in logged and DURESS_PIN not in logged


@pytest.mark.parametrize(
    ("pin", "duress", "message"),
    [
        (PIN, PIN, "The duress PIN must differ from the normal PIN."),
        ("12a4", DURESS_PIN, "A PIN has 4 to 8 digits."),
        ("123", DURESS_PIN, "A PIN has 4 to 8 digits."),
        (PIN, "9" * 70, "at most 64 characters"),
        (PIN, "", "This field is required."),
    ],
)
def test_refused_pins_show_errors_without_echoing_them(world, caplog, pin, duress, message):
    caplog.set_level(logging.DEBUG)
    response = login(world.coordinator).post(action("pins", world.person), _pins(pin, duress))
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    for value in {pin, duress} - {""}:
        assert value not in content
        assert value not in "\n".join(r.getMessage() for r in caplog.records)
    assert not CheckinSecret.objects.filter(person=world.person).exclude(pin_digest="").exists()


# --- The personal link -------------------------------------------------------------------


def _token_in(content: str) -> str:
    prefix = settings.SAFEHOLD_BASE_URL.rstrip("/") + "/c/"
    start = content.index(prefix) + len(prefix)
    return content[start : content.index("/", start)]


def test_a_new_link_is_shown_once_as_a_full_url(world):
    client = login(world.coordinator)
    response = client.post(action("link", world.person))
    assert response.status_code == 200
    content = response.content.decode()
    token = _token_in(content)
    expected = settings.SAFEHOLD_BASE_URL.rstrip("/") + reverse(
        "checkin_page", kwargs={"token": token}
    )
    assert expected in content
    secret = find_secret_by_link(token)
    assert secret is not None and secret.person_id == world.person.pk
    assert "It is shown only now." in content
    assert "The previous link no longer works." not in content
    assert response["Cache-Control"] == "no-store"
    again = client.get(checkins_url(world.person)).content.decode()
    assert token not in again
    assert "Issue a new link" in again
    entry = AuditEntry.objects.get(action="checkin.link_issued")
    assert token not in str(entry.details)


def test_a_new_link_stops_the_old_one(world):
    client = login(world.coordinator)
    first = _token_in(client.post(action("link", world.person)).content.decode())
    replacing = client.post(action("link", world.person)).content.decode()
    assert "The previous link no longer works." in replacing
    second = _token_in(replacing)
    assert first != second
    assert find_secret_by_link(first) is None
    assert find_secret_by_link(second) is not None


# --- Pause, resume, heightened mode ---------------------------------------------------------


def test_a_pause_is_read_in_the_persons_time_zone(world):
    hourly(world.person, timezone="Asia/Tokyo")
    year = timezone.now().year + 1
    response = login(world.coordinator).post(
        action("pause", world.person), {"pause-until": f"{year}-01-10T09:00"}
    )
    assert response.status_code == 302
    schedule = Schedule.objects.get(person=world.person)
    assert schedule.paused_until == datetime.datetime(year, 1, 10, 0, 0, tzinfo=datetime.UTC)
    assert AuditEntry.objects.filter(action="checkin.paused").exists()


def test_a_pause_ending_in_the_past_is_refused(world):
    hourly(world.person)
    response = login(world.coordinator).post(
        action("pause", world.person), {"pause-until": "2001-01-01T09:00"}
    )
    assert response.status_code == 200
    assert b"The pause must end in the future." in response.content
    assert Schedule.objects.get(person=world.person).paused_until is None


def test_a_pause_ending_at_a_time_skipped_by_the_clock_change_is_refused(world):
    hourly(world.person, timezone="Europe/Berlin")
    # The last Sunday of March next year, 02:30 Berlin time, does not exist.
    year = timezone.now().year + 1
    day = max(d for d in range(25, 32) if datetime.date(year, 3, d).weekday() == 6)
    response = login(world.coordinator).post(
        action("pause", world.person), {"pause-until": f"{year}-03-{day}T02:30"}
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert Schedule.objects.get(person=world.person).paused_until is None


@pytest.mark.parametrize("value", ["", "tomorrow", "2026-02-30T10:00", "\x00"])
def test_a_bad_pause_shows_an_error(world, value):
    hourly(world.person)
    response = login(world.coordinator).post(action("pause", world.person), {"pause-until": value})
    assert response.status_code == 200
    assert b"errorlist" in response.content


def test_resume_ends_a_pause(world):
    hourly(world.person)
    now = timezone.now()
    pause(world.person, actor=None, until=now + datetime.timedelta(days=1), now=now)
    response = login(world.coordinator).post(action("resume", world.person))
    assert response.status_code == 302
    assert Schedule.objects.get(person=world.person).paused_until is None
    assert AuditEntry.objects.get(action="checkin.resumed").actor_id == world.coordinator.pk


def test_resume_without_a_pause_says_so(world):
    hourly(world.person)
    response = login(world.coordinator).post(action("resume", world.person))
    assert response.status_code == 200
    assert b"The schedule is not paused." in response.content


def test_heightened_mode_goes_on_and_off(world):
    hourly(world.person)
    client = login(world.coordinator)
    on = client.post(
        action("heightened", world.person),
        {"heightened-mode": "on", "heightened-interval_minutes": "15"},
    )
    assert on.status_code == 302
    schedule = Schedule.objects.get(person=world.person)
    assert schedule.is_heightened and schedule.heightened_interval_minutes == 15
    off = client.post(action("heightened", world.person), {"heightened-mode": "off"})
    assert off.status_code == 302
    assert not Schedule.objects.get(person=world.person).is_heightened
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"checkin.heightened_on", "checkin.heightened_off"} <= actions


def test_a_heightened_interval_longer_than_the_normal_one_is_refused(world):
    hourly(world.person)
    response = login(world.coordinator).post(
        action("heightened", world.person),
        {"heightened-mode": "on", "heightened-interval_minutes": "120"},
    )
    assert response.status_code == 200
    assert b"must be shorter than the normal interval" in response.content
    assert not Schedule.objects.get(person=world.person).is_heightened


def test_heightened_mode_needs_a_schedule(world):
    response = login(world.coordinator).post(
        action("heightened", world.person),
        {"heightened-mode": "on", "heightened-interval_minutes": "15"},
    )
    assert response.status_code == 200
    assert b"Set a check-in schedule first." in response.content


def test_pins_set_by_the_page_work_for_checking_in(world):
    # The digest the page stores is the one the check-in service compares with.
    set_pins(world.person, actor=None, pin="1111", duress_pin="2222")
    login(world.coordinator).post(action("pins", world.person), _pins())
    secret = CheckinSecret.objects.get(person=world.person)
    assert secret.pin_digest != pin_digest(world.person.pk, "1111")
    assert secret.pin_digest == pin_digest(world.person.pk, PIN)


# --- In a real browser (CSRF, CSP) ----------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_a_coordinator_sets_up_check_ins_in_a_real_browser(
    transactional_db,
    live_server,
    world,
    page,  # noqa: F811 - the browser fixture imported above
):
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    _sign_in(page, live_server, world)
    page.goto(live_server.url + checkins_url(world.person))
    page.fill("input[name='schedule-interval_minutes']", "120")
    page.click("form[action$='/checkins/schedule/'] button[type=submit]")
    page.wait_for_selector("text=The check-in schedule was saved.")
    page.fill("input[name='pins-pin']", PIN)
    page.fill("input[name='pins-duress_pin']", DURESS_PIN)
    page.click("form[action$='/checkins/pins/'] button[type=submit]")
    page.wait_for_selector("text=The PINs were set.")
    assert PIN not in page.content()
    page.click("form[action$='/checkins/link/'] button[type=submit]")
    page.wait_for_selector("text=It is shown only now.")
    token = _token_in(page.content())
    try:
        assert find_secret_by_link(token) is not None
    finally:
        # Beside Playwright's event loop the ORM opens a connection of its own; left
        # open, it would keep PostgreSQL from dropping the test database.
        connections.close_all()
    assert problems == []
