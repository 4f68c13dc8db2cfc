"""The `keys` management command: init, rotate and status, never printing key material."""

from __future__ import annotations

import base64
import stat
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safehold.crypto.envelope import blind_index, decrypt, encrypt, reset_keyring
from safehold.crypto.keys import CryptoError, KeyFileSource, KeyMismatch, KeyUnavailable
from safehold.crypto.models import DataKey


def _run(*args: str) -> str:
    out = StringIO()
    call_command("keys", *args, stdout=out)
    return out.getvalue()


def _key_material(path: Path) -> list[str]:
    keyring = KeyFileSource(path).load()
    return [base64.b64encode(key).decode() for key in keyring.keys.values()]


def test_init_creates_the_key_file_and_prints_its_path(settings: Any, tmp_path: Path) -> None:
    path = tmp_path / "data" / "safehold.key"
    settings.SAFEHOLD_KEY_FILE = path

    output = _run("init")

    assert str(path) in output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not any(material in output for material in _key_material(path))


def test_init_refuses_to_overwrite_an_existing_key_file(key_file: Path) -> None:
    before = key_file.read_bytes()

    with pytest.raises(CryptoError, match="refusing to overwrite"):
        _run("init")

    assert key_file.read_bytes() == before


@pytest.mark.django_db
def test_status_shows_ids_and_counts_but_never_key_material(key_file: Path) -> None:
    encrypt(b"value", aad=b"x")
    blind_index("login-email", "ana@example.org")
    keyring = KeyFileSource(key_file).load()

    output = _run("status")

    assert f"Master key {keyring.current_id} (current): wraps 2 data key(s)" in output
    assert "Data keys (data): 1 (1 active)" in output
    assert "Data keys (index): 1 (1 active)" in output
    assert not any(material in output for material in _key_material(key_file))
    assert not any(row.wrapped in output for row in DataKey.objects.all())


@pytest.mark.django_db
def test_status_reports_a_key_file_that_does_not_match(settings: Any, tmp_path: Path) -> None:
    encrypt(b"value", aad=b"x")
    settings.SAFEHOLD_KEY_FILE = KeyFileSource.init(tmp_path / "other.key").path

    out = StringIO()
    with pytest.raises(KeyMismatch, match="does not match this database"):
        call_command("keys", "status", stdout=out)

    assert "(NOT HELD): wraps 1 data key(s)" in out.getvalue()


@pytest.mark.django_db
def test_status_explains_a_missing_key_file(settings: Any, tmp_path: Path) -> None:
    settings.SAFEHOLD_KEY_FILE = tmp_path / "gone.key"

    with pytest.raises(KeyUnavailable, match="safehold keys init"):
        _run("status")


@pytest.mark.django_db(transaction=True)
def test_rotate_dry_run_reports_and_changes_nothing(key_file: Path) -> None:
    encrypt(b"value", aad=b"x")
    before = key_file.read_bytes()

    output = _run("rotate", "--dry-run")

    assert "1 data key(s) would be re-wrapped" in output
    assert key_file.read_bytes() == before


@pytest.mark.django_db(transaction=True)
def test_rotate_rewraps_data_keys_and_prints_how_many(key_file: Path) -> None:
    token = encrypt(b"value", aad=b"x")
    blind_index("login-email", "ana@example.org")
    old_id = KeyFileSource(key_file).load().current_id

    output = _run("rotate", "--no-input")
    reset_keyring()

    new_id = KeyFileSource(key_file).load().current_id
    assert f"Re-wrapped 2 data key(s) under master key {new_id}" in output
    assert old_id in output  # named as retired
    assert decrypt(token, aad=b"x") == b"value"
    assert not any(material in output for material in _key_material(key_file))


@pytest.mark.django_db(transaction=True)
def test_rotate_asks_first_and_stops_unless_confirmed(
    key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encrypt(b"value", aad=b"x")
    before = key_file.read_bytes()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")

    with pytest.raises(CommandError, match="cancelled"):
        _run("rotate")

    assert key_file.read_bytes() == before


@pytest.mark.django_db
def test_the_migrations_match_the_models() -> None:
    call_command("makemigrations", "crypto", "--check", "--dry-run", stdout=StringIO())


def test_init_if_missing_leaves_an_existing_key_file_alone(key_file: Path) -> None:
    before = key_file.read_bytes()

    output = _run("init", "--if-missing")

    assert "exists" in output
    assert key_file.read_bytes() == before


def test_init_if_missing_still_refuses_a_damaged_key_file(key_file: Path) -> None:
    key_file.write_text("{}")

    with pytest.raises(KeyUnavailable, match="malformed"):
        _run("init", "--if-missing")


@pytest.mark.django_db(transaction=True)
def test_rotate_without_a_terminal_to_confirm_changes_nothing(
    key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encrypt(b"value", aad=b"x")
    before = key_file.read_bytes()
    monkeypatch.setattr("sys.stdin", StringIO(""))

    with pytest.raises(CommandError, match="cancelled"):
        _run("rotate")

    assert key_file.read_bytes() == before
