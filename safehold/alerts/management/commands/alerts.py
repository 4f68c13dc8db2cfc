"""`safehold alerts list|ack|resolve`: handle alerts from a terminal."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from safehold.accounts.models import Member, email_index
from safehold.alerts.actions import acknowledge_alert, resolve_alert
from safehold.alerts.gatekeepers import get_alert_for
from safehold.alerts.models import Alert, AlertState, Resolution


class Command(BaseCommand):
    help = "List, acknowledge or resolve alerts by their short code."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("list", help="Alerts that are not resolved.")
        ack = sub.add_parser("ack", help="Acknowledge an alert: stops its escalation.")
        ack.add_argument("code")
        ack.add_argument("--as", dest="member", required=True, help="Your e-mail address.")
        resolve = sub.add_parser("resolve", help="Close an alert.")
        resolve.add_argument("code")
        resolve.add_argument("--as", dest="member", required=True, help="Your e-mail address.")
        resolve.add_argument("--resolution", choices=Resolution.values, required=True)
        resolve.add_argument("--no-stand-down", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "list":
            for alert in Alert.objects.exclude(state=AlertState.RESOLVED).select_related("person"):
                self.stdout.write(
                    f"{alert.code}  {alert.state:<13} {alert.kind:<15} {alert.about}  "
                    f"{alert.created_at:%Y-%m-%d %H:%M} UTC"
                )
            return
        member = self._member(options["member"])
        alert = self._alert(options["code"], member)
        if options["verb"] == "ack":
            if acknowledge_alert(alert, actor=member, via="cli"):
                self.stdout.write(f"Alert {alert.code} acknowledged.")
            else:
                self.stdout.write(f"Alert {alert.code} was already {alert.get_state_display()}.")
            return
        try:
            told = resolve_alert(
                alert,
                actor=member,
                resolution=options["resolution"],
                stand_down=not options["no_stand_down"],
                via="cli",
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Alert {alert.code} resolved; {told} stand-down notice(s) queued.")

    def _member(self, email: str) -> Member:
        try:
            return Member.objects.get(email_index=email_index(email), is_active=True)
        except Member.DoesNotExist as missing:
            raise CommandError("No active member has this e-mail address.") from missing

    def _alert(self, code: str, member: Member) -> Alert:
        try:
            return get_alert_for(member, code=code)
        except Http404 as missing:
            raise CommandError(f"No alert {code} that you may handle.") from missing
