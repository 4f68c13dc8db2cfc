"""`safehold password EMAIL`: set a member's password (Django's changepassword cannot
find members, who log in by a digest of their e-mail)."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safehold.accounts.actions import generate_password, set_password
from safehold.accounts.models import Member, email_index


class Command(BaseCommand):
    help = "Set a member's password: typed twice, or generated (they must change it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--generate",
            action="store_true",
            help="Print a random one-time password; the member must change it at sign-in.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            member = Member.objects.get(email_index=email_index(options["email"]))
        except Member.DoesNotExist as missing:
            raise CommandError("No member has this e-mail address.") from missing
        if options["generate"]:
            password, must_change = generate_password(), True
        else:
            password = getpass.getpass("New password: ")
            if password != getpass.getpass("Again: "):
                raise CommandError("The two passwords differ; nothing was changed.")
            must_change = False
        try:
            set_password(member, password, actor=None, must_change=must_change)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if options["generate"]:
            self.stdout.write(f"One-time password (shown once, change it): {password}")
        else:
            self.stdout.write("Password changed.")
