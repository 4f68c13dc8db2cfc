"""Choosing the organisation a command works on."""

from __future__ import annotations

import uuid

from django.core.management.base import CommandError

from safehold.accounts.models import Organisation


def resolve_organisation(name_or_id: str | None) -> Organisation:
    """Return the organisation named (or with this id); the only one when none is named."""
    if not name_or_id:
        organisations = list(Organisation.objects.all()[:2])
        if len(organisations) == 1:
            return organisations[0]
        if not organisations:
            raise CommandError("There is no organisation yet: run `safehold init` first.")
        raise CommandError("There are several organisations: name one with --org.")
    try:
        return Organisation.objects.get(pk=uuid.UUID(name_or_id))
    except (ValueError, Organisation.DoesNotExist):
        pass
    try:
        return Organisation.objects.get(name__iexact=name_or_id.strip())
    except Organisation.DoesNotExist as missing:
        raise CommandError(f"No organisation is called '{name_or_id}'.") from missing
