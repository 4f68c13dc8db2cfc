"""Evidence on an incident: encrypted at rest, hashed on arrival, every access in custody."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from safehold.audit.models import AuditEntry
from safehold.crypto.envelope import encrypt, sha256_hex
from safehold.incidents.actions import open_incident
from safehold.incidents.models import Incident, IncidentKind
from safehold.records.evidence import (
    MAX_FILE_BYTES,
    EvidenceTampered,
    add_evidence_note,
    add_file,
    content_aad,
    custody_of,
    open_item,
    record_export,
    safe_file_name,
    verify_item,
)
from safehold.records.models import CustodyAction, CustodyEntry, EvidenceItem, EvidenceKind
from safehold.testing import World

pytestmark = pytest.mark.django_db

PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"FLAT-DOOR-BROKEN-4471 " * 40
NAME = "дверь-квартиры-12.jpg"
DESCRIPTION = "The door of flat 12 forced at night, Lenina street"
NOTE = "Neighbour EVIDNOTE-5521 saw two men in uniform take him at 4 am"


def _incident(world: World) -> Incident:
    return open_incident(
        kind=IncidentKind.PERSON_MISSING, actor=world.coordinator, person=world.person
    )


def _photo(world: World, incident: Incident | None = None) -> EvidenceItem:
    return add_file(
        incident or _incident(world),
        actor=world.coordinator,
        name=NAME,
        data=PHOTO,
        description=DESCRIPTION,
    )


def _rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return repr(cursor.fetchall())


def _encodings(value: bytes) -> list[str]:
    """Return the plaintext and its base64/hex forms as they would appear at any offset."""
    forms = [value.decode("utf-8", "replace"), value.hex()]
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            # The last 4 characters depend on what follows; the rest does not.
            forms.append(encode(value[shift:]).decode()[:-4])
    return forms


def _set(item: EvidenceItem, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE records_evidenceitem SET {column} = %s WHERE id = %s",
            [value, item.pk.hex if connection.vendor == "sqlite" else item.pk],
        )


def _stored_content(item: EvidenceItem) -> str:
    return EvidenceItem.objects.values_list("content", flat=True).get(pk=item.pk)


def _audits(action: str, item: EvidenceItem) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, object_id=str(item.pk)))


def test_a_files_bytes_name_and_description_and_a_notes_text_stay_encrypted(
    world: World,
) -> None:
    incident = _incident(world)
    _photo(world, incident)
    add_evidence_note(incident, actor=world.coordinator, text=NOTE)

    stored = _rows("records_evidenceitem") + _rows("records_custodyentry")

    secrets = [PHOTO[12:], NAME.encode(), DESCRIPTION.encode(), NOTE.encode()]
    for secret in secrets:
        for form in _encodings(secret):
            assert form not in stored
    # The check above would see them: the same rows do hold the plaintext hash.
    assert sha256_hex(PHOTO) in stored


def test_the_stored_sha256_is_that_of_the_bytes_or_the_notes_utf8_text(world: World) -> None:
    incident = _incident(world)
    photo = _photo(world, incident)
    note = add_evidence_note(incident, actor=world.coordinator, text=f"  {NOTE} — ё  ")

    assert photo.sha256 == sha256_hex(PHOTO)
    assert photo.size_bytes == len(PHOTO)
    assert note.sha256 == sha256_hex(f"{NOTE} — ё".encode())
    # A known answer, so the test does not rest on the helper the code uses.
    abc = add_evidence_note(incident, actor=world.coordinator, text="abc")
    assert abc.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert (photo.kind, note.kind) == (EvidenceKind.FILE, EvidenceKind.NOTE)
    received = custody_of(photo)
    assert [(e.action, e.actor, e.sha256_seen, e.is_intact) for e in received] == [
        (CustodyAction.RECEIVED, world.coordinator, photo.sha256, True)
    ]
    assert len(_audits("evidence.received", photo)) == 1


def test_opening_a_file_returns_its_bytes_and_records_who_saw_which_hash(world: World) -> None:
    item = _photo(world)

    opened = open_item(item, actor=world.responder, purpose=CustodyAction.DOWNLOADED)

    assert (opened.data, opened.name, opened.is_intact) == (PHOTO, NAME, True)
    entry = custody_of(item)[-1]
    assert (entry.actor, entry.action, entry.sha256_seen, entry.is_intact) == (
        world.responder, CustodyAction.DOWNLOADED, sha256_hex(PHOTO), True,
    )  # fmt: skip
    [audit] = _audits("evidence.downloaded", item)
    assert audit.actor_id == world.responder.pk
    assert audit.organisation_id == world.organisation.pk
    assert audit.details["items"][0]["custody"] == str(entry.pk)


def test_a_note_opens_as_its_text(world: World) -> None:
    note = add_evidence_note(_incident(world), actor=world.coordinator, text=NOTE)

    opened = open_item(note, actor=world.coordinator, purpose=CustodyAction.VIEWED)

    assert (opened.data.decode(), opened.name) == (NOTE, "")
    assert note.content_type == "text/plain; charset=utf-8"


def _assert_tamper_recorded(item: EvidenceItem, *, sha256_seen: str) -> None:
    entry = custody_of(item)[-1]
    assert (entry.action, entry.is_intact, entry.sha256_seen) == (
        CustodyAction.VIEWED, False, sha256_seen,
    )  # fmt: skip
    [audit] = _audits("evidence.tamper_detected", item)
    assert audit.details["purpose"] == CustodyAction.VIEWED
    assert not _audits("evidence.viewed", item)


def test_a_flipped_character_in_the_ciphertext_is_detected_and_recorded(world: World) -> None:
    item = _photo(world)
    token = _stored_content(item)
    middle = len(token) // 2
    flipped = "A" if token[middle] != "A" else "B"
    _set(item, "content", token[:middle] + flipped + token[middle + 1 :])

    with pytest.raises(EvidenceTampered):
        open_item(item, actor=world.coordinator, purpose=CustodyAction.VIEWED)

    _assert_tamper_recorded(item, sha256_seen="")


def test_content_swapped_by_someone_holding_the_key_is_detected(world: World) -> None:
    item = _photo(world)
    forged = PHOTO.replace(b"BROKEN", b"INTACT")
    _set(item, "content", encrypt(forged, aad=content_aad(item.pk, item.sha256)))

    with pytest.raises(EvidenceTampered):
        open_item(item, actor=world.coordinator, purpose=CustodyAction.VIEWED)

    _assert_tamper_recorded(item, sha256_seen=sha256_hex(forged))


def test_a_rewritten_hash_column_is_detected(world: World) -> None:
    item = _photo(world)
    _set(item, "sha256", sha256_hex(b"something else"))

    with pytest.raises(EvidenceTampered):
        open_item(item, actor=world.coordinator, purpose=CustodyAction.VIEWED)

    _assert_tamper_recorded(item, sha256_seen="")


def test_a_consistent_forgery_of_content_and_hash_still_fails_the_receipt(world: World) -> None:
    item = _photo(world)
    forged = PHOTO.replace(b"BROKEN", b"INTACT")
    forged_sha256 = sha256_hex(forged)
    _set(item, "sha256", forged_sha256)
    _set(item, "content", encrypt(forged, aad=content_aad(item.pk, forged_sha256)))

    with pytest.raises(EvidenceTampered):
        open_item(item, actor=world.coordinator, purpose=CustodyAction.VIEWED)

    _assert_tamper_recorded(item, sha256_seen=forged_sha256)


def test_a_token_copied_from_another_item_is_detected(world: World) -> None:
    incident = _incident(world)
    item = _photo(world, incident)
    other = add_file(incident, actor=world.coordinator, name="b.jpg", data=PHOTO)
    _set(item, "content", _stored_content(other))

    with pytest.raises(EvidenceTampered):
        open_item(item, actor=world.coordinator, purpose=CustodyAction.VIEWED)

    _assert_tamper_recorded(item, sha256_seen="")


def test_verifying_records_the_check_without_opening(world: World) -> None:
    incident = _incident(world)
    intact = _photo(world, incident)
    altered = _photo(world, incident)
    _set(altered, "sha256", "0" * 64)

    assert verify_item(intact, actor=world.coordinator) is True
    assert verify_item(altered, actor=world.coordinator) is False

    assert [(e.action, e.is_intact) for e in custody_of(intact)][-1] == ("verified", True)
    assert [(e.action, e.is_intact) for e in custody_of(altered)][-1] == ("verified", False)
    assert len(_audits("evidence.verified", intact)) == 1
    assert len(_audits("evidence.tamper_detected", altered)) == 1


def test_an_export_writes_one_custody_entry_per_item_and_one_audit_entry(world: World) -> None:
    incident = _incident(world)
    photo = _photo(world, incident)
    note = add_evidence_note(incident, actor=world.coordinator, text=NOTE)
    tampered = _photo(world, incident)
    _set(tampered, "sha256", "f" * 64)

    flags = record_export([note, photo, tampered], actor=world.coordinator)

    assert flags == [True, True, False]
    for item, is_intact in ((note, True), (photo, True), (tampered, False)):
        assert [(e.action, e.is_intact) for e in custody_of(item)][1:] == [
            (CustodyAction.EXPORTED, is_intact)
        ]
    [audit] = AuditEntry.objects.filter(action__startswith="evidence.").exclude(
        action="evidence.received"
    )
    assert (audit.action, audit.object_id) == ("evidence.tamper_detected", str(incident.pk))
    assert [entry["item"] for entry in audit.details["items"]] == [
        str(note.pk), str(photo.pk), str(tampered.pk),
    ]  # fmt: skip


def test_empty_and_oversized_files_and_empty_notes_are_refused(world: World) -> None:
    incident = _incident(world)

    with pytest.raises(ValidationError, match="empty"):
        add_file(incident, actor=world.coordinator, name="a.jpg", data=b"")
    with pytest.raises(ValidationError, match="20 MB"):
        add_file(
            incident, actor=world.coordinator, name="a.pdf", data=b"%PDF-" + b"0" * MAX_FILE_BYTES
        )
    with pytest.raises(ValidationError):
        add_evidence_note(incident, actor=world.coordinator, text=" \n ")
    with pytest.raises(ValidationError):
        add_evidence_note(incident, actor=world.coordinator, text="x" * 10_001)

    assert not EvidenceItem.objects.exists()
    assert not CustodyEntry.objects.exists()
    # The limit itself is allowed.
    add_file(incident, actor=world.coordinator, name="a.bin", data=b"\x00" * MAX_FILE_BYTES)


def test_a_hostile_file_name_is_stored_safely(world: World) -> None:
    item = add_file(
        _incident(world), actor=world.coordinator, name="../../etc/passwd\x00.jpg", data=PHOTO
    )

    assert EvidenceItem.objects.get(pk=item.pk).name == "passwd.jpg"
    assert open_item(item, actor=world.coordinator, purpose="viewed").name == "passwd.jpg"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("C:\\Users\\x\\photo.png", "photo.png"),
        ("report\u202egpj.exe", "reportgpj.exe"),
        ("../..", "evidence"),
        (".bashrc", "bashrc"),
        ("line\nbreak\ttab.txt", "linebreaktab.txt"),
        ("a" * 300 + ".jpeg", "a" * 195 + ".jpeg"),
    ],
)
def test_file_names_lose_paths_and_invisible_characters(name: str, expected: str) -> None:
    assert safe_file_name(name) == expected


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("summons.pdf", PHOTO, "image/jpeg"),
        ("photo.jpg", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        ("photo.png", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        ("photo.jpg", b"<html><script>alert(1)</script></html>", "text/plain; charset=utf-8"),
        ("scan.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "application/octet-stream"),
        ("note.txt", b"\xd0\xbf\xd1\x80\xd0\xb8", "text/plain; charset=utf-8"),
        ("image.png", b"<svg onload='alert(1)'/>", "text/plain; charset=utf-8"),
        ("image.jpg", b"GIF89a\x01\x00\x01\x00", "application/octet-stream"),
        ("latin1.txt", b"caf\xe9", "application/octet-stream"),
    ],
)
def test_content_types_are_sniffed_from_the_bytes_not_the_name(
    world: World, name: str, data: bytes, content_type: str
) -> None:
    item = add_file(_incident(world), actor=world.coordinator, name=name, data=data)

    assert EvidenceItem.objects.get(pk=item.pk).content_type == content_type


def test_custody_lists_receipt_view_and_export_in_order(world: World) -> None:
    item = _photo(world)

    open_item(item, actor=world.responder, purpose=CustodyAction.VIEWED)
    record_export([item], actor=world.admin)

    assert [(e.position, e.action, e.actor) for e in custody_of(item)] == [
        (1, CustodyAction.RECEIVED, world.coordinator),
        (2, CustodyAction.VIEWED, world.responder),
        (3, CustodyAction.EXPORTED, world.admin),
    ]
    times = [e.at for e in custody_of(item)]
    assert times == sorted(times)
