"""Who knows a safe house's address, read from the audit log."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from safehold.accounts.models import Member
from safehold.audit.models import AuditEntry
from safehold.shelters.models import SafeHouse

ADDRESS_FIELDS = {"address", "access_instructions"}


@dataclass(frozen=True)
class Knower:
    label: str
    is_active: bool
    how: str  # "entered", "changed" or "revealed"
    times: int
    last_at: datetime.datetime


def _how(entry: AuditEntry) -> str | None:
    if entry.action == "safe_house.created":
        return "entered"
    if entry.action == "safe_house.revealed":
        return "revealed"
    if entry.action == "safe_house.updated" and ADDRESS_FIELDS & set(entry.details["fields"]):
        return "changed"
    return None


def who_knows_address(house: SafeHouse) -> list[Knower]:
    """Return the members who entered, changed or revealed the address, latest first.

    After a house is compromised this is where the search for the leak starts.
    """
    entries = AuditEntry.objects.filter(
        object_type=house._meta.label_lower,
        object_id=str(house.pk),
        action__in=["safe_house.created", "safe_house.revealed", "safe_house.updated"],
        actor_id__isnull=False,
    ).order_by("seq")
    tally: dict[tuple[object, str], tuple[int, datetime.datetime]] = {}
    for entry in entries:
        how = _how(entry)
        if how is None:
            continue
        times, _last = tally.get((entry.actor_id, how), (0, entry.at))
        tally[(entry.actor_id, how)] = (times + 1, entry.at)
    members = {m.pk: m for m in Member.objects.filter(pk__in={key[0] for key in tally})}
    knowers = []
    for (actor_id, how), (times, last_at) in tally.items():
        colleague = members.get(actor_id)  # type: ignore[call-overload]
        knowers.append(
            Knower(
                label=colleague.label if colleague else _("Deleted account"),
                is_active=bool(colleague and colleague.is_active),
                how=how,
                times=times,
                last_at=last_at,
            )
        )
    return sorted(knowers, key=lambda knower: knower.last_at, reverse=True)
