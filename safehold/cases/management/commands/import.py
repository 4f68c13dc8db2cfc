"""`safehold import persons FILE.csv`: bring cases in from a spreadsheet, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safehold.cases.management.orgs import resolve_organisation
from safehold.cases.spreadsheets import COLUMNS, ImportRefused, import_persons


class Command(BaseCommand):
    help = "Import records from CSV. Nothing is written unless every row is valid."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        persons = sub.add_parser(
            "persons", help=f"Protected persons; columns: {', '.join(COLUMNS)}."
        )
        persons.add_argument("file", type=Path)
        persons.add_argument("--org", help="Organisation name or id (optional if only one).")
        persons.add_argument(
            "--create-compartments",
            action="store_true",
            help="Create compartments the file names that do not exist yet.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options.get("org"))
        path: Path = options["file"]
        try:
            # utf-8-sig: spreadsheet programs often start CSV files with a byte-order mark.
            with path.open(encoding="utf-8-sig", newline="") as stream:
                report = import_persons(
                    stream,
                    organisation=organisation,
                    create_compartments=options["create_compartments"],
                    source_name=path.name,
                )
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8 text; save it as CSV UTF-8.") from error
        except ImportRefused as refused:
            for line, reason in refused.problems:
                self.stderr.write(f"{path.name}:{line}: {reason}")
            raise CommandError(
                f"Nothing imported: {len(refused.problems)} problem(s) in {path.name}."
            ) from refused
        for name in report.compartments_created:
            self.stdout.write(f"Created compartment {name}")
        self.stdout.write(f"Imported {report.created} person(s).")
