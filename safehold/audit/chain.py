"""Appending to and verifying the audit hash chain."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone

from safehold.audit.models import AuditEntry, AuditHead
from safehold.crypto.envelope import encrypt, keyed_digest

GENESIS_HASH = "0" * 64
CHAIN_PURPOSE = "audit-chain"


def details_aad(entry_id: uuid.UUID) -> bytes:
    return f"audit.auditentry.details:{entry_id}".encode()


def _entry_digest(
    *,
    seq: int,
    entry_id: uuid.UUID,
    at: datetime,
    organisation_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    actor_kind: str,
    action: str,
    object_type: str,
    object_id: str,
    details_token: str,
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        [
            seq,
            str(entry_id),
            at.astimezone(UTC).isoformat(timespec="microseconds"),
            str(organisation_id) if organisation_id else None,
            str(actor_id) if actor_id else None,
            actor_kind,
            action,
            object_type,
            object_id,
            details_token,
            prev_hash,
        ],
        separators=(",", ":"),
    )
    # Keyed, not a bare SHA-256: with the key outside the database, nobody who can only
    # write the database can rehash a rewritten tail so that it verifies.
    return keyed_digest(CHAIN_PURPOSE, canonical)


def append(
    action: str,
    *,
    actor_id: uuid.UUID | None,
    actor_kind: str,
    organisation_id: uuid.UUID | None,
    object_type: str,
    object_id: str,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain, in the caller's transaction (or a new one)."""
    with transaction.atomic():
        # The head row is the chain's lock: FOR UPDATE on PostgreSQL; on SQLite the
        # IMMEDIATE transaction mode already serialises writers.
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        entry_id = uuid.uuid4()
        at = timezone.now()
        token = encrypt(
            json.dumps(details or {}, sort_keys=True, default=str).encode(),
            aad=details_aad(entry_id),
        )
        seq = head.seq + 1
        digest = _entry_digest(
            seq=seq,
            entry_id=entry_id,
            at=at,
            organisation_id=organisation_id,
            actor_id=actor_id,
            actor_kind=actor_kind,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details_token=token,
            prev_hash=head.entry_hash,
        )
        entry = AuditEntry(
            id=entry_id,
            seq=seq,
            at=at,
            organisation_id=organisation_id,
            actor_id=actor_id,
            actor_kind=actor_kind,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details_token=token,
            prev_hash=head.entry_hash,
            entry_hash=digest,
        )
        entry.save(force_insert=True)
        AuditHead.objects.filter(id=1).update(seq=seq, entry_hash=digest)
        return entry


class Actor(Protocol):
    pk: Any
    organisation_id: Any


def record(
    action: str,
    *,
    actor: Actor | None,
    target: Any,
    details: dict[str, Any] | None = None,
    organisation_id: uuid.UUID | None = None,
) -> AuditEntry:
    """Audit `action` by `actor` (None for the system) on a model instance `target`.

    Details must hold ids, field names and reasons only: never a protected value.
    """
    org = organisation_id or getattr(target, "organisation_id", None)
    if org is None and actor is not None:
        org = actor.organisation_id
    return append(
        action,
        actor_id=actor.pk if actor is not None else None,
        actor_kind="member" if actor is not None else "system",
        organisation_id=org,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        details=details,
    )


@dataclass(frozen=True)
class VerifyResult:
    entries_checked: int
    first_broken_seq: int | None = None
    problem: str = ""

    @property
    def is_intact(self) -> bool:
        return self.first_broken_seq is None


def _entries() -> Iterator[AuditEntry]:
    return AuditEntry.objects.order_by("seq").iterator(chunk_size=2000)


def verify_chain() -> VerifyResult:
    """Recompute every link; return the first entry that was changed, removed or moved."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in _entries():
        if entry.seq != expected_seq:
            return VerifyResult(
                checked,
                expected_seq,
                f"entry #{expected_seq} is missing (found #{entry.seq} next)",
            )
        if entry.prev_hash != expected_prev:
            return VerifyResult(
                checked, entry.seq, f"entry #{entry.seq} does not follow the entry before it"
            )
        recomputed = _entry_digest(
            seq=entry.seq,
            entry_id=entry.id,
            at=entry.at,
            organisation_id=entry.organisation_id,
            actor_id=entry.actor_id,
            actor_kind=entry.actor_kind,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            details_token=entry.details_token,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.entry_hash:
            return VerifyResult(checked, entry.seq, f"entry #{entry.seq} was altered")
        expected_prev = entry.entry_hash
        expected_seq += 1
        checked += 1
    head = AuditHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)
    if head_seq != checked or head_hash != expected_prev:
        return VerifyResult(
            checked,
            checked + 1,
            f"the log ends at entry #{checked} but entry #{head_seq} was the last written",
        )
    return VerifyResult(checked)
