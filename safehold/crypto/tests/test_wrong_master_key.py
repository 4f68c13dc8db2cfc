"""A key file that does not belong to the database gives KeyMismatch, never garbage."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from safehold.crypto.envelope import blind_index, decrypt, encrypt, reset_keyring
from safehold.crypto.keys import DecryptionError, KeyFileSource, KeyMismatch
from safehold.crypto.models import DataKey

AAD = b"accounts.user.email:1"


@pytest.mark.django_db
def test_a_different_key_file_gives_a_clear_key_mismatch(settings: Any, tmp_path: Path) -> None:
    token = encrypt(b"ana@example.org", aad=AAD)
    settings.SAFEHOLD_KEY_FILE = KeyFileSource.init(tmp_path / "other.key").path

    with pytest.raises(KeyMismatch, match="the master key does not match this database"):
        decrypt(token, aad=AAD)


@pytest.mark.django_db
def test_blind_index_with_a_different_key_file_gives_key_mismatch(
    settings: Any, tmp_path: Path
) -> None:
    blind_index("login-email", "ana@example.org")
    settings.SAFEHOLD_KEY_FILE = KeyFileSource.init(tmp_path / "other.key").path

    with pytest.raises(KeyMismatch):
        blind_index("login-email", "ana@example.org")


@pytest.mark.django_db
def test_same_key_id_with_other_key_material_gives_key_mismatch(key_file: Path) -> None:
    token = encrypt(b"ana@example.org", aad=AAD)
    document = json.loads(key_file.read_text())
    document["keys"][0]["key"] = base64.b64encode(secrets.token_bytes(32)).decode()
    key_file.write_text(json.dumps(document))
    reset_keyring()

    with pytest.raises(KeyMismatch, match="does not match this database"):
        decrypt(token, aad=AAD)


@pytest.mark.django_db
def test_an_altered_wrapped_data_key_is_refused() -> None:
    token = encrypt(b"ana@example.org", aad=AAD)
    row = DataKey.objects.get()
    raw = bytearray(base64.b64decode(row.wrapped))
    raw[-1] ^= 0x01
    DataKey.objects.filter(pk=row.pk).update(wrapped=base64.b64encode(bytes(raw)).decode())
    reset_keyring()

    with pytest.raises(KeyMismatch, match="altered"):
        decrypt(token, aad=AAD)


@pytest.mark.django_db
def test_a_wrapped_key_copied_onto_another_data_key_row_is_refused() -> None:
    token = encrypt(b"ana@example.org", aad=AAD)
    blind_index("login-email", "ana@example.org")
    index_row = DataKey.objects.get(purpose="index")
    DataKey.objects.filter(purpose="data").update(wrapped=index_row.wrapped)
    reset_keyring()

    with pytest.raises(KeyMismatch):
        decrypt(token, aad=AAD)


@pytest.mark.django_db
def test_a_token_from_another_database_names_an_unknown_data_key() -> None:
    token = encrypt(b"ana@example.org", aad=AAD)
    DataKey.objects.all()._raw_delete(DataKey.objects.db)
    reset_keyring()

    with pytest.raises(DecryptionError, match="does not hold"):
        decrypt(token, aad=AAD)
