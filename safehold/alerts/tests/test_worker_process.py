"""The worker as a real process against a real SMTP server: killed, doubled, cut off.

Each test builds its own database (a SQLite file, or a fresh PostgreSQL database),
starts `safehold worker` as a subprocess, and counts what the SMTP sink received.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safehold.testing_installation import Installation, postgres_database
from safehold.testing_servers import SmtpSink, free_port

pytestmark = pytest.mark.slow
SCENARIO = Path(__file__).with_name("engine_scenario.py")


class EngineInstallation(Installation):
    """An installation with the engine scenario: members with e-mail channels."""

    def prepare(self, members: int, sink: SmtpSink) -> None:
        self.safehold("keys", "init")
        self.safehold("migrate", "--no-input", "--verbosity", "0")
        template = sink.url("responder{n}@example.org")
        self.run(str(SCENARIO), "setup", str(members), template)

    def start_worker(self, name: str, *extra: str) -> subprocess.Popen[bytes]:
        return self.start(name, "worker", "--name", name, *extra)

    def stats(self) -> dict[str, Any]:
        return json.loads(self.run(str(SCENARIO), "stats"))

    def wait_until_sent(self, count: int, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            stats = self.stats()
            if stats["by_status"].get("sent", 0) >= count or time.monotonic() > deadline:
                return stats
            time.sleep(0.3)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


@pytest.fixture
def sqlite_installation(tmp_path: Path) -> Iterator[Installation]:
    installation = EngineInstallation(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    yield installation
    installation.stop_all()


@pytest.fixture
def postgres_installation(tmp_path: Path) -> Iterator[Installation]:
    for url in postgres_database("safehold_engine"):
        installation = EngineInstallation(tmp_path, url)
        yield installation
        installation.stop_all()


def _keys_received(sink: SmtpSink) -> Counter[str]:
    return Counter(mail.headers.get("Idempotency-Key", "") for mail in sink.messages)


def test_killing_the_worker_mid_fan_out_loses_nothing(
    sqlite_installation: Installation, sink: SmtpSink
) -> None:
    members = 30
    sqlite_installation.prepare(members, sink)
    worker = sqlite_installation.start_worker("first")
    sink.wait_for(3, timeout=60)
    worker.send_signal(signal.SIGKILL)  # mid fan-out: some sent, some claimed, some waiting
    worker.wait(timeout=10)
    received_before = len(sink.messages)
    assert received_before < members, "the fan-out finished before the kill; nothing tested"
    # Claims of the dead worker expire after CLAIM_TTL; the next worker resends them.
    sqlite_installation.start_worker("second")
    stats = sqlite_installation.wait_until_sent(members, timeout=180)
    received = _keys_received(sink)
    assert stats["by_status"] == {"sent": members}
    assert set(received) == set(stats["keys"])  # every notification arrived
    assert sum(received.values()) <= stats["attempts"]  # never more than once per attempt
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates <= stats["unfinished_attempts"]  # repeats only where a send was cut
    assert "second" in stats["workers"]


def test_the_worker_rides_out_an_unreachable_smtp_server(
    sqlite_installation: Installation, sink: SmtpSink
) -> None:
    sqlite_installation.prepare(2, sink)
    sink.stop()
    worker = sqlite_installation.start_worker("patient")
    time.sleep(3)
    assert sink.messages == []
    stats = sqlite_installation.stats()
    assert stats["by_status"].get("sent", 0) == 0
    sink.start()
    stats = sqlite_installation.wait_until_sent(2, timeout=90)
    assert stats["by_status"] == {"sent": 2}
    assert "delivery failed" in sqlite_installation.log_of(worker)
    assert "kind=refused" in sqlite_installation.log_of(worker)


def test_two_workers_on_postgresql_deliver_each_notification_once(
    postgres_installation: Installation, sink: SmtpSink
) -> None:
    members = 40
    postgres_installation.prepare(members, sink)
    # Small batches, so both workers are claiming at the same time.
    postgres_installation.start_worker("one", "--batch", "4")
    postgres_installation.start_worker("two", "--batch", "4")
    postgres_installation.run(str(SCENARIO), "alert")
    stats = postgres_installation.wait_until_sent(2 * members, timeout=180)
    received = _keys_received(sink)
    assert stats["by_status"] == {"sent": 2 * members}
    assert received == Counter({key: 1 for key in stats["keys"]})
    assert stats["attempts"] == 2 * members
    assert set(stats["workers"]) == {"one", "two"}  # both took a share


class PrivatePostgres:
    """A throw-away PostgreSQL server of our own, so a test may stop and restart it."""

    def __init__(self) -> None:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
        if not versions or shutil.which("runuser") is None:
            pytest.skip("the PostgreSQL server binaries are not installed")
        self.bin = versions[-1]
        # Not under pytest's temporary folder: its parents are closed to other users.
        self.root = Path(tempfile.mkdtemp(prefix="safehold-pg-"))
        shutil.chown(self.root, "postgres")
        self.port = free_port()
        self._as_postgres(
            "initdb", "-D", str(self.root / "data"), "-U", "postgres", "--auth=trust", "-E",
            "UTF8", "--no-sync",
        )  # fmt: skip

    def _as_postgres(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        self._as_postgres(
            "pg_ctl", "-D", str(self.root / "data"), "-l", str(self.root / "log"), "-w", "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.root} -F", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def private_postgres(tmp_path: Path) -> Iterator[PrivatePostgres]:
    if os.geteuid() != 0:
        pytest.skip("starting a private PostgreSQL server needs root (runuser)")
    server = PrivatePostgres()
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(server.root, ignore_errors=True)


def test_the_worker_survives_a_database_restart(
    tmp_path: Path, private_postgres: PrivatePostgres, sink: SmtpSink
) -> None:
    installation = EngineInstallation(tmp_path, private_postgres.url)
    try:
        installation.prepare(2, sink)
        worker = installation.start_worker("steady")
        installation.wait_until_sent(2)
        private_postgres.stop()
        time.sleep(3)  # the worker keeps trying and says so
        assert worker.poll() is None, "the worker died with the database"
        private_postgres.start()
        installation.run(str(SCENARIO), "alert")  # new work after the restart
        stats = installation.wait_until_sent(4, timeout=60)
        assert stats["by_status"] == {"sent": 4}
        log = installation.log_of(worker)
        assert "database unavailable" in log
        assert "database reachable again" in log
    finally:
        installation.stop_all()
