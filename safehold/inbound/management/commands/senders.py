"""`safehold senders add-member-phone|link-code|list|remove`: who may write in by SMS or
Telegram. A person's phones live on their case; members' phones and everyone's Telegram
accounts are senders. Nothing here prints a phone number or a chat id.
"""

from __future__ import annotations

import getpass
import sys
import uuid
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safehold.accounts.models import Member, email_index
from safehold.cases.models import Person
from safehold.inbound.actions import LINK_CODE_LIFETIME, issue_link_code
from safehold.inbound.gateway_actions import add_member_phone, remove_sender
from safehold.inbound.management.commands.gateways import (
    by_id,
    confirm,
    is_terminal,
    organisation_named,
)
from safehold.inbound.models import Gateway, GatewayKind, Sender


class Command(BaseCommand):
    help = "Register members' phones, issue Telegram link codes, list or remove senders."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        phone = sub.add_parser(
            "add-member-phone",
            help="Let a member's phone acknowledge alerts and ask for STATUS by SMS.",
        )
        phone.add_argument("email", help="The member's e-mail address.")
        phone.add_argument(
            "phone",
            nargs="?",
            help="The phone number; leave it out to type it unseen or give it on stdin.",
        )
        link = sub.add_parser(
            "link-code", help="A one-time code that links a Telegram account to its sender."
        )
        owner = link.add_mutually_exclusive_group(required=True)
        owner.add_argument("--person", metavar="ID", help="The person's id.")
        owner.add_argument("--member", metavar="EMAIL", help="The member's e-mail address.")
        listing = sub.add_parser("list", help="Senders; never their numbers or chat ids.")
        listing.add_argument("--organisation", required=True, help="The organisation's name or id.")
        remove = sub.add_parser("remove", help="Stop a phone or Telegram account writing in.")
        remove.add_argument("id")
        remove.add_argument("--yes", action="store_true", help="Do not ask before removing.")
        remove.add_argument("--dry-run", action="store_true", help="Only say what would happen.")

    def handle(self, *args: Any, **options: Any) -> None:
        stdin: IO[str] = options.get("stdin") or sys.stdin
        verb = options["verb"]
        if verb == "add-member-phone":
            self._add_member_phone(options["email"], options["phone"], stdin)
        elif verb == "link-code":
            self._link_code(options["person"], options["member"])
        elif verb == "list":
            self._list(options["organisation"])
        else:
            self._remove(options, stdin)

    def _add_member_phone(self, email: str, phone: str | None, stdin: IO[str]) -> None:
        member = _member(email)
        if phone is None:
            phone = getpass.getpass("Phone number: ") if is_terminal(stdin) else stdin.readline()
        try:
            sender = add_member_phone(member, phone, actor=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages) + " Nothing was added.") from error
        self.stdout.write(f"Phone added for member {member.pk} (sender {sender.pk}).")
        self._note_without_gateway(
            member.organisation_id, (GatewayKind.TWILIO, GatewayKind.ANDROID)
        )

    def _link_code(self, person_id: str | None, email: str | None) -> None:
        if person_id is not None:
            person = by_id(Person.objects.all(), person_id)
            if person is None:
                raise CommandError("No person has this id.")
            code = issue_link_code(actor=None, person=person)
            organisation_id: uuid.UUID | None = person.organisation_id
        else:
            member = _member(email or "")
            code = issue_link_code(actor=None, member=member)
            organisation_id = member.organisation_id
        hours = int(LINK_CODE_LIFETIME.total_seconds() // 3600)
        self.stdout.write(f"Link code (shown once, valid for {hours} hours): {code}")
        self.stdout.write(f"Send /start {code} to the bot from the Telegram account to link.")
        self._note_without_gateway(organisation_id, (GatewayKind.TELEGRAM,))

    def _list(self, organisation_name: str) -> None:
        organisation = organisation_named(organisation_name)
        senders = (
            Sender.objects.filter(organisation=organisation)
            .select_related("person")
            .defer("address")  # never decrypted for a listing
            .order_by("created_at")
        )
        for sender in senders:
            whose = (
                f"person {sender.person.codename}"
                if sender.person is not None
                else f"member {sender.member_id}"
            )
            self.stdout.write(
                f"{sender.pk}  {sender.kind:<8} {whose}  {sender.created_at:%Y-%m-%d %H:%M} UTC"
            )

    def _remove(self, options: dict[str, Any], stdin: IO[str]) -> None:
        sender = by_id(Sender.objects.defer("address"), options["id"])
        if sender is None:
            raise CommandError("No sender has this id.")
        whose = f"person {sender.person_id}" if sender.person_id else f"member {sender.member_id}"
        what = f"sender {sender.pk} ({sender.kind} of {whose})"
        if options["dry_run"]:
            self.stdout.write(f"Would remove {what}. Nothing was changed.")
            return
        confirm(
            f"Remove {what}? Its messages will count as a stranger's.",
            stdin=stdin,
            out=self.stdout,
            yes=options["yes"],
        )
        remove_sender(sender, actor=None)
        self.stdout.write(f"Sender {sender.pk} removed.")

    def _note_without_gateway(self, organisation_id: Any, kinds: tuple[str, ...]) -> None:
        if not Gateway.objects.filter(
            organisation_id=organisation_id, kind__in=kinds, is_active=True
        ).exists():
            self.stderr.write(
                "Note: the organisation has no active gateway of this kind yet "
                "(see `safehold gateways add`)."
            )


def _member(email: str) -> Member:
    member = Member.objects.filter(
        email_index=email_index(email), is_active=True, organisation__isnull=False
    ).first()
    if member is None:
        raise CommandError("No active member of an organisation has this e-mail address.")
    return member
