"""Neither the SQLite file nor a PostgreSQL dump holds any sensitive value in the clear.

These tests drive the real `safehold` command in subprocesses against a fresh database,
as an operator would, then read the raw database bytes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from safehold.runtime.tests.at_rest_scenario import MARKERS
from safehold.testing_installation import postgres_database

pytestmark = pytest.mark.slow
SCENARIO = Path(__file__).with_name("at_rest_scenario.py")


def _run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, check=check, timeout=300
    )


def _safehold(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return _run(env, "-m", "safehold.cli", *args, check=check)


def _env(data_dir: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEHOLD_")}
    env.update(
        SAFEHOLD_DATA_DIR=str(data_dir),
        SAFEHOLD_KEY_FILE=str(data_dir / "master.key"),
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="safehold.settings",
    )
    return env


def _fill(env: dict[str, str]) -> None:
    _safehold(env, "keys", "init")
    _safehold(env, "migrate", "--no-input", "--verbosity", "0")
    _run(env, str(SCENARIO))


def _encodings(value: str) -> list[bytes]:
    """The ways a value could sit in a database file: UTF-8, and the phone's bare digits."""
    forms = [value.encode()]
    if value.startswith("+"):
        forms.append(value[1:].encode())
    return forms


def _assert_no_markers(raw: bytes) -> None:
    leaked = [name for name, value in MARKERS.items() if any(f in raw for f in _encodings(value))]
    assert leaked == [], f"plaintext found at rest: {leaked}"


def _assert_export_has_markers(env: dict[str, str]) -> None:
    # The control: the values are really stored and readable with the key.
    exported = _safehold(env, "export", "persons").stdout
    assert MARKERS["legal_name"] in exported
    assert MARKERS["notes"] in exported
    assert MARKERS["phone"] in exported


def test_the_sqlite_files_hold_no_plaintext(tmp_path: Path) -> None:
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    _fill(env)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite3*"))
    assert b"Sparrow" in raw  # the codename is meant to be plain: the file was read right
    _assert_no_markers(raw)
    _assert_export_has_markers(env)
    assert "intact" in _safehold(env, "audit", "verify").stdout


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_database("safehold_at_rest")


def test_a_postgresql_dump_holds_no_plaintext(tmp_path: Path, postgres_url: str) -> None:
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is needed (Debian package postgresql-client)"
    env = _env(tmp_path, postgres_url)
    _fill(env)
    dump = subprocess.run(
        [pg_dump, "--no-owner", postgres_url.replace("postgres://", "postgresql://")],
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    assert b"Sparrow" in dump
    _assert_no_markers(dump)
    _assert_export_has_markers(env)


def test_a_missing_key_file_is_a_clear_error(tmp_path: Path) -> None:
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    _fill(env)
    (tmp_path / "master.key").rename(tmp_path / "elsewhere.key")
    result = _safehold(env, "export", "persons", check=False)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "key" in result.stderr.lower()
    assert MARKERS["legal_name"] not in result.stdout + result.stderr


def test_a_wrong_key_file_is_a_clear_error_not_garbage(tmp_path: Path) -> None:
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    _fill(env)
    wrong = dict(env, SAFEHOLD_KEY_FILE=str(tmp_path / "wrong.key"))
    _safehold(wrong, "keys", "init")
    result = _safehold(wrong, "export", "persons", check=False)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "match" in result.stderr.lower()
    assert "Sparrow" not in result.stdout
