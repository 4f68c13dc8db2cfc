"""The key file: created private, never overwritten, refused when unsafe or damaged."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from safehold.crypto.envelope import decrypt, encrypt, reset_keyring
from safehold.crypto.keys import (
    CryptoError,
    KeyFileSource,
    KeyUnavailable,
    MasterKeyring,
    RotatableKeySource,
    configured_source,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _rewrite(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    path.chmod(0o600)


def test_init_creates_a_file_only_its_owner_can_read(tmp_path: Path) -> None:
    path = tmp_path / "new" / "safehold.key"

    source = KeyFileSource.init(path)

    assert _mode(path) == 0o600
    keyring = source.load()
    assert len(keyring.current_key) == 32
    assert list(keyring.keys) == [keyring.current_id]
    assert [p.name for p in path.parent.iterdir()] == ["safehold.key"]


def test_init_refuses_to_overwrite_an_existing_key_file(key_file: Path) -> None:
    before = key_file.read_bytes()

    with pytest.raises(CryptoError, match="refusing to overwrite"):
        KeyFileSource.init(key_file)

    assert key_file.read_bytes() == before
    assert [p.name for p in key_file.parent.iterdir()] == [key_file.name]


def test_two_initialised_files_hold_different_keys(tmp_path: Path) -> None:
    first = KeyFileSource.init(tmp_path / "a.key").load()
    second = KeyFileSource.init(tmp_path / "b.key").load()

    assert first.current_key != second.current_key
    assert first.current_id != second.current_id


def test_a_missing_file_is_explained_with_its_path_and_what_to_run(tmp_path: Path) -> None:
    path = tmp_path / "absent.key"

    with pytest.raises(KeyUnavailable) as refusal:
        KeyFileSource(path).load()

    assert str(path) in str(refusal.value)
    assert "safehold keys init" in str(refusal.value)
    assert "backup" in str(refusal.value)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o660, 0o644])
def test_it_refuses_a_file_other_users_can_read_or_write(key_file: Path, mode: int) -> None:
    key_file.chmod(mode)

    with pytest.raises(KeyUnavailable, match="chmod 600"):
        KeyFileSource(key_file).load()


def test_it_accepts_a_read_only_file_for_its_owner(key_file: Path) -> None:
    key_file.chmod(0o400)

    assert KeyFileSource(key_file).load().current_id


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of mode")
def test_an_unreadable_file_is_explained(key_file: Path) -> None:
    key_file.chmod(0o000)

    with pytest.raises(KeyUnavailable, match="cannot be read"):
        KeyFileSource(key_file).load()


def test_it_refuses_a_directory(tmp_path: Path) -> None:
    (tmp_path / "dir.key").mkdir(mode=0o700)

    with pytest.raises(KeyUnavailable, match="not a regular file"):
        KeyFileSource(tmp_path / "dir.key").load()


def _valid_document(key_file: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(key_file.read_text())
    return document


@pytest.mark.parametrize(
    "damage",
    [
        lambda doc: "not json at all",
        lambda doc: [],
        lambda doc: {**doc, "keys": "none"},
        lambda doc: {**doc, "format": "something-else"},
        lambda doc: {**doc, "version": 2},
        lambda doc: {**doc, "current": "mk-unknown"},
        lambda doc: {k: v for k, v in doc.items() if k != "current"},
        lambda doc: {**doc, "keys": [{**doc["keys"][0], "key": "not base64!"}]},
        lambda doc: {
            **doc,
            "keys": [{**doc["keys"][0], "key": base64.b64encode(b"short").decode()}],
        },
        lambda doc: {**doc, "keys": [doc["keys"][0], doc["keys"][0]]},
        lambda doc: {**doc, "keys": ["just a string"]},
    ],
)
def test_it_refuses_a_malformed_file_and_names_it(key_file: Path, damage: Any) -> None:
    original_key = _valid_document(key_file)["keys"][0]["key"]
    _rewrite(key_file, damage(_valid_document(key_file)))

    with pytest.raises(KeyUnavailable) as refusal:
        KeyFileSource(key_file).load()

    assert str(key_file) in str(refusal.value)
    assert original_key not in str(refusal.value)


def test_adding_a_master_key_keeps_the_old_one_and_makes_the_new_one_current(
    key_file: Path,
) -> None:
    source = KeyFileSource(key_file)
    before = source.load()

    new_id = source.add_master_key()

    after = source.load()
    assert after.current_id == new_id != before.current_id
    assert after.keys[before.current_id] == before.current_key
    assert _mode(key_file) == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == [key_file.name]


def test_retiring_keeps_only_the_current_key(key_file: Path) -> None:
    source = KeyFileSource(key_file)
    old_id = source.load().current_id
    new_id = source.add_master_key()

    retired = source.retire_except(new_id)

    assert retired == (old_id,)
    assert list(source.load().keys) == [new_id]
    assert old_id not in key_file.read_text()
    assert _mode(key_file) == 0o600


def test_retiring_refuses_when_a_newer_key_is_current(key_file: Path) -> None:
    source = KeyFileSource(key_file)
    first_new = source.add_master_key()
    source.add_master_key()  # a concurrent rotation got ahead
    before = key_file.read_bytes()

    with pytest.raises(CryptoError, match="refusing to retire"):
        source.retire_except(first_new)

    assert key_file.read_bytes() == before


def test_a_keyring_never_shows_key_material_when_printed(key_file: Path) -> None:
    keyring = KeyFileSource(key_file).load()
    encoded = base64.b64encode(keyring.current_key).decode()

    assert encoded not in repr(keyring)
    assert repr(keyring.current_key) not in repr(keyring)
    assert keyring.current_id in repr(keyring)


def test_a_keyring_cannot_be_changed_after_loading(key_file: Path) -> None:
    keyring = KeyFileSource(key_file).load()

    with pytest.raises(TypeError):
        keyring.keys["mk-planted"] = bytes(32)  # type: ignore[index]


def test_a_keyring_needs_its_current_key_and_32_byte_keys() -> None:
    with pytest.raises(ValueError):
        MasterKeyring(keys={"a": bytes(32)}, current_id="b")
    with pytest.raises(ValueError):
        MasterKeyring(keys={"a": bytes(16)}, current_id="a")


def test_the_configured_source_is_the_settings_key_file(key_file: Path) -> None:
    source = configured_source()

    assert isinstance(source, KeyFileSource)
    assert isinstance(source, RotatableKeySource)
    assert source.path == key_file


@pytest.mark.django_db
def test_a_missing_key_file_makes_decrypt_raise_key_unavailable(
    settings: Any, tmp_path: Path
) -> None:
    token = encrypt(b"secret", aad=b"x")
    settings.SAFEHOLD_KEY_FILE = tmp_path / "moved-away.key"

    with pytest.raises(KeyUnavailable, match="safehold keys init"):
        decrypt(token, aad=b"x")


@pytest.mark.django_db
def test_without_a_key_file_nothing_can_be_sealed(settings: Any, tmp_path: Path) -> None:
    settings.SAFEHOLD_KEY_FILE = tmp_path / "never-created.key"
    reset_keyring()

    with pytest.raises(KeyUnavailable):
        encrypt(b"secret", aad=b"x")
