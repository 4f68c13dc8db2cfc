"""Benchmark: a panic SMS -> every notification handed to a transport, as in production.

    safehold bench panic [--panics N] [--responders R] [--channels C]
                         [--database-url URL] [--json]

Builds its own database (a SQLite file in a temporary directory, or a fresh database on
the PostgreSQL server named by --database-url) with one compartment, R responders with
C active channels each, an Android SMS gateway, and one person per panic, each with a
phone on their case: a second cry from a person whose panic is still open only joins
it, so every measured panic is a new alert. Nobody else is told: the persons have no
coordinator and the compartment has none, so a panic makes exactly R x C notifications.

Then it serves the app with Granian as `safehold serve` does, runs `safehold worker`
with the hand-off log transport (it notes the time each message is handed over and
sends nothing), and, one panic at a time, POSTs a signed `sms:received` event
("помогите") from the person's phone to /hooks/sms/android over a fresh loopback
connection, as the gateway phone would. Between panics it pauses for a time drawn
uniformly from --pause-ms (100-200 ms by default): long enough that panics rarely
overlap, and irregular so the sends do not lock in phase with the worker's polling.

Fan-out latency of a panic = the moment the last of its notifications was handed to
the transport - the moment just before its request was sent. Hand-offs are mapped to
panics exactly, through their idempotency keys (notification -> alert -> person).
The first --warmup panics (imports, connections, first key unwraps) are not counted.
The result also splits the fan-out in three: `request` (send -> HTTP answer; the alert
is committed by then), `pickup` (answer -> start of the worker pass that claimed the
panic's notifications, from its delivery attempts; negative when a NOTIFY woke the
worker before the answer arrived) and `pass_to_last` (that pass's start -> last
hand-off: its other kinds of work, the claim, composing, the hand-offs).

Prints one JSON object. Everything runs on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from checkins import Bench, machine, percentile, say

SIGNING_KEY = "bench-android-signing-key"
CRY = "помогите"
FIRST_PHONE = 79160000000  # +7 916 …: valid Russian mobile numbers, one per person


@dataclass
class Panic:
    """One person's cry for help: what was sent, when, and what came of it."""

    person_id: str  # hex
    phone: str
    sent_at: float = 0.0  # unix seconds, just before the request
    answered_at: float = 0.0
    status: int = 0
    handed_at: list[float] = field(default_factory=list)  # first hand-off of each key
    notifications: int = 0
    duplicates: int = 0
    passes: int = 0  # worker passes that claimed its notifications
    first_claim_at: float = 0.0
    last_claim_at: float = 0.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="safehold bench panic")
    parser.add_argument("--panics", type=int, default=200)
    parser.add_argument("--responders", type=int, default=20)
    parser.add_argument("--channels", type=int, default=3, help="active channels each")
    parser.add_argument("--database-url", default="", help="postgres://… server to use")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument("--pause-ms", type=_pause_range, default=(100.0, 200.0))
    parser.add_argument("--warmup", type=int, default=10, help="panics sent first, not counted")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait at the end")
    return parser.parse_args(argv)


def _pause_range(text: str) -> tuple[float, float]:
    """Parse "150" or "100-200" (milliseconds)."""
    low, _, high = text.partition("-")
    pause = (float(low), float(high or low))
    if not 0 <= pause[0] <= pause[1]:
        raise argparse.ArgumentTypeError("expected MS or LOW-HIGH with LOW <= HIGH")
    return pause


# --- set-up ---------------------------------------------------------------------------


def populate(bench: Bench, args: argparse.Namespace) -> list[Panic]:
    """Create the network, the responders and one person with a phone per panic."""
    from django.core.management import call_command

    from safehold.accounts.models import Compartment, Member, Organisation, Role
    from safehold.alerts.models import Channel
    from safehold.cases.actions import add_phone
    from safehold.cases.models import Person
    from safehold.crypto.keys import KeyFileSource
    from safehold.inbound.models import Gateway, GatewayKind

    KeyFileSource(Path(bench.env["SAFEHOLD_KEY_FILE"])).init()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    organisation = Organisation.objects.create(name="Bench Network")
    compartment = Compartment.objects.create(organisation=organisation, name="Main")
    for r in range(args.responders):
        responder = Member.objects.create_user(
            f"responder{r}@bench.invalid", None, organisation=organisation, role=Role.RESPONDER
        )
        responder.compartments.add(compartment)
        Channel.objects.bulk_create(
            Channel(
                member=responder, position=c + 1, url=f"json://127.0.0.1:9/{r}/{c}", scheme="json"
            )
            for c in range(args.channels)
        )
    Gateway.objects.create(
        organisation=organisation,
        kind=GatewayKind.ANDROID,
        label="bench",
        secret=SIGNING_KEY,
        reply_url="",  # no replies queued: the worker's passes carry panics only
        intake_compartment=compartment,
    )
    persons = Person.objects.bulk_create(
        Person(organisation=organisation, compartment=compartment, codename=f"P{i:06d}")
        for i in range(args.warmup + args.panics)
    )
    panics = []
    for i, person in enumerate(persons):
        phone = f"+{FIRST_PHONE + i}"
        add_phone(person, phone, actor=None)
        panics.append(Panic(person.pk.hex, phone))
    return panics


def start_safehold(bench: Bench, handoffs: Path) -> int:
    """Start `safehold serve` and `safehold worker`; return the port once it answers."""
    port = bench.serve()
    bench.start("worker", "--name", "bench", "--handoff-log", str(handoffs), log="worker.log")
    time.sleep(2)  # let the worker start and settle into idling
    return port


# --- driving --------------------------------------------------------------------------


def android_event(phone: str, event_id: str) -> bytes:
    """Return an `sms:received` event as SMS Gateway for Android posts it."""
    return json.dumps(
        {
            "deviceId": "ffffffffceb0b1db0000018e937c815b",
            "event": "sms:received",
            "id": event_id,
            "payload": {
                "messageId": f"m-{event_id}",
                "message": CRY,
                "phoneNumber": phone,
                "simNumber": 1,
                "receivedAt": "2026-11-22T15:46:11.000+03:00",
            },
            "webhookId": "wh-bench",
        },
        ensure_ascii=False,
    ).encode()


def send(port: int, panic: Panic, event_id: str) -> None:
    """POST one signed cry over a fresh connection, as the gateway phone does."""
    from safehold.crypto.webhooks import android_gateway_signature

    body = android_event(panic.phone, event_id)
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Signature": android_gateway_signature(SIGNING_KEY, body, stamp),
        "X-Timestamp": stamp,
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        panic.sent_at = time.time()
        connection.request("POST", "/hooks/sms/android", body, headers)
        response = connection.getresponse()
        response.read()
        panic.answered_at = time.time()
        panic.status = response.status
    finally:
        connection.close()


def drive(args: argparse.Namespace, port: int, panics: list[Panic], handoffs: Path) -> None:
    """Send every panic in turn, then wait until every notification was handed over."""
    pauses = random.Random(7)  # noqa: S311  (spacing requests, not a secret)
    low, high = args.pause_ms
    for n, panic in enumerate(panics):
        send(port, panic, f"bench-{n}")
        if panic.status not in (200, 204):
            say(args, f"panic {n}: HTTP {panic.status}")
        time.sleep(pauses.uniform(low, high) / 1000)
    expected = len(panics) * args.responders * args.channels
    waited = time.monotonic()
    while time.monotonic() - waited < args.timeout:
        if count_lines(handoffs) >= expected:
            break
        time.sleep(0.2)
    time.sleep(0.5)  # a late duplicate would show here


def count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as lines:
        return sum(1 for _ in lines)


# --- results --------------------------------------------------------------------------


def match(panics: list[Panic], handoffs: Path) -> None:
    """Attach hand-offs, notification counts and claiming passes to each panic."""
    from safehold.alerts.models import AlertKind, DeliveryAttempt, Notification

    handed: dict[str, list[float]] = defaultdict(list)
    for line in handoffs.read_text().splitlines() if handoffs.exists() else []:
        at, key = line.split(" ", 1)
        handed[key.strip()].append(float(at))
    by_person = {panic.person_id: panic for panic in panics}
    notifications = Notification.objects.filter(alert__kind=AlertKind.PANIC).values_list(
        "idempotency_key", "alert__person_id"
    )
    for key, person_id in notifications:
        panic = by_person[person_id.hex]
        panic.notifications += 1
        if handed.get(key):
            panic.handed_at.append(min(handed[key]))
            panic.duplicates += len(handed[key]) - 1
    claims: dict[str, set[float]] = defaultdict(set)
    attempts = DeliveryAttempt.objects.filter(
        notification__alert__kind=AlertKind.PANIC
    ).values_list("notification__alert__person_id", "started_at")
    for person_id, started_at in attempts:
        claims[person_id.hex].add(started_at.timestamp())
    for panic in panics:
        passes = sorted(claims.get(panic.person_id, ()))
        panic.passes = len(passes)
        if passes:
            panic.first_claim_at, panic.last_claim_at = passes[0], passes[-1]


def summarise(args: argparse.Namespace, bench: Bench, measured: list[Panic]) -> dict[str, Any]:
    """Return the JSON result for the measured (not warm-up) panics."""
    per_panic = args.responders * args.channels
    finished = [p for p in measured if p.handed_at]
    fanout = [(max(p.handed_at) - p.sent_at) * 1000 for p in finished]
    first = [(min(p.handed_at) - p.sent_at) * 1000 for p in finished]
    request = [(p.answered_at - p.sent_at) * 1000 for p in measured]
    # The claiming pass's clock is read when the pass starts, before its other queries.
    pickup = [(p.first_claim_at - p.answered_at) * 1000 for p in finished]
    in_pass = [(max(p.handed_at) - p.last_claim_at) * 1000 for p in finished]
    complete = all(
        p.status in (200, 204)
        and p.notifications == per_panic
        and len(p.handed_at) == per_panic
        and p.duplicates == 0
        for p in measured
    )

    def ms(values: list[float], fraction: float) -> float:
        return round(percentile(values, fraction), 1)

    return {
        "panics": len(measured),
        "responders": args.responders,
        "channels_per_responder": args.channels,
        "notifications_per_panic": per_panic,
        "db": "postgresql" if bench.pg_name else "sqlite",
        "fanout_p50_ms": ms(fanout, 0.50),
        "fanout_p99_ms": ms(fanout, 0.99),
        "fanout_max_ms": round(max(fanout), 1) if fanout else None,
        "first_p50_ms": ms(first, 0.50),
        "complete": complete,
        "request_p50_ms": ms(request, 0.50),
        "request_p99_ms": ms(request, 0.99),
        "pickup_p50_ms": ms(pickup, 0.50),
        "pickup_p99_ms": ms(pickup, 0.99),
        "pass_to_last_p50_ms": ms(in_pass, 0.50),
        "pass_to_last_p99_ms": ms(in_pass, 0.99),
        "panics_over_several_passes": sum(1 for p in finished if p.passes > 1),
        "notifications_handed": sum(len(p.handed_at) for p in measured),
        "duplicates": sum(p.duplicates for p in measured),
        "pause_ms": list(args.pause_ms),
        "warmup": args.warmup,
        "machine": machine(),
    }


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    bench = Bench(args)
    try:
        bench.create_database()
        bench.django()
        say(args, f"populating {args.panics} persons, {args.responders} responders in {bench.dir}")
        panics = populate(bench, args)
        from django.db import connection

        connection.close()  # the benchmark reads again only after the run
        handoffs = bench.dir / "handoffs.log"
        port = start_safehold(bench, handoffs)
        say(args, f"sending {args.warmup} + {args.panics} panics")
        drive(args, port, panics, handoffs)
        match(panics, handoffs)
        print(json.dumps(summarise(args, bench, panics[args.warmup :])))
    finally:
        bench.clean_up()


if __name__ == "__main__":
    main(sys.argv[1:])
