"""`safehold bench <name> …`: run a benchmark from the checkout's bench/ folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

BENCH_DIR = Path(__file__).resolve().parents[4] / "bench"
BENCHMARKS = ["checkins", "dashboard", "duress", "live_dashboard", "panic", "phone_page"]


class Command(BaseCommand):
    help = f"Run a benchmark ({', '.join(BENCHMARKS)}) and print its JSON result (BENCHMARKS.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", choices=BENCHMARKS)
        parser.add_argument("rest", nargs="*", help="Options passed to the benchmark.")

    def run_from_argv(self, argv: list[str]) -> None:
        # Pass the benchmark's own options (--schedules …) through untouched.
        if len(argv) > 2 and argv[2] in BENCHMARKS:
            self.handle(name=argv[2], rest=argv[3:])
            return
        super().run_from_argv(argv)

    def handle(self, *args: Any, **options: Any) -> None:
        script = BENCH_DIR / f"{options['name']}.py"
        if not script.exists():
            raise CommandError(f"{script} is missing: run benchmarks from a source checkout.")
        # A fresh process: the benchmark configures its own database before Django loads.
        completed = subprocess.run([sys.executable, str(script), *options["rest"]], check=False)
        if completed.returncode:
            raise CommandError(f"the benchmark failed (exit {completed.returncode})")
