"""`safehold gateways add|list|disable`: the SMS and Telegram gateways messages arrive by.

A gateway's secret and reply URL are credentials, so they never come as arguments
(which `ps` and shell history show): they come from the environment variables
SAFEHOLD_GATEWAY_SECRET and SAFEHOLD_GATEWAY_REPLY_URL, else one per line on stdin, in
that order, else from a prompt that does not echo them.
"""

from __future__ import annotations

import getpass
import os
import re
import sys
import uuid
from typing import IO, Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    OutputWrapper,
)
from django.db.models import Model, QuerySet

from safehold.accounts.models import Compartment, Organisation
from safehold.crypto.webhooks import new_telegram_secret
from safehold.inbound.gateway_actions import WEBHOOK_PATHS, add_gateway, disable_gateway
from safehold.inbound.models import Gateway, GatewayKind

SECRET_VARIABLE = "SAFEHOLD_GATEWAY_SECRET"
REPLY_URL_VARIABLE = "SAFEHOLD_GATEWAY_REPLY_URL"
SECRET_PROMPT = (
    "Secret (Twilio auth token, Android signing key or Telegram secret; "
    "empty to generate one for Telegram): "
)
REPLY_URL_PROMPT = "Reply URL without a recipient (empty: never answer): "
M = TypeVar("M", bound=Model)
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]{0,31})://", re.IGNORECASE)


class Command(BaseCommand):
    help = "Add, list or disable the SMS and Telegram gateways of an organisation."
    # Tests hand in their own stdin, as with createsuperuser.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser(
            "add",
            help=(
                f"Add a gateway. The secret and the reply URL are read from {SECRET_VARIABLE} "
                f"and {REPLY_URL_VARIABLE}, else one per line on stdin, else prompted for."
            ),
        )
        add.add_argument("--organisation", required=True, help="The organisation's name or id.")
        add.add_argument("--kind", required=True, choices=GatewayKind.values)
        add.add_argument("--label", required=True, help="How admins tell gateways apart.")
        add.add_argument(
            "--intake-compartment",
            required=True,
            help="Name or id of the compartment where cries for help from strangers go.",
        )
        add.add_argument(
            "--public-url",
            default="",
            help="Twilio only: the webhook URL exactly as configured in Twilio's console.",
        )
        listing = sub.add_parser("list", help="Gateways; never their secrets or reply URLs.")
        listing.add_argument("--organisation", help="Only this organisation's (name or id).")
        disable = sub.add_parser("disable", help="Refuse every message through a gateway.")
        disable.add_argument("id")
        disable.add_argument("--yes", action="store_true", help="Do not ask before disabling.")
        disable.add_argument("--dry-run", action="store_true", help="Only say what would happen.")

    def handle(self, *args: Any, **options: Any) -> None:
        stdin: IO[str] = options.get("stdin") or sys.stdin
        if options["verb"] == "add":
            self._add(options, stdin)
        elif options["verb"] == "list":
            self._list(options)
        else:
            self._disable(options, stdin)

    def _add(self, options: dict[str, Any], stdin: IO[str]) -> None:
        organisation = organisation_named(options["organisation"])
        compartment = _compartment_named(organisation, options["intake_compartment"])
        kind = options["kind"]
        secret, reply_url = _read_credentials(stdin)
        generated = False
        if not secret:
            if kind != GatewayKind.TELEGRAM:
                raise CommandError(
                    f"No secret given: set {SECRET_VARIABLE} or write it on stdin "
                    "(never as an argument). Nothing was added."
                )
            secret, generated = new_telegram_secret(), True
        try:
            gateway = add_gateway(
                organisation,
                kind=kind,
                label=options["label"],
                secret=secret,
                reply_url=reply_url,
                intake_compartment=compartment,
                public_url=options["public_url"],
                actor=None,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages) + " Nothing was added.") from error
        self.stdout.write(f"Gateway {gateway.pk} ({gateway.kind}) added for {organisation.name}.")
        path = WEBHOOK_PATHS[kind]
        self.stdout.write(f"Webhook path to configure: {path}")
        if kind == GatewayKind.TWILIO and not gateway.public_url.endswith(path):
            self.stderr.write(f"Note: the public URL must reach {path} on this server.")
        if generated:
            self.stdout.write(f"Telegram webhook secret (shown once): {secret}")
            self.stdout.write(
                f"Call the bot's setWebhook with url=https://<this server>{path} and "
                "secret_token=<the secret above>."
            )
        if not reply_url:
            self.stderr.write("Note: no reply URL, so this gateway will never answer.")

    def _list(self, options: dict[str, Any]) -> None:
        gateways = Gateway.objects.select_related("organisation").defer("secret")
        if options.get("organisation"):
            gateways = gateways.filter(organisation=organisation_named(options["organisation"]))
        for gateway in gateways:
            self.stdout.write(
                f"{gateway.pk}  {gateway.organisation.name}  {gateway.kind:<8} "
                f"{'active' if gateway.is_active else 'disabled':<8} "
                f"{gateway.created_at:%Y-%m-%d %H:%M} UTC  "
                f"replies: {reply_scheme(gateway.reply_url)}  {gateway.label}"
            )

    def _disable(self, options: dict[str, Any], stdin: IO[str]) -> None:
        gateway = _gateway(options["id"])
        if not gateway.is_active:
            self.stdout.write(f"Gateway {gateway.pk} is already disabled.")
            return
        what = f"gateway {gateway.pk} ({gateway.kind}, {gateway.label}) of {gateway.organisation}"
        if options["dry_run"]:
            self.stdout.write(f"Would disable {what}. Nothing was changed.")
            return
        confirm(
            f"Disable {what}? Every message through it will be refused.",
            stdin=stdin,
            out=self.stdout,
            yes=options["yes"],
        )
        disable_gateway(gateway, actor=None)
        self.stdout.write(f"Gateway {gateway.pk} disabled: its messages are refused from now on.")


def organisation_named(name_or_id: str) -> Organisation:
    """Return the organisation with this id or name; raise CommandError if there is none."""
    found = by_id(Organisation.objects.all(), name_or_id)
    found = found or Organisation.objects.filter(name=name_or_id.strip()).first()
    if found is None:
        raise CommandError("No organisation has this name or id.")
    return found


def _compartment_named(organisation: Organisation, name_or_id: str) -> Compartment:
    compartments = Compartment.objects.filter(organisation=organisation)
    found = by_id(compartments, name_or_id)
    found = found or compartments.filter(name=name_or_id.strip()).first()
    if found is None:
        raise CommandError("The organisation has no compartment with this name or id.")
    return found


def _gateway(gateway_id: str) -> Gateway:
    found = by_id(Gateway.objects.select_related("organisation"), gateway_id)
    if found is None:
        raise CommandError("No gateway has this id.")
    return found


def by_id(objects: QuerySet[M], text: str) -> M | None:
    """Return the object whose id `text` is, or None (also if `text` is not an id)."""
    try:
        pk = uuid.UUID(text.strip())
    except ValueError:
        return None
    return objects.filter(pk=pk).first()


def _read_credentials(stdin: IO[str]) -> tuple[str, str]:
    """Return (secret, reply URL) from the environment, else stdin, else a prompt."""
    secret = os.environ.get(SECRET_VARIABLE)
    reply_url = os.environ.get(REPLY_URL_VARIABLE)
    on_terminal = is_terminal(stdin)
    if secret is None:
        secret = getpass.getpass(SECRET_PROMPT) if on_terminal else stdin.readline()
    if reply_url is None:
        reply_url = getpass.getpass(REPLY_URL_PROMPT) if on_terminal else stdin.readline()
    return secret.strip(), reply_url.strip()


def is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


def reply_scheme(reply_url: str) -> str:
    """Return the scheme of a reply URL for display, never more of it; "none" if empty."""
    if not reply_url:
        return "none"
    match = _SCHEME.match(reply_url.strip())
    return match.group(1).lower() if match else "?"


def confirm(question: str, *, stdin: IO[str], out: OutputWrapper, yes: bool) -> None:
    """Return if the operator agrees (or passed --yes); raise CommandError otherwise."""
    if yes:
        return
    if not is_terminal(stdin):
        raise CommandError("Add --yes to confirm without a terminal. Nothing was changed.")
    out.write(f"{question} [y/N] ", ending="")
    out.flush()
    if stdin.readline().strip().lower() not in {"y", "yes"}:
        raise CommandError("Not confirmed. Nothing was changed.")
