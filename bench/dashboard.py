"""Benchmark: how long the server takes to draw a coordinator's dashboard.

    safehold bench dashboard [--persons N] [--rounds R] [--database-url postgres://…] [--json]

Fills a fresh database (SQLite file by default) with N persons on check-in schedules
in every state, 40 alerts waiting, 8 open incidents with their playbook tasks and 150
document deadlines, then times R requests of the whole page and of its live part, in
process through Django's full middleware stack (server time, no network), and the
idle poll that finds nothing changed. Prints the medians, p95 and the query counts.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from checkins import Bench, machine, percentile


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="safehold bench dashboard")
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url", default="", help="postgres://… server to use")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    bench = Bench(argparse.Namespace(schedules=args.persons, database_url=args.database_url))
    try:
        bench.create_database()
        bench.django()
        bench.populate()
        coordinator = _fill(args.persons)
        result = _measure(coordinator, args.rounds)
        result.update(
            persons=args.persons,
            rounds=args.rounds,
            db="postgresql" if args.database_url else "sqlite",
            machine=machine(),
        )
        print(json.dumps(result, indent=None if args.json else 2))
    finally:
        bench.clean_up()


def _fill(persons: int):  # type: ignore[no-untyped-def]
    """Spread the deadlines over every state and add alerts, incidents and documents."""
    from django.utils import timezone

    from safehold.accounts.models import Member
    from safehold.alerts.actions import open_alert
    from safehold.cases.actions import save_document
    from safehold.cases.models import Person
    from safehold.checkins.models import Schedule
    from safehold.incidents.actions import open_incident

    now = timezone.now()
    coordinator = Member.objects.get(role="coordinator")
    for n, schedule in enumerate(Schedule.objects.order_by("person__codename")):
        # Minutes to the deadline from -120 (missed) to +300 (ok), a few paused.
        deadline = now + datetime.timedelta(minutes=(n * 7) % 420 - 120)
        Schedule.objects.filter(pk=schedule.pk).update(
            next_deadline=deadline,
            overdue_at=deadline,
            paused_until=now + datetime.timedelta(days=1) if n % 97 == 0 else None,
        )
    people = list(Person.objects.order_by("codename")[: max(200, persons // 10)])
    for person in people[:40]:
        open_alert(person, "missed_checkin", actor=None, now=now)
    for person in people[40:48]:
        open_incident(kind="person_missing", actor=coordinator, person=person)
    for n, person in enumerate(people[:150]):
        save_document(
            person,
            {
                "kind": "visa_application",
                "country": "DE",
                "status": "submitted",
                "deadline": timezone.localdate() + datetime.timedelta(days=n % 9 - 2),
            },
            actor=coordinator,
        )
    return coordinator


def _timed(client, path: str, rounds: int, **params: str) -> tuple[list[float], int, int]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    size = status = 0
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(path, params)
        timings.append((time.perf_counter() - started) * 1000)
        status, size = response.status_code, len(response.content)
    with CaptureQueriesContext(connection) as queries:
        client.get(path, params)
    assert status in (200, 204), status
    return timings, size, len(queries)


def _measure(coordinator, rounds: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from django.test import Client

    # Not setup_test_environment(): its instrumented template rendering copies the
    # context for every template and would time the test harness, not the server.
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(coordinator)
    client.get("/")  # warm: templates, translations, the first key unwrap
    page, page_bytes, page_queries = _timed(client, "/", rounds)
    live, live_bytes, live_queries = _timed(client, "/dashboard/live/", rounds, seen="changed")
    first = client.get("/dashboard/live/").content.decode()
    stamp = first.split('"seen": "')[1].split('"')[0]
    idle, _, idle_queries = _timed(client, "/dashboard/live/", rounds, seen=stamp)
    return {
        "page_p50_ms": round(statistics.median(page), 1),
        "page_p95_ms": round(percentile(page, 0.95), 1),
        "page_max_ms": round(max(page), 1),
        "page_kb": round(page_bytes / 1024, 1),
        "page_queries": page_queries,
        "live_p50_ms": round(statistics.median(live), 1),
        "live_p95_ms": round(percentile(live, 0.95), 1),
        "live_kb": round(live_bytes / 1024, 1),
        "live_queries": live_queries,
        "idle_poll_p50_ms": round(statistics.median(idle), 2),
        "idle_poll_queries": idle_queries,
    }


if __name__ == "__main__":
    main(sys.argv[1:])
