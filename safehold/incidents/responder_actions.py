"""Responder profiles: what a member does, where and in which languages, and whether
they can go now.

A member keeps their own profile; the coordinators and admins of their organisation
keep anyone's, because they choose whom to send. Each action runs in one transaction
and writes one audit entry holding ids and codes only: cities and regions say where a
person lives, so they never reach the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safehold.access.policy import edits_organisation
from safehold.accounts.models import Member
from safehold.audit.chain import record
from safehold.incidents.models import Availability, ResponderKind, ResponderProfile

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_PLACES = 20
MAX_PLACE_LENGTH = 100
# The languages a responder may speak with the people they help, by ISO 639 code, which
# dispatch compares with the languages on a person's record. Short on purpose: the
# languages of the regions people flee from and of the countries they reach.
LANGUAGES: tuple[tuple[str, StrOrPromise], ...] = (
    ("ru", gettext_lazy("Russian")),
    ("en", gettext_lazy("English")),
    ("ce", gettext_lazy("Chechen")),
    ("inh", gettext_lazy("Ingush")),
    ("av", gettext_lazy("Avar")),
    ("uk", gettext_lazy("Ukrainian")),
    ("de", gettext_lazy("German")),
    ("fr", gettext_lazy("French")),
    ("tr", gettext_lazy("Turkish")),
    ("ka", gettext_lazy("Georgian")),
    ("hy", gettext_lazy("Armenian")),
    ("az", gettext_lazy("Azerbaijani")),
    ("kk", gettext_lazy("Kazakh")),
    ("ky", gettext_lazy("Kyrgyz")),
    ("uz", gettext_lazy("Uzbek")),
    ("tg", gettext_lazy("Tajik")),
    ("ar", gettext_lazy("Arabic")),
    ("fa", gettext_lazy("Persian")),
)
LANGUAGE_CODES = frozenset(code for code, _name in LANGUAGES)
_AVAILABILITY_ERROR = gettext_lazy("Choose from the list whether the responder can go now.")


def is_responder_manager(actor: Member) -> bool:
    """Return whether `actor` sees and edits the responders of their organisation."""
    return edits_organisation(actor, actor.organisation_id)


def managed_members(actor: Member) -> QuerySet[Member]:
    """Return the active members whose profiles `actor` may list and edit: everyone in
    the organisation for its coordinators and admins, nobody for anyone else (who keeps
    their own profile on their own page)."""
    organisation_id = actor.organisation_id
    if organisation_id is None or not is_responder_manager(actor):
        return Member.objects.none()
    return Member.objects.filter(organisation_id=organisation_id, is_active=True)


def may_edit_profile(actor: Member, member: Member) -> bool:
    """Return whether `actor` may change `member`'s profile and availability."""
    if not actor.is_active:
        return False
    if actor.pk == member.pk:
        return True
    return is_responder_manager(actor) and actor.organisation_id == member.organisation_id


def _check_may_edit(actor: Member, member: Member) -> None:
    if not may_edit_profile(actor, member):
        raise PermissionDenied


def _clean_kinds(kinds: Iterable[str]) -> list[str]:
    chosen = set(kinds)
    if not chosen:
        raise ValidationError(_("Choose at least one thing this responder does."))
    if not chosen <= set(ResponderKind.values):
        raise ValidationError(_("Choose what this responder does from the list."))
    return [kind for kind in ResponderKind.values if kind in chosen]


def _clean_places(places: Iterable[str]) -> list[str]:
    """Return the places stripped, without blanks and without repeats in any case."""
    kept: list[str] = []
    seen: set[str] = set()
    for place in places:
        name = " ".join(str(place).split())
        if not name or name.casefold() in seen:
            continue
        if len(name) > MAX_PLACE_LENGTH:
            raise ValidationError(
                _("Write each place in at most %(count)s characters.") % {"count": MAX_PLACE_LENGTH}
            )
        seen.add(name.casefold())
        kept.append(name)
    if len(kept) > MAX_PLACES:
        raise ValidationError(_("Name at most %(count)s places.") % {"count": MAX_PLACES})
    return kept


def _clean_languages(languages: Iterable[str]) -> list[str]:
    chosen = set(languages)
    if not chosen <= LANGUAGE_CODES:
        raise ValidationError(_("Choose the languages from the list."))
    return [code for code, _name in LANGUAGES if code in chosen]


def _attempt(
    errors: dict[str, list[str]],
    name: str,
    clean: Callable[[Iterable[str]], list[str]],
    value: Iterable[str],
) -> list[str]:
    """Return `clean(value)`; on a ValidationError note it under `name` and return []."""
    try:
        return clean(value)
    except ValidationError as error:
        errors[name] = error.messages
        return []


@transaction.atomic
def set_responder_profile(
    member: Member,
    *,
    actor: Member,
    kinds: list[str],
    cities: list[str],
    regions: list[str],
    languages: list[str],
    availability: str | None = None,
) -> ResponderProfile:
    """Create or replace `member`'s responder profile and return it; `availability`,
    if given, changes too.

    Raise PermissionDenied unless `actor` is the member or a coordinator or admin of
    their organisation, and ValidationError naming each bad field.
    """
    _check_may_edit(actor, member)
    errors: dict[str, list[str]] = {}
    values: dict[str, object] = {
        "kinds": _attempt(errors, "kinds", _clean_kinds, kinds),
        "cities": _attempt(errors, "cities", _clean_places, cities),
        "regions": _attempt(errors, "regions", _clean_places, regions),
        "languages": _attempt(errors, "languages", _clean_languages, languages),
    }
    if availability is not None:
        if availability in Availability.values:
            values["availability"] = availability
        else:
            errors["availability"] = [str(_AVAILABILITY_ERROR)]
    if errors:
        raise ValidationError(errors)
    # update_or_create locks an existing row and survives a concurrent first save.
    profile, created = ResponderProfile.objects.update_or_create(
        member=member, defaults={**values, "updated_at": timezone.now()}
    )
    record(
        "responder.profile_saved",
        actor=actor,
        target=profile,
        details={
            "member": str(member.pk),
            "created": created,
            "kinds": profile.kinds,
            "availability": profile.availability,
        },
        organisation_id=member.organisation_id,
    )
    return profile


@transaction.atomic
def set_availability(member: Member, *, actor: Member, availability: str) -> None:
    """Say whether `member` can go now; nothing is written if that does not change.

    Raise PermissionDenied as `set_responder_profile` does, and ValidationError for an
    unknown availability or a member without a profile.
    """
    _check_may_edit(actor, member)
    if availability not in Availability.values:
        raise ValidationError({"availability": str(_AVAILABILITY_ERROR)})
    profile = ResponderProfile.objects.select_for_update().filter(member=member).first()
    if profile is None:
        raise ValidationError(_("Fill in the responder profile first."))
    previous = profile.availability
    if previous == availability:
        return
    profile.availability, profile.updated_at = availability, timezone.now()
    profile.save(update_fields=["availability", "updated_at"])
    record(
        "responder.availability_set",
        actor=actor,
        target=profile,
        details={"member": str(member.pk), "availability": availability, "previous": previous},
        organisation_id=member.organisation_id,
    )
