"""`safehold incident export ID`: write an incident's dossier as PDF or HTML."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from safehold.access.models import Need
from safehold.accounts.models import Member, email_index
from safehold.incidents.gatekeepers import get_incident_for
from safehold.records.export import FORMATS, RequestDetails, export_incident


class Command(BaseCommand):
    help = "Export an incident's dossier (the person, timeline, evidence, Rule 39 draft)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        export = sub.add_parser("export", help="Write the dossier to a file.")
        export.add_argument("incident_id", help="The incident's id (a UUID).")
        export.add_argument("--as", dest="member", required=True, help="Your e-mail address.")
        export.add_argument("--format", choices=FORMATS, default="pdf")
        export.add_argument(
            "--language", choices=[code for code, _name in settings.LANGUAGES], default="en"
        )
        export.add_argument("--output", help="The file to write (default: in this folder).")
        export.add_argument(
            "--state", default="RU", help="The respondent state, two letters (default RU)."
        )
        export.add_argument("--removal-destination", default="")
        export.add_argument("--removal-date", default="")
        export.add_argument("--removal-time", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            member = Member.objects.get(email_index=email_index(options["member"]), is_active=True)
        except Member.DoesNotExist as missing:
            raise CommandError("No active member has this e-mail address.") from missing
        try:
            incident = get_incident_for(member, options["incident_id"], Need.VIEW)
        except Http404 as missing:
            raise CommandError("No incident with this id that you may see.") from missing
        destination = bool(options["removal_destination"])
        export = export_incident(
            incident,
            exporter=member,
            file_format=options["format"],
            language=options["language"],
            details=RequestDetails(
                respondent_state=options["state"],
                is_removal=destination,
                removal_date=options["removal_date"],
                removal_time=options["removal_time"],
                removal_destination=options["removal_destination"],
            ),
        )
        path = Path(options["output"] or export.file_name)
        # The dossier names the person: readable by its owner only, and never overwritten.
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exists:
            raise CommandError(f"{path} exists already; choose another --output.") from exists
        with os.fdopen(handle, "wb") as file:
            file.write(export.content)
        self.stdout.write(f"Wrote {path} ({len(export.content)} bytes).")
