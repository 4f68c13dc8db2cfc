"""Master key rotation: data keys re-wrapped, row tokens untouched, old keys retired."""

from __future__ import annotations

import datetime
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from safehold.crypto.envelope import (
    blind_index,
    decrypt,
    encrypt,
    new_data_key,
    reset_keyring,
    rotate_master_key,
)
from safehold.crypto.keys import CryptoError, KeyFileSource, KeyMismatch
from safehold.crypto.models import DataKey
from safehold.crypto.tests.helpers import raw_column
from safehold.crypto.tests.sample_models import Dossier

pytestmark = pytest.mark.django_db(transaction=True)


def _store_dossiers(model: type[Dossier]) -> list[Dossier]:
    first = model.objects.create(
        reference="A-1",
        email="ana@example.org",
        details={"languages": ["pt", "en"]},
        born_on=datetime.date(1990, 5, 17),
    )
    new_data_key()  # so rotation has several data keys to re-wrap
    second = model.objects.create(reference="A-2", email="boris@example.org", display_name="B.")
    return [first, second]


def _stored_tokens(model: type[Dossier], rows: list[Dossier]) -> dict[tuple[Any, str], Any]:
    columns = ["email", "display_name", "details", "born_on"]
    return {
        (row.pk, column): raw_column(model, column, row.pk) for row in rows for column in columns
    }


def test_rotation_keeps_every_value_readable_and_every_token_unchanged(
    committed_dossiers: type[Dossier], key_file: Path
) -> None:
    rows = _store_dossiers(committed_dossiers)
    loose_token = encrypt(b"loose value", aad=b"x")
    tokens_before = _stored_tokens(committed_dossiers, rows)
    source = KeyFileSource(key_file)
    old_id = source.load().current_id

    report = rotate_master_key(source)
    reset_keyring()  # as a freshly started process would

    assert report.data_keys_rewrapped == DataKey.objects.count() == 2
    assert report.retired_master_key_ids == (old_id,)
    assert _stored_tokens(committed_dossiers, rows) == tokens_before
    reloaded = {row.reference: row for row in committed_dossiers.objects.all()}
    assert reloaded["A-1"].email == "ana@example.org"
    assert reloaded["A-1"].details == {"languages": ["pt", "en"]}
    assert reloaded["A-1"].born_on == datetime.date(1990, 5, 17)
    assert reloaded["A-2"].display_name == "B."
    assert decrypt(loose_token, aad=b"x") == b"loose value"
    assert set(DataKey.objects.values_list("master_key_id", flat=True)) == {
        report.new_master_key_id
    }


def test_the_old_master_key_is_gone_from_the_file_afterwards(key_file: Path) -> None:
    encrypt(b"value", aad=b"x")
    source = KeyFileSource(key_file)
    old_keyring = source.load()

    report = rotate_master_key(source)

    keyring = source.load()
    assert list(keyring.keys) == [report.new_master_key_id]
    assert old_keyring.current_id not in key_file.read_text()
    assert old_keyring.current_key not in keyring.keys.values()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_the_old_key_file_no_longer_opens_the_database(
    settings: Any, key_file: Path, tmp_path: Path
) -> None:
    token = encrypt(b"value", aad=b"x")
    old_copy = tmp_path / "old-copy.key"
    shutil.copy2(key_file, old_copy)

    rotate_master_key(KeyFileSource(key_file))
    settings.SAFEHOLD_KEY_FILE = old_copy

    with pytest.raises(KeyMismatch, match="does not match this database"):
        decrypt(token, aad=b"x")


def test_blind_indexes_stay_the_same_across_rotation(key_file: Path) -> None:
    before = blind_index("login-email", "ana@example.org")

    rotate_master_key(KeyFileSource(key_file))
    reset_keyring()

    assert blind_index("login-email", "ana@example.org") == before


def test_values_sealed_after_rotation_use_the_new_master_key(key_file: Path) -> None:
    encrypt(b"before", aad=b"x")
    report = rotate_master_key(KeyFileSource(key_file))

    new_data_key()
    token = encrypt(b"after", aad=b"x")

    assert decrypt(token, aad=b"x") == b"after"
    assert set(DataKey.objects.values_list("master_key_id", flat=True)) == {
        report.new_master_key_id
    }


def test_a_dry_run_changes_nothing(key_file: Path) -> None:
    encrypt(b"value", aad=b"x")
    blind_index("login-email", "ana@example.org")
    file_before = key_file.read_bytes()
    rows_before = list(DataKey.objects.values_list("id", "wrapped", "master_key_id"))

    report = rotate_master_key(KeyFileSource(key_file), dry_run=True)

    assert report.is_dry_run
    assert report.data_keys_rewrapped == 2
    assert report.new_master_key_id is None
    assert key_file.read_bytes() == file_before
    assert list(DataKey.objects.values_list("id", "wrapped", "master_key_id")) == rows_before


def test_rotation_refuses_to_start_when_a_data_key_cannot_be_unwrapped(key_file: Path) -> None:
    encrypt(b"value", aad=b"x")
    DataKey.objects.update(master_key_id="mk-from-elsewhere")
    file_before = key_file.read_bytes()

    with pytest.raises(KeyMismatch):
        rotate_master_key(KeyFileSource(key_file))

    assert key_file.read_bytes() == file_before


def test_rotating_twice_keeps_everything_readable(key_file: Path) -> None:
    token = encrypt(b"value", aad=b"x")
    source = KeyFileSource(key_file)

    rotate_master_key(source)
    reset_keyring()
    second = rotate_master_key(source)
    reset_keyring()

    assert decrypt(token, aad=b"x") == b"value"
    assert list(source.load().keys) == [second.new_master_key_id]


@pytest.mark.django_db(transaction=False)
def test_rotation_refuses_to_run_inside_a_transaction(key_file: Path) -> None:
    # The test itself runs inside a transaction here.
    with pytest.raises(CryptoError, match="outside any transaction"):
        rotate_master_key(KeyFileSource(key_file))
