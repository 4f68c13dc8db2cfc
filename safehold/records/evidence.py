"""Receiving evidence for an incident, opening it, and keeping its chain of custody.

Each action runs in one transaction and writes one audit entry; audit details hold
ids, hashes and kinds, never a file name, a description or a note.

Integrity: the SHA-256 of the plaintext is taken on arrival and stored, and it is part
of the associated data of the content's ciphertext. Every access decrypts the content
and hashes it again; the item is intact only if decryption succeeds and the hash
matches both the stored hash and the one recorded at receipt. So a flipped byte fails
decryption, content swapped by someone holding the key fails the hash, and a rewritten
hash column fails decryption.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from safehold.accounts.models import Member, Organisation
from safehold.audit.chain import record
from safehold.crypto.envelope import decrypt, encrypt, sha256_hex
from safehold.crypto.keys import DecryptionError
from safehold.incidents.models import Incident
from safehold.records.models import CustodyAction, CustodyEntry, EvidenceItem, EvidenceKind

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_NAME = 200
MAX_NOTE = 10_000
MAX_DESCRIPTION = 2_000
OPEN_PURPOSES = frozenset({CustodyAction.VIEWED, CustodyAction.DOWNLOADED, CustodyAction.EXPORTED})
FALLBACK_NAME = "evidence"
TEXT_TYPE = "text/plain; charset=utf-8"
BINARY_TYPE = "application/octet-stream"
# Leading bytes of the only binary types we ever label as such; a browser shown any of
# these cannot be talked into running script.
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Controls, invisible formatting (a right-to-left override turns "gpj.exe" into a
# convincing "exe.jpg"), surrogates and line separators.
_UNSAFE_IN_NAME = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
_LONGEST_KEPT_EXTENSION = 16


class EvidenceTampered(Exception):
    """The content of an evidence item no longer matches what was received."""

    def __init__(self, item_id: uuid.UUID) -> None:
        super().__init__(f"Evidence item {item_id} failed its integrity check.")
        self.item_id = item_id


@dataclass(frozen=True)
class Opened:
    """An evidence item's decrypted content; `name` is empty for notes."""

    item: EvidenceItem
    data: bytes
    name: str
    is_intact: bool


@dataclass(frozen=True)
class _Check:
    item: EvidenceItem
    data: bytes | None
    name: str
    sha256_seen: str
    is_intact: bool


def content_aad(item_id: uuid.UUID, sha256: str) -> bytes:
    """Return the associated data binding a content token to its row and its stored hash."""
    # Same shape as crypto.fields ("<label>.<field>:<pk>"), plus the hash: rewriting
    # the sha256 column alone makes the content refuse to decrypt.
    return f"records.evidenceitem.content:{item_id}:{sha256}".encode()


def safe_file_name(name: str) -> str:
    """Return `name` without directories, control or invisible characters, ≤ 200 chars."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _UNSAFE_IN_NAME)
    name = re.split(r"[/\\]", name)[-1].strip().lstrip(".").strip()
    if not name:
        return FALLBACK_NAME
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= _LONGEST_KEPT_EXTENSION:
            name = stem[: MAX_NAME - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_NAME]
    return name


def sniff_content_type(data: bytes) -> str:
    """Return the content type the bytes show (JPEG, PNG, PDF, UTF-8 text) or octet-stream."""
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return BINARY_TYPE
    # HTML or SVG is text too: served as text/plain it stays inert.
    return BINARY_TYPE if _CONTROL_IN_TEXT.search(text) else TEXT_TYPE


@transaction.atomic
def add_file(
    incident: Incident, *, actor: Member, name: str, data: bytes, description: str = ""
) -> EvidenceItem:
    """Receive a file as evidence; raise ValidationError if it is empty or over 20 MB."""
    if not isinstance(data, bytes):
        raise TypeError("add_file() takes the file's content as bytes")
    if not data:
        raise ValidationError({"data": _("This file is empty.")})
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError({"data": file_too_large_message()})
    description = description.strip() if isinstance(description, str) else ""
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError({"description": _("Keep the description under 2,000 characters.")})
    return _receive(
        incident,
        actor=actor,
        kind=EvidenceKind.FILE,
        data=data,
        name=safe_file_name(name if isinstance(name, str) else ""),
        description=description or None,
        content_type=sniff_content_type(data),
    )


def file_too_large_message() -> str:
    return _("A file can be at most %(limit)s MB.") % {"limit": MAX_FILE_BYTES // (1024 * 1024)}


@transaction.atomic
def add_evidence_note(incident: Incident, *, actor: Member, text: str) -> EvidenceItem:
    """Receive a written note as evidence; raise ValidationError if empty or too long."""
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise ValidationError({"text": _("Write the note first.")})
    if len(text) > MAX_NOTE:
        raise ValidationError({"text": _("Keep a note under 10,000 characters.")})
    return _receive(
        incident,
        actor=actor,
        kind=EvidenceKind.NOTE,
        data=text.encode("utf-8"),
        name=None,
        description=None,
        content_type=TEXT_TYPE,
    )


def _receive(
    incident: Incident,
    *,
    actor: Member,
    kind: str,
    data: bytes,
    name: str | None,
    description: str | None,
    content_type: str,
) -> EvidenceItem:
    sha256 = sha256_hex(data)
    item = EvidenceItem(
        incident=incident,
        kind=kind,
        name=name,
        description=description,
        content_type=content_type,
        size_bytes=len(data),
        sha256=sha256,
        added_by=actor,
    )
    item.content = encrypt(data, aad=content_aad(item.pk, sha256))
    item.save(force_insert=True)
    CustodyEntry.objects.create(
        item=item,
        position=1,
        at=item.added_at,
        actor=actor,
        action=CustodyAction.RECEIVED,
        sha256_seen=sha256,
        is_intact=True,
    )
    record(
        "evidence.received",
        actor=actor,
        target=item,
        details={
            "item": str(item.pk),
            "incident": str(incident.pk),
            "kind": kind,
            "sha256": sha256,
            "size_bytes": len(data),
            "content_type": content_type,
        },
        organisation_id=incident.organisation_id,
    )
    return item


def open_item(item: EvidenceItem, *, actor: Member, purpose: str) -> Opened:
    """Return the decrypted content of `item` for `purpose` (viewed, downloaded, exported).

    Record the access in the chain of custody. Raise EvidenceTampered, after recording
    the failed check, if the content was altered; altered bytes are never returned.
    Inside an outer transaction, catch EvidenceTampered before leaving it, or that
    record rolls back with it.
    """
    if purpose not in OPEN_PURPOSES:
        raise ValueError(f"open_item() purpose must be one of {sorted(OPEN_PURPOSES)}")
    # One transaction, but not the decorator: the exception must come after the commit,
    # so the record of a failed check survives it.
    with transaction.atomic():
        check = _check(item.pk)
        entry = _append_custody(check, actor=actor, action=purpose)
        _audit(check.item, actor=actor, purpose=purpose, checks=[(check, entry)])
    if not check.is_intact or check.data is None:
        raise EvidenceTampered(item.pk)
    return Opened(item=check.item, data=check.data, name=check.name, is_intact=True)


@transaction.atomic
def verify_item(item: EvidenceItem, *, actor: Member) -> bool:
    """Return whether `item` is unchanged since it was received, recording the check."""
    check = _check(item.pk, keep_data=False)
    entry = _append_custody(check, actor=actor, action=CustodyAction.VERIFIED)
    _audit(check.item, actor=actor, purpose=CustodyAction.VERIFIED, checks=[(check, entry)])
    return check.is_intact


@transaction.atomic
def record_export(items: Sequence[EvidenceItem], *, actor: Member) -> list[bool]:
    """Check and record the export of `items`; return whether each one is intact.

    Write one custody entry per item and one audit entry for the whole export. Raise
    ValueError if the items belong to more than one organisation.
    """
    if not items:
        return []
    organisations = set(
        Incident.objects.filter(evidence__in=[item.pk for item in items])
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    if len(organisations) != 1:
        raise ValueError("record_export() takes the evidence of one organisation at a time")
    # Rows are locked in id order, so two exports of overlapping sets cannot deadlock.
    results: dict[uuid.UUID, tuple[_Check, CustodyEntry]] = {}
    for item_id in sorted({item.pk for item in items}):
        check = _check(item_id, keep_data=False)
        entry = _append_custody(check, actor=actor, action=CustodyAction.EXPORTED)
        results[item_id] = (check, entry)
    checks = [results[item.pk] for item in items]
    _audit(checks[0][0].item, actor=actor, purpose=CustodyAction.EXPORTED, checks=checks)
    return [check.is_intact for check, _entry in checks]


def custody_of(item: EvidenceItem) -> list[CustodyEntry]:
    """Return every recorded access to `item`, oldest first."""
    return list(CustodyEntry.objects.filter(item_id=item.pk).order_by("position"))


def _check(item_id: uuid.UUID, *, keep_data: bool = True) -> _Check:
    """Lock the item's row, read it afresh and tell whether its content is intact.

    Without `keep_data` the decrypted content is dropped once hashed: an export of
    many items must not hold all of them in memory at once.
    """
    # Read from the database, never from the caller's instance: the stored row is what
    # the custody entry vouches for.
    item = (
        EvidenceItem.objects.select_for_update(of=("self",))
        .select_related("incident")
        .defer(None)
        .get(pk=item_id)
    )
    try:
        data: bytes | None = decrypt(item.content, aad=content_aad(item.pk, item.sha256))
    except DecryptionError:
        data = None
    sha256_seen = sha256_hex(data) if data is not None else ""
    name, is_readable = _readable_name(item)
    received = (
        CustodyEntry.objects.filter(item_id=item.pk, action=CustodyAction.RECEIVED)
        .order_by("position")
        .values_list("sha256_seen", flat=True)
        .first()
    )
    is_intact = (
        data is not None
        and is_readable
        and len(data) == item.size_bytes
        and sha256_seen == item.sha256
        and received == item.sha256
    )
    if not is_intact:
        # Ids only: someone must look at this today, and the log must not leak.
        logger.error("Evidence item %s failed its integrity check.", item.pk)
    return _Check(item, data if keep_data else None, name, sha256_seen, is_intact)


def _readable_name(item: EvidenceItem) -> tuple[str, bool]:
    """Return the item's file name and whether its name and description decrypt."""
    try:
        name = item.name or ""
        item.description  # noqa: B018 - decrypting is the check
    except DecryptionError:
        return "", False
    return name, True


def _append_custody(check: _Check, *, actor: Member, action: str) -> CustodyEntry:
    """Append a custody entry for `check`; the caller holds the item's row lock."""
    last = CustodyEntry.objects.filter(item_id=check.item.pk).aggregate(last=Max("position"))
    return CustodyEntry.objects.create(
        item_id=check.item.pk,
        position=(last["last"] or 0) + 1,
        at=timezone.now(),
        actor=actor,
        action=action,
        sha256_seen=check.sha256_seen,
        is_intact=check.is_intact,
    )


def _audit(
    target: EvidenceItem,
    *,
    actor: Member,
    purpose: str,
    checks: list[tuple[_Check, CustodyEntry]],
) -> None:
    """Write the one audit entry of an access; any failed check makes it a tamper alarm.

    It targets the item, or for an export of several the incident, or the organisation
    when they come from several incidents.
    """
    is_intact = all(check.is_intact for check, _entry in checks)
    incidents = {check.item.incident_id for check, _entry in checks}
    audited: EvidenceItem | Incident | Organisation = target
    if len(checks) > 1:
        audited = target.incident if len(incidents) == 1 else target.incident.organisation
    record(
        f"evidence.{purpose}" if is_intact else "evidence.tamper_detected",
        actor=actor,
        target=audited,
        details={
            "purpose": purpose,
            "items": [
                {
                    "item": str(check.item.pk),
                    "incident": str(check.item.incident_id),
                    "custody": str(entry.pk),
                    "sha256": check.item.sha256,
                    "sha256_seen": check.sha256_seen,
                    "is_intact": check.is_intact,
                }
                for check, entry in checks
            ],
        },
        organisation_id=target.incident.organisation_id,
    )
