"""`safehold worker`: deliver alerts until stopped (SIGTERM or Ctrl-C)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safehold.alerts.worker import BATCH, Worker
from safehold.transports.null import HandoffLog


class Command(BaseCommand):
    help = "Run the alert worker: missed check-ins, escalation and delivery."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", help="A name for this worker in delivery records.")
        parser.add_argument("--pool", type=int, default=16, help="Parallel deliveries.")
        parser.add_argument(
            "--batch", type=int, default=BATCH, help="Rows claimed per kind of work per pass."
        )
        parser.add_argument(
            "--handoff-log",
            type=Path,
            help="Benchmarks only: deliver nowhere, noting when each message was handed over.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        extra: dict[str, Any] = {}
        if options.get("handoff_log"):
            extra["deliver"] = HandoffLog(options["handoff_log"])
        worker = Worker(
            name=options.get("name"),
            pool_size=options["pool"],
            batch=max(1, options["batch"]),
            **extra,
        )
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: worker.stop())
        worker.run()
