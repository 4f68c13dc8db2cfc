"""Benchmark: the person's check-in page on a slow phone connection.

    safehold bench phone_page [--rounds R] [--json]

Serves Safehold as production does (Granian, SQLite file in a temporary directory)
and opens a person's check-in page in Debian's Chromium with the network throttled
through the DevTools protocol to two profiles: "3G, slow" (400 kbit/s down, 400 ms
round trip) and "2G" (50 kbit/s down, 20 kbit/s up, 300 ms round trip). For each it
reports the bytes transferred, the requests made (and whether any left the server),
the time to the load event of a first visit, and of a check-in's answer page.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).parent))

from checkins import PIN, Bench, machine

# Throughput in bytes per second and latency in ms, as Chrome's DevTools presets.
PROFILES = {
    "3g_slow": {"latency": 400, "down": 400_000 / 8, "up": 400_000 / 8},
    "2g": {"latency": 300, "down": 50_000 / 8, "up": 20_000 / 8},
}
CHROMIUM = "/usr/bin/chromium"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="safehold bench phone_page")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    bench = Bench(argparse.Namespace(schedules=args.rounds * 2 + 2, database_url="", json=True))
    try:
        bench.django()
        links = bench.populate()
        port = bench.serve()
        base = f"http://127.0.0.1:{port}"
        result: dict[str, object] = {"machine": machine(), "rounds": args.rounds}
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            for name, profile in PROFILES.items():
                result[name] = _measure(browser, base, links, profile, args.rounds)
            browser.close()
        print(json.dumps(result, indent=None if args.json else 2))
    finally:
        bench.clean_up()


def _measure(browser, base: str, links: list[str], profile: dict[str, float], rounds: int):  # type: ignore[no-untyped-def]
    first_visit, answer = [], []
    transferred = requests = 0
    foreign: set[str] = set()
    for n in range(rounds):
        context = browser.new_context(viewport={"width": 360, "height": 640})
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": profile["latency"],
                "downloadThroughput": profile["down"],
                "uploadThroughput": profile["up"],
            },
        )
        sizes: list[int] = []
        seen: list[str] = []
        cdp.on("Network.loadingFinished", _appender(sizes, "encodedDataLength"))
        page.on("request", lambda request, seen=seen: seen.append(request.url))
        started = time.perf_counter()
        page.goto(f"{base}/c/{links[n]}/", wait_until="load")
        first_visit.append((time.perf_counter() - started) * 1000)
        transferred, requests = sum(sizes), len(seen)
        foreign |= {url for url in seen if urlparse(url).netloc != urlparse(base).netloc}
        page.fill("#pin", PIN)
        started = time.perf_counter()
        with page.expect_navigation(wait_until="load"):
            page.click("form:not(.apart) button")
        answer.append((time.perf_counter() - started) * 1000)
        assert page.locator("[role=status]").inner_text() == "Saved."
        context.close()
    return {
        "first_visit_bytes": transferred,
        "first_visit_requests": requests,
        "requests_elsewhere": sorted(foreign),
        "first_visit_load_p50_ms": round(statistics.median(first_visit)),
        "checkin_answer_load_p50_ms": round(statistics.median(answer)),
    }


def _appender(into: list[int], key: str):  # type: ignore[no-untyped-def]
    return lambda event: into.append(event[key])


if __name__ == "__main__":
    main(sys.argv[1:])
