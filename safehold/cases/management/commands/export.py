"""`safehold export persons`: the cases as CSV on standard output, audited."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safehold.cases.management.orgs import resolve_organisation
from safehold.cases.models import Person
from safehold.cases.spreadsheets import export_persons


class Command(BaseCommand):
    help = "Export records as CSV to standard output (decrypted: handle the file with care)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        persons = sub.add_parser("persons", help="Protected persons.")
        persons.add_argument("--org", help="Organisation name or id (optional if only one).")
        persons.add_argument("--compartment", help="Only this compartment.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options.get("org"))
        persons = (
            Person.objects.filter(organisation=organisation)
            .select_related("compartment")
            .prefetch_related("phones")
            .order_by("codename")
        )
        if options.get("compartment"):
            persons = persons.filter(compartment__name__iexact=options["compartment"])
        export_persons(persons, self.stdout, organisation=organisation)
