"""Opening incidents from alerts or by hand, their playbook tasks, states and timeline."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from safehold.alerts.actions import PanicReport, open_alert, open_panic, resolve_alert
from safehold.alerts.models import AlertKind, Resolution
from safehold.audit.models import AuditEntry
from safehold.incidents.actions import (
    add_note,
    close_incident,
    complete_task,
    move_incident,
    open_from_alert,
    open_incident,
)
from safehold.incidents.models import (
    EntryKind,
    IncidentKind,
    IncidentState,
    OwnerRole,
    Playbook,
    TimelineEntry,
)
from safehold.testing import World

pytestmark = pytest.mark.django_db


def test_a_panic_opens_an_incident_with_the_person_missing_playbook(world: World) -> None:
    alert = open_panic(world.person, PanicReport(channel="sms", received_at=timezone.now()))

    incident = open_from_alert(alert, actor=world.coordinator)

    assert (incident.person, incident.kind, incident.state) == (
        world.person, IncidentKind.PERSON_MISSING, IncidentState.OPEN,
    )  # fmt: skip
    assert incident.lead == world.coordinator
    assert [link.alert for link in incident.alert_links.all()] == [alert]
    tasks = list(incident.tasks.order_by("position"))
    assert len(tasks) == 7
    lawyer = tasks[1]
    assert "lawyer" in lawyer.title_en and "адвоката" in lawyer.title_ru
    assert lawyer.owner_role == OwnerRole.LAWYER
    assert lawyer.due_at == incident.opened_at + datetime.timedelta(minutes=60)
    assert "Rule 39" in tasks[5].title_en
    # The same alert again gives the same incident.
    assert open_from_alert(alert, actor=world.coordinator) == incident


def test_a_missed_check_in_resolved_as_a_false_alarm_opens_nothing(world: World) -> None:
    alert = open_alert(world.person, AlertKind.MISSED_CHECKIN)
    resolve_alert(alert, actor=world.coordinator, resolution=Resolution.FALSE_ALARM)

    with pytest.raises(ValidationError):
        open_from_alert(alert, actor=world.coordinator)


def test_a_compromised_house_gets_its_own_playbook(world: World) -> None:
    incident = open_incident(
        kind=IncidentKind.HOUSE_COMPROMISED, actor=world.coordinator, safe_house=world.safe_house
    )

    titles = [task.title_en for task in incident.tasks.order_by("position")]
    assert titles[1] == "Mark the house burned"
    assert any("access log" in title for title in titles)
    with pytest.raises(ValidationError):
        open_incident(
            kind=IncidentKind.HOUSE_COMPROMISED, actor=world.coordinator, person=world.person
        )


def test_an_organisations_playbook_is_its_own_to_edit(world: World) -> None:
    open_incident(kind=IncidentKind.PERSON_MISSING, actor=world.coordinator, person=world.person)
    playbook = Playbook.objects.get(
        organisation=world.organisation, kind=IncidentKind.PERSON_MISSING
    )
    step = playbook.steps.get(position=2)
    step.title_en, step.due_minutes = "Send our lawyer Ivanov", 30
    step.save()

    incident = open_incident(
        kind=IncidentKind.PERSON_MISSING, actor=world.coordinator, person=world.person
    )

    task = incident.tasks.get(position=2)
    assert task.title_en == "Send our lawyer Ivanov"
    assert task.due_at == incident.opened_at + datetime.timedelta(minutes=30)


def test_states_move_forward_and_closing_needs_an_outcome_and_a_debrief(world: World) -> None:
    incident = open_incident(
        kind=IncidentKind.DETAINED, actor=world.coordinator, person=world.person
    )

    move_incident(incident, IncidentState.RESPONDING, actor=world.coordinator)
    move_incident(incident, IncidentState.LOCATED, actor=world.coordinator)
    with pytest.raises(ValidationError):
        move_incident(incident, IncidentState.OPEN, actor=world.coordinator)
    with pytest.raises(ValidationError):
        close_incident(incident, actor=world.coordinator, outcome="released", debrief=" ")
    with pytest.raises(ValidationError):
        close_incident(incident, actor=world.coordinator, outcome="gone", debrief="x")

    close_incident(
        incident, actor=world.coordinator, outcome="released", debrief="Lawyer got him out at 3 am"
    )

    assert (incident.state, incident.outcome) == (IncidentState.CLOSED, "released")
    with pytest.raises(ValidationError):
        move_incident(incident, IncidentState.RESPONDING, actor=world.coordinator)
    assert AuditEntry.objects.filter(action="incident.closed").count() == 1


def test_one_timeline_in_order_with_who(world: World) -> None:
    alert = open_panic(world.person, PanicReport(channel="sms", received_at=timezone.now()))
    incident = open_from_alert(alert, actor=world.coordinator)
    task = incident.tasks.get(position=1)
    assert complete_task(task, actor=world.responder)
    assert not complete_task(task, actor=world.responder)
    add_note(
        incident, "Called the flat LEAKCHECK-NOTE: no answer", actor=world.coordinator, is_call=True
    )

    entries = list(TimelineEntry.objects.filter(incident=incident).order_by("at"))

    kinds = [entry.kind for entry in entries]
    assert kinds[0] in (EntryKind.ALERT, EntryKind.OPENED)
    assert kinds[-2:] == [EntryKind.TASK_DONE, EntryKind.CALL]
    assert entries[-1].actor == world.coordinator
    assert entries[-2].actor == world.responder


def test_notes_and_debriefs_are_encrypted_at_rest(world: World) -> None:
    incident = open_incident(
        kind=IncidentKind.DETAINED, actor=world.coordinator, person=world.person
    )
    add_note(incident, "LEAKCHECK-NOTE at Grozny station 2", actor=world.coordinator)
    close_incident(
        incident, actor=world.coordinator, outcome="released", debrief="LEAKCHECK-DEBRIEF"
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM incidents_timelineentry WHERE text IS NOT NULL")
        notes = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT debrief FROM incidents_incident")
        debriefs = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT title_en FROM incidents_incidenttask")
        titles = [row[0] for row in cursor.fetchall()]
    assert notes and not any("LEAKCHECK" in note for note in notes)
    assert not any("LEAKCHECK" in debrief for debrief in debriefs)
    assert not any("lawyer" in title.lower() for title in titles)


def test_an_organisation_has_one_playbook_per_kind(world: World) -> None:
    from django.db import IntegrityError, transaction

    from safehold.incidents.playbooks import playbook_for

    first = playbook_for(world.organisation, IncidentKind.DETAINED)
    assert playbook_for(world.organisation, IncidentKind.DETAINED) == first
    with pytest.raises(IntegrityError), transaction.atomic():
        Playbook.objects.create(
            organisation=world.organisation, kind=IncidentKind.DETAINED, name_en="x", name_ru="x"
        )
