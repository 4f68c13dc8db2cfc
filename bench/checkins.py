"""Benchmark: check-in ingest over HTTP and missed-deadline detection, as in production.

    safehold bench checkins --schedules N [--database-url URL] [--json]

Builds its own database (a SQLite file in a temporary directory, or a fresh database on
the PostgreSQL server named by --database-url), fills it with N persons on interval
schedules, and then

1. detect: sets every deadline to the same moment T, runs `safehold worker` as a process
   (its transport notes the time each message is handed over, and sends nothing), and
   measures T -> first notification handed to a transport, for every alert;
2. ingest: serves the app with Granian as `safehold serve` does and drives check-ins with
   PINs at it with wrk over loopback, measuring throughput and latency.

Prints one JSON object. Everything runs on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

PIN, DURESS_PIN = "2468", "1357"
INGEST_PERSONS = 20_000


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="safehold bench checkins")
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--database-url", default="", help="postgres://… server to use")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument("--ingest-seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--detect-timeout", type=int, default=900)
    return parser.parse_args(argv)


def say(args: argparse.Namespace, text: str) -> None:
    if not args.json:
        print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.dir = Path(tempfile.mkdtemp(prefix="safehold-bench-"))
        self.pg_name = ""
        self.admin_url = ""
        if args.database_url:
            self.pg_name = f"safehold_bench_{uuid.uuid4().hex[:8]}"
            self.admin_url = args.database_url
            parsed = urlparse(args.database_url)
            self.database_url = urlunparse(parsed._replace(path="/" + self.pg_name))
        else:
            self.database_url = f"sqlite:///{self.dir / 'bench.sqlite3'}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEHOLD_")}
        self.env.update(
            SAFEHOLD_DATA_DIR=str(self.dir),
            SAFEHOLD_KEY_FILE=str(self.dir / "master.key"),
            DATABASE_URL=self.database_url,
            DJANGO_SETTINGS_MODULE="safehold.settings",
            SAFEHOLD_INSECURE_LOCAL="1",
            SAFEHOLD_LOG_LEVEL=os.environ.get("SAFEHOLD_BENCH_LOG_LEVEL", "WARNING"),
        )
        self.processes: list[subprocess.Popen[bytes]] = []

    # --- set-up -----------------------------------------------------------------------

    def create_database(self) -> None:
        if not self.pg_name:
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.pg_name}"')

    def drop_database(self) -> None:
        if not self.pg_name:
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')

    def django(self) -> None:
        os.environ.update(self.env)
        import django

        django.setup()

    def populate(self) -> list[str]:
        """Create N persons with schedules, and links and PINs for some; return links."""
        from django.core.management import call_command
        from django.utils import timezone

        from safehold.accounts.models import Compartment, Member, Organisation, Role
        from safehold.alerts.ladder import Target
        from safehold.alerts.models import Channel, EscalationPolicy, EscalationStep
        from safehold.cases.models import Person
        from safehold.checkins.models import CheckinSecret, Schedule
        from safehold.checkins.service import link_digest, pin_digest
        from safehold.crypto.keys import KeyFileSource

        KeyFileSource(Path(self.env["SAFEHOLD_KEY_FILE"])).init()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        organisation = Organisation.objects.create(name="Bench Network")
        compartment = Compartment.objects.create(organisation=organisation, name="Main")
        coordinator = Member.objects.create_user(
            "coordinator@bench.invalid", None, organisation=organisation, role=Role.COORDINATOR
        )
        coordinator.compartments.add(compartment)
        Channel.objects.create(
            member=coordinator, position=1, url="json://127.0.0.1:9/bench", scheme="json"
        )
        policy = EscalationPolicy.objects.create(compartment=compartment)
        EscalationStep.objects.create(
            policy=policy, position=1, wait_minutes=60, targets=[Target("coordinator").to_json()]
        )
        far = timezone.now() + datetime.timedelta(days=365)
        n = self.args.schedules
        batch = 2000
        links: list[str] = []
        for start in range(0, n, batch):
            persons = [
                Person(
                    organisation=organisation,
                    compartment=compartment,
                    coordinator=coordinator,
                    codename=f"P{i:07d}",
                )
                for i in range(start, min(n, start + batch))
            ]
            Person.objects.bulk_create(persons)
            Schedule.objects.bulk_create(
                [
                    Schedule(
                        person=p,
                        kind="interval",
                        interval_minutes=60,
                        grace_minutes=0,
                        timezone="Europe/Moscow",
                        next_deadline=far,
                        overdue_at=far,
                    )
                    for p in persons
                ]
            )
            secrets_rows = []
            for person in persons:
                if len(links) >= INGEST_PERSONS:
                    break
                token = secrets.token_urlsafe(24)
                links.append(token)
                secrets_rows.append(
                    CheckinSecret(
                        person=person,
                        link_index=link_digest(token),
                        pin_digest=pin_digest(person.pk, PIN),
                        duress_digest=pin_digest(person.pk, DURESS_PIN),
                    )
                )
            CheckinSecret.objects.bulk_create(secrets_rows)
        return links

    # --- processes ------------------------------------------------------------------

    def start(self, *argv: str, log: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "safehold.cli", *argv],
            env=self.env,
            stdout=(self.dir / log).open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def serve(self) -> int:
        """Start `safehold serve` as production runs it; return its port once it answers."""
        port = free_port()
        self.start("serve", "--host", "127.0.0.1", "--port", str(port), log="serve.log")
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return port
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server did not start")

    def clean_up(self) -> None:
        """Stop the processes, drop the database and remove the files, whatever happened."""
        self.stop_all()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - best effort before dropping the database
            pass
        self.drop_database()
        if not os.environ.get("SAFEHOLD_BENCH_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)

    # --- detect ---------------------------------------------------------------------

    def detect(self) -> dict[str, Any]:
        from django.db import connection
        from django.utils import timezone

        from safehold.checkins.models import Schedule

        handoffs = self.dir / "handoffs.log"
        worker = self.start(
            "worker", "--name", "bench", "--handoff-log", str(handoffs), log="worker.log"
        )
        time.sleep(3)  # let it start and settle into idling
        lead = max(3.0, self.args.schedules / 20_000)
        deadline = timezone.now() + datetime.timedelta(seconds=lead)
        Schedule.objects.update(next_deadline=deadline, overdue_at=deadline)
        connection.close()
        say(self.args, f"detect: {self.args.schedules} deadlines at {deadline:%H:%M:%S.%f}")
        t_deadline = deadline.timestamp()
        expected = self.args.schedules
        started = time.monotonic()
        seen = 0
        while time.monotonic() - started < self.args.detect_timeout + lead:
            seen = sum(1 for _ in handoffs.open()) if handoffs.exists() else 0
            if seen >= expected:
                break
            time.sleep(0.5)
        latencies = []
        for line in handoffs.read_text().splitlines() if handoffs.exists() else []:
            handed_at, _key = line.split(" ", 1)
            latencies.append((float(handed_at) - t_deadline) * 1000)
        rss_mb = self.peak_rss_mb(worker.pid)
        return {
            "detect_alerts": len(latencies),
            "detect_p50_ms": round(percentile(latencies, 0.50), 1),
            "detect_p99_ms": round(percentile(latencies, 0.99), 1),
            "detect_max_ms": round(max(latencies), 1) if latencies else None,
            "detect_complete": len(latencies) >= expected,
            "rss_mb": rss_mb,
        }

    @staticmethod
    def peak_rss_mb(pid: int) -> float | None:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            return None
        return None

    # --- ingest ---------------------------------------------------------------------

    def ingest(self, links: list[str]) -> dict[str, Any]:
        wrk = shutil.which("wrk")
        if wrk is None:
            raise SystemExit("wrk is needed for the ingest part: apt-get install wrk")
        port = self.serve()
        (self.dir / "links.txt").write_text("\n".join(links) + "\n")
        script = self.dir / "checkin.lua"
        script.write_text(LUA.replace("LINKS_FILE", str(self.dir / "links.txt")))
        url = f"http://127.0.0.1:{port}/api/v1/checkin"
        # A short warm-up: imports, connections, the first key unwrap in each worker.
        subprocess.run([wrk, "-t1", "-c4", "-d2s", "-s", str(script), url], capture_output=True)
        result = subprocess.run(
            [
                wrk,
                "-t2",
                f"-c{self.args.connections}",
                f"-d{self.args.ingest_seconds}s",
                "--latency",
                "-s",
                str(script),
                url,
            ],
            capture_output=True,
            text=True,
            timeout=self.args.ingest_seconds + 60,
        )
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        return {
            "ingest_rps": round(summary["requests"] / summary["seconds"], 1),
            "ingest_p50_ms": round(summary["p50_us"] / 1000, 2),
            "ingest_p99_ms": round(summary["p99_us"] / 1000, 2),
            "ingest_requests": summary["requests"],
            "ingest_errors": summary["errors"],
            "ingest_connections": self.args.connections,
        }


LUA = r"""
local links = {}
for line in io.lines("LINKS_FILE") do links[#links + 1] = line end
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local link = links[((counter * 7919 + tid * 104729) % #links) + 1]
  local body = string.format('{"link":"%s","pin":"2468","request_id":"w%d-%d"}', link, tid, counter)
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration / 1e6, errors,
    latency:percentile(50), latency:percentile(99)))
end
"""


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    bench = Bench(args)
    try:
        bench.create_database()
        bench.django()
        say(args, f"populating {args.schedules} schedules in {bench.dir}")
        links = bench.populate()
        result: dict[str, Any] = {
            "schedules": args.schedules,
            "db": "postgresql" if bench.pg_name else "sqlite",
        }
        result.update(bench.detect())
        say(args, f"detect done: {result}")
        result.update(bench.ingest(links))
        result["machine"] = machine()
        print(json.dumps(result))
    finally:
        bench.clean_up()


if __name__ == "__main__":
    main(sys.argv[1:])
