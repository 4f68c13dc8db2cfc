"""Every change to safe houses and placements: one transaction, one audit entry each."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safehold.accounts.models import Compartment, Member, Organisation
from safehold.audit.chain import record
from safehold.cases.models import Person
from safehold.shelters.models import Placement, SafeHouse, SafeHouseStatus


@dataclass
class SafeHouseDetails:
    codename: str
    compartment: Compartment
    city: str
    capacity: int
    region: str = ""
    address: str = ""
    access_instructions: str = ""
    notes: str = ""


def _overlapping(
    placements: QuerySet[Placement], start: datetime.date, end: datetime.date | None
) -> QuerySet[Placement]:
    """Placements whose stay overlaps [start, end] (end None: open-ended)."""
    overlap = Q(end_date__isnull=True) | Q(end_date__gte=start)
    if end is not None:
        overlap &= Q(start_date__lte=end)
    return placements.filter(overlap)


def peak_occupancy(
    stays: Iterable[tuple[datetime.date, datetime.date | None]],
    start: datetime.date,
    end: datetime.date | None = None,
) -> int:
    """Return the most people staying on any single day of [start, end] (pure)."""
    changes: dict[datetime.date, int] = {}
    for stay_start, stay_end in stays:
        first = max(stay_start, start)
        last = stay_end if end is None or (stay_end is not None and stay_end < end) else end
        if last is not None and last < first:
            continue
        changes[first] = changes.get(first, 0) + 1
        if last is not None:
            after = last + datetime.timedelta(days=1)
            changes[after] = changes.get(after, 0) - 1
    peak = current = 0
    for day in sorted(changes):
        current += changes[day]
        peak = max(peak, current)
    return peak


def _peak(placements: QuerySet[Placement], start: datetime.date, end: datetime.date | None) -> int:
    stays = _overlapping(placements, start, end).values_list("start_date", "end_date")
    return peak_occupancy(stays, start, end)


def occupancy(safe_house: SafeHouse, on: datetime.date | None = None) -> int:
    """Return how many people are placed in `safe_house` on a day (today by default)."""
    day = on or timezone.localdate()
    return _overlapping(safe_house.placements.all(), day, day).count()


def _check_stay_fits(
    house: SafeHouse,
    person: Person,
    start: datetime.date,
    end: datetime.date | None,
    *,
    exclude: uuid.UUID | None = None,
) -> None:
    """Refuse a stay that would overfill `house` on any day or double-book `person`."""
    if end is not None and end < start:
        raise ValidationError({"end_date": _("The stay cannot end before it starts.")})
    skip = [exclude] if exclude is not None else []
    others = house.placements.exclude(pk__in=skip)
    if _peak(others, start, end) + 1 > house.capacity:
        raise ValidationError({"safe_house": _("This safe house is full for these dates.")})
    if _overlapping(person.placements.exclude(pk__in=skip), start, end).exists():
        raise ValidationError({"start_date": _("The person is already placed for these dates.")})


def _check_codename_free(
    organisation: Organisation, codename: str, exclude: uuid.UUID | None = None
) -> None:
    taken = SafeHouse.objects.filter(organisation=organisation, codename__iexact=codename)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError({"codename": _("Another safe house already uses this codename.")})


@transaction.atomic
def create_safe_house(
    details: SafeHouseDetails, *, actor: Member | None, organisation: Organisation
) -> SafeHouse:
    """Create a safe house; raise ValidationError on bad or clashing details."""
    if details.compartment.organisation_id != organisation.id:
        raise ValidationError({"compartment": _("Choose one of your compartments.")})
    if not details.address.strip():
        raise ValidationError({"address": _("Enter the address.")})
    _check_codename_free(organisation, details.codename)
    house = SafeHouse(organisation=organisation, **vars(details))
    house.full_clean(exclude=["organisation", "compartment"])
    try:
        with transaction.atomic():
            house.save(force_insert=True)
    except IntegrityError as clash:
        raise ValidationError(
            {"codename": _("Another safe house already uses this codename.")}
        ) from clash
    record(
        "safe_house.created",
        actor=actor,
        target=house,
        details={"fields": sorted(k for k, v in vars(details).items() if v)},
    )
    return house


@transaction.atomic
def update_safe_house(house: SafeHouse, details: SafeHouseDetails, *, actor: Member) -> list[str]:
    """Apply `details`; an empty address keeps the old one. Return the changed fields."""
    locked = SafeHouse.objects.select_for_update().get(pk=house.pk)
    if details.compartment.organisation_id != house.organisation_id:
        raise ValidationError({"compartment": _("Choose one of your compartments.")})
    if details.codename.casefold() != house.codename.casefold():
        _check_codename_free(house.organisation, details.codename, exclude=house.pk)
    # Future stays count too: a lower capacity must fit every day from today on.
    booked = _peak(locked.placements.all(), timezone.localdate(), None)
    if details.capacity < booked:
        raise ValidationError(
            {
                "capacity": _("%(n)s people are placed here now; capacity cannot be lower.")
                % {"n": booked}
            }
        )
    changed = []
    for name, value in vars(details).items():
        if name in {"address", "access_instructions", "notes"} and not value:
            continue  # sensitive fields are not pre-filled in forms: empty means unchanged
        if getattr(house, name) != value:
            setattr(house, name, value)
            changed.append(name)
    if changed:
        house.full_clean(exclude=["organisation", "compartment"])
        house.updated_at = timezone.now()
        try:
            with transaction.atomic():
                house.save()
        except IntegrityError as clash:  # a concurrent edit took the codename first
            raise ValidationError(
                {"codename": _("Another safe house already uses this codename.")}
            ) from clash
        record("safe_house.updated", actor=actor, target=house, details={"fields": sorted(changed)})
    return changed


@transaction.atomic
def set_safe_house_status(house: SafeHouse, status: str, *, actor: Member, reason: str) -> None:
    if status not in SafeHouseStatus.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the status changes.")})
    previous = house.status
    house.status = status
    house.updated_at = timezone.now()
    house.save(update_fields=["status", "updated_at"])
    record(
        "safe_house.status_changed",
        actor=actor,
        target=house,
        details={"from": previous, "to": status, "reason": reason.strip()},
    )


@transaction.atomic
def place_person(
    person: Person,
    house: SafeHouse,
    *,
    actor: Member,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
) -> Placement:
    """Place `person` in `house`; refuse if it would exceed capacity or double-book them."""
    # Lock house and person so two coordinators cannot fill the last bed, or place one
    # person in two houses, at the same moment.
    locked = SafeHouse.objects.select_for_update().get(pk=house.pk)
    Person.objects.select_for_update().filter(pk=person.pk).first()
    if locked.organisation_id != person.organisation_id:
        raise ValidationError({"safe_house": _("Choose a safe house of your organisation.")})
    if locked.status != SafeHouseStatus.ACTIVE:
        raise ValidationError({"safe_house": _("This safe house is not active.")})
    _check_stay_fits(locked, person, start_date, end_date)
    placement = Placement.objects.create(
        person=person, safe_house=locked, start_date=start_date, end_date=end_date, created_by=actor
    )
    record(
        "placement.created",
        actor=actor,
        target=person,
        details={"placement": str(placement.pk), "safe_house": str(locked.pk)},
    )
    return placement


@transaction.atomic
def end_placement(placement: Placement, *, actor: Member, end_date: datetime.date) -> None:
    """Set the last day of a stay; a later end date must still fit the house."""
    locked = SafeHouse.objects.select_for_update().get(pk=placement.safe_house_id)
    person = Person.objects.select_for_update().get(pk=placement.person_id)
    _check_stay_fits(locked, person, placement.start_date, end_date, exclude=placement.pk)
    placement.end_date = end_date
    placement.save(update_fields=["end_date"])
    record(
        "placement.ended",
        actor=actor,
        target=person,
        details={"placement": str(placement.pk), "safe_house": str(locked.pk)},
    )


@dataclass(frozen=True)
class RevealedSafeHouse:
    address: str
    access_instructions: str
    notes: str


@transaction.atomic
def reveal_safe_house(house: SafeHouse, *, actor: Member, reason: str) -> RevealedSafeHouse:
    """Return the address and instructions, auditing who learnt them and why."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why you need to see this.")})
    record("safe_house.revealed", actor=actor, target=house, details={"reason": reason.strip()})
    return RevealedSafeHouse(house.address, house.access_instructions, house.notes)
