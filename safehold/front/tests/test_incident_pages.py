"""The incident pages: open, work and close an incident; send a responder; evidence;
the dossier; and nobody outside reaches any of it."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from safehold.accounts.models import Member, Role
from safehold.alerts.actions import open_alert
from safehold.alerts.links import ack_token
from safehold.alerts.models import AlertKind
from safehold.audit.models import AuditEntry
from safehold.incidents.actions import open_incident
from safehold.incidents.dispatch import dispatch_responder
from safehold.incidents.models import (
    Dispatch,
    DispatchState,
    Incident,
    IncidentKind,
    IncidentState,
    ResponderKind,
    ResponderProfile,
)
from safehold.records.evidence import custody_of
from safehold.records.models import EvidenceItem
from safehold.testing import World, login, make_member

pytestmark = pytest.mark.django_db
PHOTO = b"\x89PNG\r\n\x1a\n" + b"the door, forced" * 40


@pytest.fixture
def incident(world: World) -> Incident:
    return open_incident(
        kind=IncidentKind.PERSON_MISSING,
        actor=world.coordinator,
        person=world.person,
        safe_house=world.safe_house,
    )


@pytest.fixture
def lawyer(world: World) -> Member:
    member = make_member(world.organisation, Role.RESPONDER, display_name="Vera Lawyer")
    ResponderProfile.objects.create(
        member=member, kinds=[ResponderKind.LAWYER], cities=["Nizhny Novgorod"]
    )
    return member


def _url(name: str, **ids: object) -> str:
    return reverse(name, kwargs=ids)


def test_a_coordinator_opens_an_incident_and_sees_its_tasks(world: World) -> None:
    client = login(world.coordinator)

    response = client.post(
        _url("incident_create"), {"kind": "person_missing", "person": str(world.person.pk)}
    )

    incident = Incident.objects.get()
    assert response["Location"] == _url("incident_detail", incident_id=incident.pk)
    page = client.get(response["Location"]).content.decode()
    assert "Falcon" in page and "Send a lawyer to the last known address" in page
    assert "Incident opened" in page  # the timeline


def test_opening_without_a_subject_shows_an_error_not_a_crash(world: World) -> None:
    response = login(world.coordinator).post(_url("incident_create"), {"kind": "detained"})

    assert response.status_code == 200
    assert "about a person or a safe house" in response.content.decode()
    assert not Incident.objects.exists()


def test_an_alert_opens_its_incident_from_its_page(world: World) -> None:
    alert = open_alert(world.person, AlertKind.PANIC)
    client = login(world.coordinator)
    assert (
        "Open an incident" in client.get(_url("alert_detail", alert_id=alert.pk)).content.decode()
    )

    response = client.post(_url("incident_from_alert", alert_id=alert.pk))

    incident = Incident.objects.get()
    assert response["Location"] == _url("incident_detail", incident_id=incident.pk)
    assert (
        "Go to the incident" in client.get(_url("alert_detail", alert_id=alert.pk)).content.decode()
    )


def test_notes_state_tasks_and_closing(world: World, incident: Incident) -> None:
    client = login(world.coordinator)
    detail = _url("incident_detail", incident_id=incident.pk)
    task = incident.tasks.get(position=1)

    client.post(_url("incident_note", incident_id=incident.pk), {"note-text": "Called the mother."})
    client.post(_url("incident_move", incident_id=incident.pk), {"move-state": "responding"})
    client.post(_url("incident_task_done", incident_id=incident.pk, task_id=task.pk))
    refused = client.post(
        _url("incident_close", incident_id=incident.pk), {"close-outcome": "safe"}
    )
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    client.post(
        _url("incident_close", incident_id=incident.pk),
        {"close-outcome": "safe", "close-debrief": "Found at a friend's."},
    )

    incident.refresh_from_db()
    task.refresh_from_db()
    assert incident.state == IncidentState.CLOSED and task.done_at is not None
    page = client.get(detail).content.decode()
    assert "Called the mother." in page and "Found at a friend" in page
    assert "Close the incident" not in page  # nothing left to do on a closed incident


def test_sending_a_lawyer_who_accepts_from_the_message_and_sees_the_address(
    world: World, incident: Incident, lawyer: Member
) -> None:
    client = login(world.coordinator)
    page = client.get(_url("incident_detail", incident_id=incident.pk)).content.decode()
    assert "Vera Lawyer" in page and "same city" in page

    client.post(
        _url("incident_dispatch", incident_id=incident.pk),
        {"dispatch-kind": "lawyer", "dispatch-responder": str(lawyer.pk),
         "dispatch-timeout_minutes": "15"},
    )  # fmt: skip

    dispatch = Dispatch.objects.get()
    notification = dispatch.alert.notifications.get()  # type: ignore[union-attr]
    link = _url("alert_ack_link", token=ack_token(notification.pk))
    public = Client()
    offer = public.get(link).content.decode()
    assert "I will go" in offer and "ul. Test" not in offer
    public.post(link, {"answer": "accept"})
    dispatch.refresh_from_db()
    assert dispatch.state == DispatchState.ACCEPTED
    # The address waits behind the lawyer's own login.
    responder = login(lawyer)
    page = responder.post(_url("dispatch_page", dispatch_id=dispatch.pk), {"action": "address"})
    assert "ul. Test 1, kv. 2" in page.content.decode()
    assert AuditEntry.objects.filter(action="incident.address_revealed", actor_id=lawyer.pk)
    responder.post(_url("dispatch_page", dispatch_id=dispatch.pk), {"action": "on_site"})
    dispatch.refresh_from_db()
    assert dispatch.arrived_at is not None


def test_a_declined_request_goes_to_the_next_lawyer(
    world: World, incident: Incident, lawyer: Member
) -> None:
    second = make_member(world.organisation, Role.RESPONDER, display_name="Boris")
    ResponderProfile.objects.create(member=second, kinds=[ResponderKind.LAWYER])
    dispatch = dispatch_responder(incident, actor=world.coordinator)
    assert dispatch is not None and dispatch.responder == lawyer

    login(lawyer).post(_url("dispatch_page", dispatch_id=dispatch.pk), {"action": "decline"})

    assert Dispatch.objects.get(state=DispatchState.OFFERED).responder == second


def test_nobody_else_reaches_a_responders_page(
    world: World, incident: Incident, lawyer: Member
) -> None:
    dispatch = dispatch_responder(incident, actor=world.coordinator)
    assert dispatch is not None
    for member in (world.coordinator, world.responder, world.outsider):
        response = login(member).post(
            _url("dispatch_page", dispatch_id=dispatch.pk), {"action": "address"}
        )
        assert response.status_code == 404


def test_evidence_goes_in_encrypted_and_out_with_its_custody(
    world: World, incident: Incident
) -> None:
    client = login(world.coordinator)
    upload = io.BytesIO(PHOTO)
    upload.name = "door.png"

    client.post(
        _url("incident_evidence_add", incident_id=incident.pk),
        {"evidence-file": upload, "evidence-description": "front door"},
    )
    item = EvidenceItem.objects.get()
    page = client.get(_url("incident_detail", incident_id=incident.pk)).content.decode()
    assert item.sha256 in page

    download = client.post(
        _url("incident_evidence_download", incident_id=incident.pk, item_id=item.pk)
    )
    assert download.content == PHOTO
    assert download["Content-Disposition"].startswith("attachment")
    assert "door" not in download["Content-Disposition"]  # the name stays inside
    client.post(_url("incident_evidence_verify", incident_id=incident.pk, item_id=item.pk))
    assert [e.action for e in custody_of(item)] == ["received", "downloaded", "verified"]


def test_the_dossier_downloads_as_a_pdf(world: World, incident: Incident) -> None:
    response = login(world.coordinator).post(
        _url("incident_export", incident_id=incident.pk),
        {"export-file_format": "pdf", "export-language": "en", "export-respondent_state": "RU"},
    )

    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Rule 39" in text and "Falcon" in text


def test_a_bad_export_request_is_refused_politely(world: World, incident: Incident) -> None:
    response = login(world.coordinator).post(
        _url("incident_export", incident_id=incident.pk),
        {"export-file_format": "exe", "export-language": "xx", "export-respondent_state": "R"},
    )
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action="incident.exported")


def test_statistics_page(world: World, incident: Incident) -> None:
    page = login(world.coordinator).get(_url("incident_stats")).content.decode()
    assert "Median time to the first acknowledgement" in page


@pytest.mark.parametrize("who", ["stranger", "outsider", "responder"])
def test_outsiders_reach_nothing(world: World, incident: Incident, who: str) -> None:
    client = login(getattr(world, who))
    assert client.get(_url("incident_detail", incident_id=incident.pk)).status_code == 404
    for name in ("incident_note", "incident_move", "incident_close", "incident_export"):
        assert client.post(_url(name, incident_id=incident.pk), {}).status_code == 404
    assert b"Falcon" not in client.get(_url("incident_list")).content


def test_a_viewer_sees_but_cannot_change(world: World, incident: Incident) -> None:
    client = login(world.viewer)
    page = client.get(_url("incident_detail", incident_id=incident.pk)).content.decode()
    assert "Falcon" in page and "Close the incident" not in page
    assert client.post(_url("incident_note", incident_id=incident.pk), {}).status_code == 404


def test_proposals_for_another_kind_send_that_kind(world: World, incident: Incident) -> None:
    doctor = make_member(world.organisation, Role.RESPONDER, display_name="Dr Dmitri")
    ResponderProfile.objects.create(member=doctor, kinds=[ResponderKind.DOCTOR])
    client = login(world.coordinator)
    page = client.get(_url("incident_detail", incident_id=incident.pk) + "?kind=doctor")
    assert 'name="dispatch-kind" value="doctor"' in page.content.decode()

    client.post(
        _url("incident_dispatch", incident_id=incident.pk),
        {"dispatch-kind": "doctor", "dispatch-responder": str(doctor.pk),
         "dispatch-timeout_minutes": "15"},
    )  # fmt: skip

    assert Dispatch.objects.get().responder == doctor


def test_a_written_statement_is_evidence_too(world: World, incident: Incident) -> None:
    client = login(world.coordinator)
    add = _url("incident_evidence_add", incident_id=incident.pk)

    empty = client.post(add, {"evidence-text": "  "})
    client.post(add, {"evidence-text": "The neighbour saw three men in uniform."})

    assert "either a file or a written statement" in empty.content.decode()
    item = EvidenceItem.objects.get()
    assert (item.kind, item.content_type) == ("note", "text/plain; charset=utf-8")
    download = client.post(
        _url("incident_evidence_download", incident_id=incident.pk, item_id=item.pk)
    )
    assert download.content == b"The neighbour saw three men in uniform."


def test_a_file_over_the_limit_is_named_as_such(world: World, incident: Incident) -> None:
    upload = io.BytesIO(b"\0" * (21 * 1024 * 1024 + 1))
    upload.name = "huge.bin"

    response = login(world.coordinator).post(
        _url("incident_evidence_add", incident_id=incident.pk), {"evidence-file": upload}
    )

    assert "at most 20 MB" in response.content.decode()
    assert not EvidenceItem.objects.exists()
