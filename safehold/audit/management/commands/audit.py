"""`safehold audit verify`: check the audit hash chain end to end."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safehold.audit.chain import verify_chain


class Command(BaseCommand):
    help = "Audit log tools. `verify` exits 0 on an intact chain, 1 naming the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("verify", help="Recompute every hash in the audit chain.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain()
        if result.is_intact:
            self.stdout.write(f"audit log intact: {result.entries_checked} entries verified")
            return
        raise CommandError(
            f"audit log broken at entry #{result.first_broken_seq}: {result.problem} "
            f"({result.entries_checked} entries verified before it)",
            returncode=1,
        )
