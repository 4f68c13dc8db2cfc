"""The audit log is append-only and `safehold audit verify` finds any tampering."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from safehold.audit.chain import record, verify_chain
from safehold.audit.models import AuditEntry
from safehold.testing import make_organisation

pytestmark = pytest.mark.django_db


def _write_entries(count: int) -> list[AuditEntry]:
    organisation = make_organisation()
    return [
        record("test.event", actor=None, target=organisation, details={"reason": f"r{i}"})
        for i in range(count)
    ]


def _sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _verify_command() -> str:
    call_command("audit", "verify", stdout=(out := _Capture()))
    return out.text


class _Capture:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_an_intact_log_verifies() -> None:
    _write_entries(5)
    result = verify_chain()
    assert result.is_intact
    assert result.entries_checked == AuditEntry.objects.count()
    assert "intact" in _verify_command()


def test_each_entry_links_to_the_one_before() -> None:
    entries = _write_entries(3)
    assert entries[1].prev_hash == entries[0].entry_hash
    assert entries[2].prev_hash == entries[1].entry_hash
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)


def test_it_names_an_altered_entry() -> None:
    entries = _write_entries(4)
    _sql("UPDATE audit_auditentry SET action = %s WHERE id = %s", ["forged", entries[1].id.hex])
    result = verify_chain()
    assert result.first_broken_seq == entries[1].seq
    with pytest.raises(CommandError, match=f"entry #{entries[1].seq}") as raised:
        _verify_command()
    assert raised.value.returncode == 1


def test_it_names_an_entry_whose_details_were_swapped() -> None:
    entries = _write_entries(3)
    _sql(
        "UPDATE audit_auditentry SET details_token = %s WHERE id = %s",
        [entries[0].details_token, entries[2].id.hex],
    )
    assert verify_chain().first_broken_seq == entries[2].seq


def test_it_names_a_removed_entry() -> None:
    entries = _write_entries(4)
    _sql("DELETE FROM audit_auditentry WHERE id = %s", [entries[2].id.hex])
    result = verify_chain()
    assert result.first_broken_seq == entries[2].seq
    assert "missing" in result.problem


def test_it_notices_a_removed_last_entry() -> None:
    entries = _write_entries(3)
    _sql("DELETE FROM audit_auditentry WHERE id = %s", [entries[-1].id.hex])
    result = verify_chain()
    assert not result.is_intact
    assert result.first_broken_seq == entries[-1].seq


def test_it_notices_reordered_entries() -> None:
    entries = _write_entries(4)
    first, second = entries[1], entries[2]
    _sql("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [-1, first.id.hex])
    _sql("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [first.seq, second.id.hex])
    _sql("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [second.seq, first.id.hex])
    assert verify_chain().first_broken_seq == first.seq


def test_entries_cannot_be_changed_or_deleted_through_the_orm() -> None:
    entry = _write_entries(1)[0]
    entry.action = "forged"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_details_are_stored_encrypted() -> None:
    organisation = make_organisation()
    entry = record("test.event", actor=None, target=organisation, details={"reason": "Zarema"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT details_token FROM audit_auditentry WHERE id = %s", [entry.id.hex])
        (stored,) = cursor.fetchone()
    assert "Zarema" not in stored
    assert AuditEntry.objects.get(pk=entry.pk).details == {"reason": "Zarema"}


def test_a_rewritten_tail_with_recomputed_plain_hashes_is_caught() -> None:
    """An insider with database access removes an entry and rehashes everything after it."""
    import json

    from safehold.audit.chain import GENESIS_HASH
    from safehold.crypto.envelope import sha256_hex

    entries = _write_entries(4)
    _sql("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].id.hex])
    previous = entries[0].entry_hash
    for seq, entry in enumerate(entries[2:], start=entries[1].seq):
        canonical = json.dumps([seq, str(entry.id), entry.action, previous]).encode()
        forged = sha256_hex(canonical)
        _sql(
            "UPDATE audit_auditentry SET seq = %s, prev_hash = %s, entry_hash = %s WHERE id = %s",
            [seq, previous, forged, entry.id.hex],
        )
        previous = forged
    _sql("UPDATE audit_audithead SET seq = %s, entry_hash = %s", [entries[-1].seq - 1, previous])
    result = verify_chain()
    assert not result.is_intact
    assert result.first_broken_seq == entries[1].seq
    assert previous != GENESIS_HASH
