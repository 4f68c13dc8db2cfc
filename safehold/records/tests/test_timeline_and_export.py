"""One timeline per incident, and the dossier exported from it."""

from __future__ import annotations

import datetime
import io
import os
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pypdf import PdfReader

from safehold.accounts.models import Role
from safehold.alerts.actions import acknowledge_alert
from safehold.alerts.tests.helpers import MemoryTransport, add_channel
from safehold.alerts.worker import Worker
from safehold.audit.models import AuditEntry
from safehold.cases.actions import move_stage
from safehold.inbound.gateway_actions import add_gateway
from safehold.inbound.models import AddressKind
from safehold.inbound.service import Delivery, add_sender, receive
from safehold.incidents.actions import add_note, complete_task, move_incident, open_from_alert
from safehold.incidents.dispatch import accept_dispatch, dispatch_responder, mark_on_site
from safehold.incidents.models import Incident, ResponderKind, ResponderProfile
from safehold.records.evidence import add_file, custody_of
from safehold.records.export import RequestDetails, export_incident, gather_dossier
from safehold.records.models import CustodyAction
from safehold.records.timeline import Source, incident_timeline, local_zone
from safehold.shelters.actions import place_person, set_safe_house_status
from safehold.testing import World, make_member

pytestmark = pytest.mark.django_db
PHONE = "+79161234567"
PHOTO = b"\xff\xd8\xff\xe0" + b"photo of the flat" * 50


@pytest.fixture
def incident(world: World) -> Incident:
    """A panic by SMS, the incident it opened, and the first hours of the response."""
    world.person.coordinator = world.coordinator
    world.person.save()
    add_channel(world.coordinator, "json://lead.test/hook")
    place_person(world.person, world.safe_house, actor=world.coordinator, start_date=world.today)
    gateway = add_gateway(
        world.organisation,
        kind="android",
        label="Phone",
        secret="android-signing-key-0123",
        reply_url="smsgate://user:pass@127.0.0.1:8080",
        intake_compartment=world.compartment,
    )
    add_sender(kind=AddressKind.PHONE, address=PHONE, person=world.person)
    receive(Delivery(gateway, "d1", PHONE, "Помогите! They are at the door", timezone.now()))
    worker = Worker(name="test", deliver=MemoryTransport(), pool_size=1)
    worker.tick(timezone.now())
    from safehold.alerts.models import Alert

    panic = Alert.objects.get(person=world.person)
    acknowledge_alert(panic, actor=world.coordinator, via="web")
    incident = open_from_alert(panic, actor=world.coordinator)
    move_incident(incident, "responding", actor=world.coordinator)
    lawyer = make_member(world.organisation, Role.RESPONDER, display_name="Vera Lawyer")
    ResponderProfile.objects.create(
        member=lawyer, kinds=[ResponderKind.LAWYER], cities=["Nizhny Novgorod"]
    )
    dispatch = dispatch_responder(incident, actor=world.coordinator)
    assert dispatch is not None
    accept_dispatch(dispatch, actor=lawyer)
    mark_on_site(dispatch, actor=lawyer)
    add_note(incident, "The flat was empty; the door was forced.", actor=lawyer, is_call=True)
    complete_task(incident.tasks.get(position=1), actor=world.coordinator)
    set_safe_house_status(world.safe_house, "burned", actor=world.coordinator, reason="police raid")
    move_stage(world.person, "relocation", actor=world.coordinator, reason="must move")
    add_file(incident, actor=lawyer, name="door.jpg", data=PHOTO)
    return incident


def test_the_timeline_holds_every_kind_of_fact_in_order(world: World, incident: Incident) -> None:
    events = incident_timeline(incident)

    assert [e.at for e in events] == sorted(e.at for e in events)
    sources = {e.source for e in events}
    assert sources >= {
        Source.INCIDENT, Source.ALERT, Source.NOTIFICATION, Source.MESSAGE, Source.TASK,
        Source.NOTE, Source.DISPATCH, Source.STAGE, Source.PLACEMENT, Source.EVIDENCE,
    }  # fmt: skip
    texts = [e.text for e in events]
    assert any("Помогите" in t for t in texts)  # the message received
    assert any("The flat was empty" in t for t in texts)  # the call logged
    assert any("Vera Lawyer" in t and "on site" in t for t in texts)
    assert any("Lighthouse" in t for t in texts)  # placement and house burned
    # Who did it is on the lines people did.
    note = next(e for e in events if e.source == Source.NOTE)
    assert note.actor == "Vera Lawyer"
    acked = next(e for e in events if e.label == "Acknowledged")
    assert acked.actor == world.coordinator.label


def test_the_timeline_reads_in_russian(incident: Incident) -> None:
    from django.utils import translation

    with translation.override("ru"):
        events = incident_timeline(incident, language="ru")

    task = next(e for e in events if e.source == Source.TASK)
    assert "Попытаться связаться" in task.text


def test_the_local_time_is_the_persons_zone(world: World, incident: Incident) -> None:
    from safehold.checkins.actions import set_schedule

    assert local_zone(incident) == "Europe/Moscow"
    set_schedule(
        world.person, actor=None, kind="interval", interval_minutes=60,
        timezone="Asia/Yekaterinburg", now=timezone.now(),
    )  # fmt: skip
    assert local_zone(incident) == "Asia/Yekaterinburg"


def test_the_dossier_shows_identity_only_to_whoever_may_reveal_it(
    world: World, incident: Incident
) -> None:
    full = gather_dossier(incident, exporter=world.coordinator, language="en")
    partial = gather_dossier(incident, exporter=world.viewer, language="en")

    assert "Ruslan Testov" in [f.value for f in full.person]
    assert full.request.applicant == "Ruslan Testov"
    assert "Ruslan Testov" not in repr(partial)
    assert partial.request.applicant == "Falcon"
    assert AuditEntry.objects.filter(action="person.revealed", actor_id=world.coordinator.pk)
    assert not AuditEntry.objects.filter(action="person.revealed", actor_id=world.viewer.pk)
    assert full.request.lawyer_name == "Vera Lawyer"
    assert full.request.respondent_state == "RU"


def test_an_export_is_a_custody_entry_and_the_pdf_carries_the_hashes(
    world: World, incident: Incident
) -> None:
    export = export_incident(
        incident,
        exporter=world.coordinator,
        file_format="pdf",
        language="en",
        details=RequestDetails(is_removal=True, removal_destination="Grozny"),
    )

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(export.content)).pages)
    flat = "".join(text.split())
    item = incident.evidence.get()
    assert item.sha256 in flat
    assert "Rule 39" in text and "Grozny" in text
    assert "16 September 2022" in text  # Russia is no longer a party
    assert [entry.action for entry in custody_of(item)] == [
        CustodyAction.RECEIVED, CustodyAction.EXPORTED,
    ]  # fmt: skip
    assert AuditEntry.objects.filter(action="incident.exported").count() == 1


def test_the_command_writes_a_private_file_once(
    world: World, incident: Incident, tmp_path: Path
) -> None:
    target = tmp_path / "dossier.html"
    out = io.StringIO()
    call_command(
        "incident", "export", str(incident.pk), "--as", world.coordinator.email,
        "--format", "html", "--language", "ru", "--output", str(target), stdout=out,
    )  # fmt: skip

    html = target.read_text()
    assert "Falcon" in html and "Ruslan Testov" in html and 'lang="ru"' in html
    assert os.stat(target).st_mode & 0o077 == 0
    with pytest.raises(CommandError):  # never overwritten
        call_command(
            "incident", "export", str(incident.pk), "--as", world.coordinator.email,
            "--output", str(target),
        )  # fmt: skip


def test_the_command_refuses_whoever_may_not_see_the_incident(
    world: World, incident: Incident, tmp_path: Path
) -> None:
    for member in (world.stranger, world.outsider, world.responder):
        with pytest.raises(CommandError):
            call_command(
                "incident", "export", str(incident.pk), "--as", member.email,
                "--output", str(tmp_path / f"{member.pk}.pdf"),
            )  # fmt: skip
    assert not list(tmp_path.iterdir())


def test_times_are_utc_on_the_lines(incident: Incident) -> None:
    assert all(e.at.utcoffset() == datetime.timedelta(0) for e in incident_timeline(incident))


def test_an_export_that_cannot_be_written_is_not_recorded(
    world: World, incident: Incident, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from safehold.records import fonts

    monkeypatch.setattr(fonts, "REGULAR_FONT", tmp_path / "gone.ttf")

    with pytest.raises(FileNotFoundError):
        export_incident(incident, exporter=world.coordinator, file_format="pdf", language="en")

    assert not AuditEntry.objects.filter(action="incident.exported").exists()
    assert [e.action for e in custody_of(incident.evidence.get())] == [CustodyAction.RECEIVED]


def test_custody_and_timeline_entries_are_never_changed(incident: Incident) -> None:
    entry = custody_of(incident.evidence.get())[0]
    line = incident.timeline.first()
    assert line is not None
    for row in (entry, line):
        with pytest.raises(RuntimeError):
            row.save()
        with pytest.raises(RuntimeError):
            row.delete()
