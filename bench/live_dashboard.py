"""Benchmark: how soon an open dashboard shows a new alert, without a reload.

    safehold bench live_dashboard [--persons N] [--alerts K] [--json]

Serves Safehold as production does (Granian and the worker as processes, SQLite file
in a temporary directory) with N persons on schedules, signs a coordinator in to the
dashboard in Debian's Chromium, then K times moves one person's deadline into the
past. The worker opens a missed check-in alert; the time from the alert's creation to
its row appearing on the open page is the latency measured.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from checkins import Bench, machine, percentile

PASSWORD = "bench-password-long-enough"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="safehold bench live_dashboard")
    parser.add_argument("--persons", type=int, default=200)
    parser.add_argument("--alerts", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    bench = Bench(argparse.Namespace(schedules=args.persons, database_url=""))
    try:
        bench.django()
        bench.populate()
        from safehold.accounts.models import Member
        from safehold.cases.models import Person
        from safehold.front.views.home import POLL_SECONDS

        coordinator = Member.objects.get(role="coordinator")
        coordinator.set_password(PASSWORD)
        coordinator.save()
        port = bench.serve()
        bench.start("worker", "--name", "bench", log="worker.log")
        codenames = list(Person.objects.order_by("codename").values_list("codename", flat=True))
        latencies = _watch(f"http://127.0.0.1:{port}", coordinator, codenames[: args.alerts])
        result = {
            "persons": args.persons,
            "alerts": args.alerts,
            "poll_seconds": POLL_SECONDS,
            "latency_p50_s": round(statistics.median(latencies), 2),
            "latency_max_s": round(max(latencies), 2),
            "latency_p90_s": round(percentile(latencies, 0.9), 2),
            "machine": machine(),
        }
        print(json.dumps(result, indent=None if args.json else 2))
    finally:
        bench.clean_up()


def _watch(base: str, coordinator, codenames: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    from django.utils import timezone
    from playwright.sync_api import sync_playwright

    from safehold.alerts.models import Alert
    from safehold.checkins.models import Schedule

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    latencies = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(base + "/login/")
        page.fill("input[name=email]", str(coordinator.email))
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(base + "/")
        for codename in codenames:
            past = timezone.now() - datetime.timedelta(minutes=1)
            Schedule.objects.filter(person__codename=codename).update(
                next_deadline=past, overdue_at=past, grace_minutes=0
            )
            page.wait_for_selector(
                f"#alerts-heading ~ .table-wrap >> text={codename}", timeout=30_000
            )
            seen = time.time()
            created = Alert.objects.get(person__codename=codename).created_at.timestamp()
            latencies.append(seen - created)
            time.sleep(0.5)  # let the next move start at another point of the poll cycle
        browser.close()
    return latencies


if __name__ == "__main__":
    main(sys.argv[1:])
