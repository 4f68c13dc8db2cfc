"""A Safehold installation for tests that run its commands as real processes.

A data directory with its own key file and a database (a SQLite file, or a fresh
PostgreSQL database dropped afterwards) that the test's subprocesses share: the web
server, the worker, and scripts that set up a scenario.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def wants_postgres() -> bool:
    """Return whether this test run is the one on PostgreSQL."""
    return bool(os.environ.get("SAFEHOLD_TEST_POSTGRES")) or os.environ.get(
        "DATABASE_URL", ""
    ).startswith("postgres")


@contextlib.contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, and drop it afterwards."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_database(prefix: str) -> Iterator[str]:
    """Yield a fresh PostgreSQL database URL, or skip when this run is not on PostgreSQL."""
    if not wants_postgres():
        pytest.skip("PostgreSQL tests run when SAFEHOLD_TEST_POSTGRES is set")
    with fresh_postgres_database(prefix) as url:
        yield url


class Installation:
    """A data directory and database that subprocesses share."""

    def __init__(self, data_dir: Path, database_url: str, **settings: str) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEHOLD_")}
        self.env.update(
            SAFEHOLD_DATA_DIR=str(data_dir),
            SAFEHOLD_KEY_FILE=str(data_dir / "master.key"),
            DATABASE_URL=database_url,
            DJANGO_SETTINGS_MODULE="safehold.settings",
            SAFEHOLD_LOG_LEVEL="INFO",
            **settings,
        )
        self.data_dir = data_dir
        self.processes: list[tuple[subprocess.Popen[bytes], Path]] = []

    def run(self, *args: str) -> str:
        """Run `python args…` to completion in this installation; return its output."""
        result = subprocess.run(
            [sys.executable, *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    def safehold(self, *args: str) -> str:
        return self.run("-m", "safehold.cli", *args)

    def start(self, log_name: str, *args: str) -> subprocess.Popen[bytes]:
        """Start `safehold args…` in the background, its output in `<log_name>.log`."""
        log = self.data_dir / f"{log_name}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "safehold.cli", *args],
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append((process, log))
        return process

    def log_of(self, process: subprocess.Popen[bytes]) -> str:
        for candidate, log in self.processes:
            if candidate is process:
                return log.read_text(errors="replace")
        return ""

    def stop_all(self) -> None:
        for process, _ in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
