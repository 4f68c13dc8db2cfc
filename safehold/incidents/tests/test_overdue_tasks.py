"""An overdue incident task goes through the escalation engine: its owner, then the lead."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from safehold.accounts.models import Role
from safehold.alerts.models import AlertKind, AlertState, Notification, Purpose
from safehold.alerts.tests.helpers import T0, MemoryTransport, add_channel
from safehold.alerts.worker import Worker
from safehold.incidents.actions import close_incident, complete_task, open_incident
from safehold.incidents.models import EntryKind, IncidentKind, IncidentTask, TimelineEntry
from safehold.testing import World, make_member

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)
OWNER_URL, LEAD_URL = "json://owner.test/hook", "json://lead.test/hook"


@pytest.fixture
def transport() -> MemoryTransport:
    return MemoryTransport()


@pytest.fixture
def worker(transport: MemoryTransport) -> Worker:
    return Worker(name="test", deliver=transport, pool_size=1)


def _first_task_owned_by_someone_else(world: World) -> IncidentTask:
    owner = make_member(world.organisation, Role.COORDINATOR, [world.compartment])
    add_channel(owner, OWNER_URL)
    add_channel(world.coordinator, LEAD_URL)
    incident = open_incident(
        kind=IncidentKind.PERSON_MISSING, actor=world.coordinator, person=world.person, now=T0
    )
    task = incident.tasks.get(position=1)  # "reach the person", due after 15 minutes
    task.owner = owner
    task.save()
    return task


def test_nothing_is_due_before_the_deadline(world: World, worker: Worker) -> None:
    task = _first_task_owned_by_someone_else(world)

    report = worker.tick(T0 + 14 * MIN)

    assert report.other["tasks_overdue"] == 0
    task.refresh_from_db()
    assert task.overdue_alert is None


def test_the_owner_is_told_first_then_the_lead(
    world: World, worker: Worker, transport: MemoryTransport
) -> None:
    task = _first_task_owned_by_someone_else(world)

    report = worker.tick(T0 + 16 * MIN)

    assert report.other["tasks_overdue"] == 1
    task.refresh_from_db()
    alert = task.overdue_alert
    assert alert is not None and alert.kind == AlertKind.TASK_OVERDUE
    assert alert.person == world.person
    [to_owner] = transport.to(OWNER_URL)
    assert alert.code in to_owner.title and "Falcon" in to_owner.body
    assert transport.to(LEAD_URL) == []
    assert TimelineEntry.objects.filter(
        incident=task.incident, kind=EntryKind.TASK_OVERDUE
    ).exists()

    worker.tick(T0 + 27 * MIN)  # the owner's ten minutes are over

    assert len(transport.to(LEAD_URL)) == 1
    assert Notification.objects.filter(alert=alert, member=world.coordinator).exists()


def test_an_acknowledged_task_alert_stops_climbing(
    world: World, worker: Worker, transport: MemoryTransport
) -> None:
    from safehold.alerts.actions import acknowledge_alert

    task = _first_task_owned_by_someone_else(world)
    worker.tick(T0 + 16 * MIN)
    task.refresh_from_db()
    assert task.overdue_alert is not None
    acknowledge_alert(task.overdue_alert, actor=task.owner, via="web")  # type: ignore[arg-type]

    worker.tick(T0 + 40 * MIN)

    assert transport.to(LEAD_URL) == []


def test_doing_the_task_settles_its_alert_and_stands_down_whoever_was_told(
    world: World, worker: Worker, transport: MemoryTransport
) -> None:
    task = _first_task_owned_by_someone_else(world)
    worker.tick(T0 + 16 * MIN)

    complete_task(task, actor=world.coordinator)
    worker.tick(timezone.now() + MIN)  # the stand-down leaves at once, on the real clock

    task.refresh_from_db()
    assert task.overdue_alert is not None
    assert task.overdue_alert.state == AlertState.RESOLVED
    assert Notification.objects.filter(
        alert=task.overdue_alert, purpose=Purpose.STAND_DOWN
    ).exists()
    assert len(transport.to(OWNER_URL)) == 2  # the call, then the stand-down
    # A done task never falls due again.
    alert_id = task.overdue_alert_id
    worker.tick(T0 + 3000 * MIN)
    task.refresh_from_db()
    assert task.overdue_alert_id == alert_id


def test_a_closed_incident_has_no_overdue_tasks(world: World, worker: Worker) -> None:
    task = _first_task_owned_by_someone_else(world)
    worker.tick(T0 + 16 * MIN)
    close_incident(task.incident, actor=world.coordinator, outcome="safe", debrief="Found well.")

    report = worker.tick(T0 + 2000 * MIN)

    assert report.other["tasks_overdue"] == 0
    task.refresh_from_db()
    assert task.overdue_alert is not None and task.overdue_alert.state == AlertState.RESOLVED


def test_a_safe_house_incident_names_the_house_in_the_message(
    world: World, worker: Worker, transport: MemoryTransport
) -> None:
    add_channel(world.coordinator, LEAD_URL)
    open_incident(
        kind=IncidentKind.HOUSE_COMPROMISED,
        actor=world.coordinator,
        safe_house=world.safe_house,
        now=T0,
    )

    worker.tick(T0 + 31 * MIN)  # "mark the house burned" is due after 30 minutes

    [message] = transport.to(LEAD_URL)
    assert "Lighthouse" in message.body
