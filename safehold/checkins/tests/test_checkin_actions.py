"""Coordinators set schedules, PINs and links, pause and heighten: validated and audited."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from safehold.audit.models import AuditEntry
from safehold.checkins.actions import (
    issue_link,
    pause,
    resume,
    set_heightened,
    set_pins,
    set_schedule,
)
from safehold.checkins.models import Channel, CheckinSecret, Schedule
from safehold.checkins.service import check_in, find_secret_by_link
from safehold.checkins.tests.helpers import (
    HOURS,
    MINUTES,
    NOW,
    PIN,
    WRONG_PIN,
    ready_to_check_in,
    utc,
)
from safehold.testing import World

pytestmark = pytest.mark.django_db


def audit_actions(world: World) -> list[str]:
    entries = AuditEntry.objects.filter(object_id=str(world.person.pk)).order_by("seq")
    return [e.action for e in entries if e.action.startswith("checkin.")]


def hourly(world: World, now: datetime.datetime = NOW, **fields: Any) -> Schedule:
    values: dict[str, Any] = {"kind": "interval", "interval_minutes": 60} | fields
    return set_schedule(world.person, actor=world.coordinator, now=now, **values)


def test_setting_a_schedule_computes_the_deadline_and_is_audited(world: World) -> None:
    schedule = hourly(world, grace_minutes=15)
    assert (schedule.next_deadline, schedule.overdue_at) == (NOW + HOURS, NOW + 75 * MINUTES)
    assert audit_actions(world) == ["checkin.schedule_set"]
    entry = AuditEntry.objects.get(action="checkin.schedule_set")
    assert entry.actor_id == world.coordinator.pk
    assert entry.organisation_id == world.organisation.pk
    assert entry.details["created"] is True
    assert "interval_minutes" in entry.details["fields"]


def test_a_daily_schedule_is_read_in_the_persons_time_zone(world: World) -> None:
    schedule = set_schedule(
        world.person,
        actor=world.coordinator,
        kind="daily",
        daily_times=["21:00", "09:00", "09:00"],
        timezone="Asia/Yekaterinburg",
        now=utc("2026-06-01 05:00"),  # 10:00 in Yekaterinburg
    )
    assert schedule.daily_times == ["09:00", "21:00"]
    assert schedule.interval_minutes is None
    assert schedule.next_deadline == utc("2026-06-01 16:00")


def test_changing_a_schedule_counts_from_the_last_check_in(world: World) -> None:
    secret, _ = ready_to_check_in(world.person, actor=world.coordinator, interval_minutes=120)
    check_in(secret, PIN, channel=Channel.WEB, request_id="r1", now=NOW)
    later = NOW + 30 * MINUTES
    assert hourly(world, now=later).next_deadline == NOW + HOURS  # not later + 1 h
    assert hourly(world, now=later, interval_minutes=20).next_deadline == later + 20 * MINUTES
    entry = AuditEntry.objects.filter(action="checkin.schedule_set").last()
    assert entry is not None
    assert entry.details == {
        "schedule": entry.details["schedule"],
        "created": False,
        "fields": ["interval_minutes"],
    }


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"kind": "weekly"}, "kind"),
        ({"interval_minutes": None}, "interval_minutes"),
        ({"interval_minutes": 4}, "interval_minutes"),
        ({"interval_minutes": 7 * 24 * 60 + 1}, "interval_minutes"),
        ({"interval_minutes": "60"}, "interval_minutes"),
        ({"grace_minutes": -1}, "grace_minutes"),
        ({"grace_minutes": 24 * 60 + 1}, "grace_minutes"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "Europe"}, "timezone"),
        ({"kind": "daily", "daily_times": []}, "daily_times"),
        ({"kind": "daily", "daily_times": ["9:00"]}, "daily_times"),
        ({"kind": "daily", "daily_times": ["24:00"]}, "daily_times"),
        ({"kind": "daily", "daily_times": ["09:60"]}, "daily_times"),
        ({"kind": "daily", "daily_times": ["\uff10\uff19:\uff10\uff10"]}, "daily_times"),  # wide
        (
            {"kind": "daily", "daily_times": [f"{h:02}:30" for h in range(24)] + ["00:00"]},
            "daily_times",
        ),
    ],
)
def test_a_bad_schedule_is_refused_and_nothing_is_written(
    world: World, fields: dict[str, Any], bad_field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        hourly(world, **fields)
    assert bad_field in raised.value.message_dict
    assert not Schedule.objects.exists()
    assert audit_actions(world) == []


def test_the_boundaries_of_a_schedule_are_allowed(world: World) -> None:
    hourly(world, interval_minutes=5, grace_minutes=0)
    hourly(world, interval_minutes=7 * 24 * 60, grace_minutes=24 * 60, timezone="UTC")
    assert Schedule.objects.get().interval_minutes == 7 * 24 * 60


@pytest.mark.parametrize(
    ("pin", "duress_pin", "bad_field"),
    [
        ("123", "5678", "pin"),
        ("123456789", "5678", "pin"),
        ("12a4", "5678", "pin"),
        ("\u0661\u0662\u0663\u0664", "5678", "pin"),  # Arabic-Indic digits, not 0-9
        ("1234", "", "duress_pin"),
        ("1234", "1234", "duress_pin"),
    ],
)
def test_bad_pins_are_refused_without_echoing_them(
    world: World, pin: str, duress_pin: str, bad_field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        set_pins(world.person, actor=world.coordinator, pin=pin, duress_pin=duress_pin)
    assert bad_field in raised.value.message_dict
    assert pin not in str(raised.value.messages)
    assert not CheckinSecret.objects.exists()


def test_new_pins_replace_the_old_ones_and_end_the_slow_down(world: World) -> None:
    secret, _ = ready_to_check_in(world.person, actor=world.coordinator)
    for n in range(4):
        check_in(secret, WRONG_PIN, channel=Channel.WEB, request_id=f"w{n}", now=NOW)
    set_pins(world.person, actor=world.coordinator, pin="2468", duress_pin="1357")
    attempt = check_in(secret, PIN, channel=Channel.WEB, request_id="old", now=NOW)
    assert attempt.status == "wrong_pin"  # not "slow_down": the count started afresh
    new = check_in(secret, "2468", channel=Channel.WEB, request_id="new", now=NOW)
    assert new.status == "accepted"


def test_a_new_link_replaces_the_old_one(world: World) -> None:
    secret, old = ready_to_check_in(world.person, actor=world.coordinator)
    new = issue_link(world.person, actor=world.coordinator)
    assert new != old and len(new) >= 40
    assert find_secret_by_link(old) is None
    assert find_secret_by_link(new) == secret
    entries = AuditEntry.objects.filter(action="checkin.link_issued").order_by("seq")
    assert [e.details["replaced"] for e in entries] == [False, True]


def test_a_link_can_be_issued_before_the_pins(world: World) -> None:
    token = issue_link(world.person, actor=world.coordinator)
    secret = find_secret_by_link(token)
    assert secret is not None
    result = check_in(secret, "", channel=Channel.WEB, request_id="r", now=NOW)
    assert result.status == "wrong_pin"


def test_a_pause_moves_the_deadline_after_it_and_resume_brings_it_back(world: World) -> None:
    hourly(world)
    until = NOW + 3 * 24 * HOURS
    paused = pause(world.person, actor=world.coordinator, until=until, now=NOW)
    assert (paused.paused_until, paused.next_deadline) == (until, until + HOURS)
    assert not Schedule.objects.missed(until).exists()
    resumed = resume(world.person, actor=world.coordinator, now=NOW + 2 * HOURS)
    assert (resumed.paused_until, resumed.next_deadline) == (None, NOW + 3 * HOURS)
    assert audit_actions(world) == ["checkin.schedule_set", "checkin.paused", "checkin.resumed"]


@pytest.mark.parametrize("until", [NOW, NOW - MINUTES, datetime.datetime(2026, 7, 1)])
def test_a_pause_must_end_in_the_future(world: World, until: datetime.datetime) -> None:
    hourly(world)
    with pytest.raises(ValidationError):
        pause(world.person, actor=world.coordinator, until=until, now=NOW)


def test_pausing_resuming_or_heightening_need_a_schedule(world: World) -> None:
    with pytest.raises(ValidationError):
        pause(world.person, actor=world.coordinator, until=NOW + HOURS, now=NOW)
    with pytest.raises(ValidationError):
        resume(world.person, actor=world.coordinator, now=NOW)
    with pytest.raises(ValidationError):
        set_heightened(world.person, actor=world.coordinator, on=True, interval_minutes=10, now=NOW)


def test_resuming_a_schedule_that_is_not_paused_is_refused(world: World) -> None:
    hourly(world)
    pause(world.person, actor=world.coordinator, until=NOW + HOURS, now=NOW)
    with pytest.raises(ValidationError):
        resume(world.person, actor=world.coordinator, now=NOW + HOURS)


def test_heightened_mode_shortens_the_period_and_can_be_switched_off(world: World) -> None:
    hourly(world, interval_minutes=24 * 60)
    later = NOW + 2 * HOURS
    on = set_heightened(
        world.person, actor=world.coordinator, on=True, interval_minutes=30, now=later
    )
    assert (on.is_heightened, on.next_deadline) == (True, later + 30 * MINUTES)
    off = set_heightened(
        world.person, actor=world.coordinator, on=False, interval_minutes=None, now=later
    )
    assert (off.is_heightened, off.next_deadline) == (False, later + 24 * HOURS)
    again = set_heightened(
        world.person, actor=world.coordinator, on=True, interval_minutes=None, now=later
    )
    assert (again.heightened_interval_minutes, again.next_deadline) == (30, later + 30 * MINUTES)
    assert audit_actions(world)[-3:] == [
        "checkin.heightened_on",
        "checkin.heightened_off",
        "checkin.heightened_on",
    ]


@pytest.mark.parametrize("minutes", [None, 4, 60, 120])
def test_a_bad_heightened_interval_is_refused(world: World, minutes: int | None) -> None:
    hourly(world)
    with pytest.raises(ValidationError) as raised:
        set_heightened(
            world.person, actor=world.coordinator, on=True, interval_minutes=minutes, now=NOW
        )
    assert "interval_minutes" in raised.value.message_dict
    assert not Schedule.objects.get().is_heightened
