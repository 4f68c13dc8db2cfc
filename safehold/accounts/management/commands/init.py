"""`safehold init --org NAME --admin EMAIL`: a real deployment's first organisation."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from safehold.accounts.actions import create_compartment, create_member, create_organisation
from safehold.accounts.models import Role


class Command(BaseCommand):
    help = "Create an organisation, its first compartment and its first admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="The organisation's name.")
        parser.add_argument("--admin", required=True, help="The first admin's e-mail.")
        parser.add_argument(
            "--compartment", default="Main", help="The first compartment (default: Main)."
        )
        parser.add_argument(
            "--phone-region",
            default="RU",
            help="Country assumed for phone numbers written without +prefix.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                organisation = create_organisation(
                    options["org"], actor=None, phone_region=options["phone_region"].upper()
                )
                compartment = create_compartment(organisation, options["compartment"], actor=None)
                _, password = create_member(
                    organisation,
                    email=options["admin"],
                    role=Role.ADMIN,
                    actor=None,
                    compartments=[compartment],
                    must_change_password=True,
                )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            f"Organisation {organisation.id} created with compartment {compartment.name}."
        )
        self.stdout.write(f"One-time password for the admin (shown once, change it): {password}")
