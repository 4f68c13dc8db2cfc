"""`safehold keys init|rotate|status`: manage the master keys; never prints key material."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safehold.crypto.envelope import rotate_master_key, unreadable_data_keys
from safehold.crypto.keys import (
    CryptoError,
    KeyFileSource,
    KeyMismatch,
    RotatableKeySource,
    configured_source,
)
from safehold.crypto.models import DataKey

_OLD_BACKUPS_WARNING = (
    "Database backups taken before this rotation can only be opened with the old key "
    "file. Keep a copy of it, stored as carefully as the current one, for as long as you "
    "keep those backups, or destroy both if the old key may have leaked."
)


class Command(BaseCommand):
    help = "Create, rotate or inspect the master keys that protect encrypted records."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        init = actions.add_parser("init", help="Create the key file (refuses to overwrite one).")
        init.add_argument(
            "--if-missing",
            action="store_true",
            help="Leave an existing (valid) key file alone instead of failing.",
        )
        rotate = actions.add_parser(
            "rotate", help="Re-wrap data keys under a new master key; rows are not rewritten."
        )
        rotate.add_argument("--dry-run", action="store_true", help="Only report what would change.")
        rotate.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )
        actions.add_parser("status", help="Show master key ids and data key counts.")

    def handle(self, *args: Any, **options: Any) -> None:
        # CryptoError is left to propagate: `safehold` turns it into a one-line message
        # and exit code 3, so scripts can tell a key problem from a usage error.
        if options["action"] == "init":
            self._init(if_missing=options["if_missing"])
        elif options["action"] == "rotate":
            self._rotate(dry_run=options["dry_run"], interactive=options["interactive"])
        else:
            self._status()

    def _init(self, *, if_missing: bool) -> None:
        path = Path(settings.SAFEHOLD_KEY_FILE)
        if if_missing and path.exists():
            keyring = KeyFileSource(path).load()  # fails loudly if it is not usable
            self.stdout.write(f"Key file {path} exists (master key {keyring.current_id}).")
            return
        source = KeyFileSource.init(path)
        keyring = source.load()
        self.stdout.write(f"Created key file {source.path} (master key {keyring.current_id}).")
        self.stdout.write(
            "Back it up now, apart from the database backups: without it no encrypted "
            "record can ever be read again."
        )

    def _rotate(self, *, dry_run: bool, interactive: bool) -> None:
        source = configured_source()
        if not isinstance(source, RotatableKeySource):
            raise CommandError("The configured key source cannot rotate master keys.")
        preview = rotate_master_key(source, dry_run=True)
        old_ids = ", ".join(preview.previous_master_key_ids)
        self.stdout.write(
            f"{preview.data_keys_rewrapped} data key(s) would be re-wrapped under a new "
            f"master key; master key(s) {old_ids} would be retired."
        )
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
            return
        if interactive and _ask("Type 'rotate' to continue: ") != "rotate":
            raise CommandError("Rotation cancelled; nothing was changed.")
        report = rotate_master_key(source)
        retired = ", ".join(report.retired_master_key_ids) or "none"
        self.stdout.write(
            f"Re-wrapped {report.data_keys_rewrapped} data key(s) under master key "
            f"{report.new_master_key_id}; retired master key(s): {retired}."
        )
        self.stdout.write(self.style.WARNING(_OLD_BACKUPS_WARNING))

    def _status(self) -> None:
        source = configured_source()
        if isinstance(source, KeyFileSource):
            self.stdout.write(f"Key file: {source.path}")
        rows = list(DataKey.objects.values_list("purpose", "is_active", "master_key_id"))
        by_purpose = Counter(purpose for purpose, _, _ in rows)
        active = Counter(purpose for purpose, is_active, _ in rows if is_active)
        for purpose in DataKey.Purpose.values:
            self.stdout.write(
                f"Data keys ({purpose}): {by_purpose[purpose]} ({active[purpose]} active)"
            )
        wrapped_by = Counter(master_key_id for _, _, master_key_id in rows)
        try:
            keyring = source.load()
        except CryptoError:
            # Still say which master keys the database needs: it tells the operator
            # which key backup to look for.
            for key_id, count in sorted(wrapped_by.items()):
                self.stdout.write(f"Master key {key_id}: wraps {count} data key(s)")
            raise
        for key_id in keyring.keys:
            marker = " (current)" if key_id == keyring.current_id else ""
            self.stdout.write(
                f"Master key {key_id}{marker}: wraps {wrapped_by[key_id]} data key(s)"
            )
        for key_id in sorted(set(wrapped_by) - set(keyring.keys)):
            self.stdout.write(
                f"Master key {key_id} (NOT HELD): wraps {wrapped_by[key_id]} data key(s)"
            )
        unreadable = unreadable_data_keys(keyring)
        if unreadable:
            raise KeyMismatch(
                f"{len(unreadable)} data key(s) cannot be unwrapped with these master keys: "
                "the master key does not match this database."
            )


def _ask(prompt: str) -> str:
    try:
        return input(prompt).strip()
    except EOFError:  # no terminal to answer from: treat as "no"
        return ""
