"""Benchmark: is a duress check-in distinguishable by its response time?

    safehold bench duress [--requests N] [--json]

Serves Safehold as production does (Granian, SQLite file in a temporary directory) and
sends N check-ins with the normal PIN and N with the duress PIN, interleaved, one at a
time over one keep-alive connection, each for a different person. Prints the latency
of each kind and their difference. Tests prove the two do equal work (same statements,
same digests); this measures what an observer timing the responses would see.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from checkins import DURESS_PIN, PIN, Bench, machine, percentile


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="safehold bench duress")
    parser.add_argument("--requests", type=int, default=2000, help="of each kind")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    setup = argparse.Namespace(schedules=2 * args.requests, database_url="", json=args.json)
    bench = Bench(setup)
    try:
        bench.django()
        links = bench.populate()[: 2 * args.requests]
        port = bench.serve()
        timings: dict[str, list[float]] = {"normal": [], "duress": []}
        kinds = ["normal", "duress"] * args.requests
        random.Random(7).shuffle(kinds)  # noqa: S311  (a fixed order to interleave, not a secret)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for warm in range(50):  # connections, caches, the first key unwrap
            _post(connection, links[warm], "0000", f"warm{warm}")
        for n, (link, kind) in enumerate(zip(links, kinds, strict=True)):
            pin = PIN if kind == "normal" else DURESS_PIN
            started = time.perf_counter()
            status, body = _post(connection, link, pin, f"r{n}")
            timings[kind].append((time.perf_counter() - started) * 1000)
            assert status == 200 and json.loads(body)["status"] == "accepted", body
        normal, duress = timings["normal"], timings["duress"]
        result = {
            "requests_each": args.requests,
            "db": "sqlite",
            "normal_p50_ms": round(statistics.median(normal), 3),
            "duress_p50_ms": round(statistics.median(duress), 3),
            "normal_p99_ms": round(percentile(normal, 0.99), 3),
            "duress_p99_ms": round(percentile(duress, 0.99), 3),
            "normal_mean_ms": round(statistics.fmean(normal), 3),
            "duress_mean_ms": round(statistics.fmean(duress), 3),
            "p50_difference_ms": round(statistics.median(duress) - statistics.median(normal), 3),
            "machine": machine(),
        }
        print(json.dumps(result))
    finally:
        bench.stop_all()
        shutil.rmtree(bench.dir, ignore_errors=True)


def _post(
    connection: http.client.HTTPConnection, link: str, pin: str, request_id: str
) -> tuple[int, bytes]:
    body = json.dumps({"link": link, "pin": pin, "request_id": request_id})
    connection.request("POST", "/api/v1/checkin", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, response.read()


if __name__ == "__main__":
    main(sys.argv[1:])
