"""Responder profiles: a member's own, and the organisation's responders for its
coordinators.

Every member keeps their own profile and says whether they can go now. Coordinators
and admins see and edit every profile of their organisation, cities included, because
they choose whom to send; anyone else gets the same 404 as for a page that does not
exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from safehold.accounts.models import Member, Role
from safehold.front.forms.responders import (
    AvailabilityForm,
    ResponderFilterForm,
    ResponderProfileForm,
    profile_initial,
)
from safehold.front.helpers import current_member, page_of, posted, show_action_errors
from safehold.incidents.models import Availability, ResponderKind, ResponderProfile
from safehold.incidents.responder_actions import (
    LANGUAGES,
    is_responder_manager,
    managed_members,
    set_availability,
    set_responder_profile,
)

GET_POST = ["GET", "HEAD", "POST"]


def _profile_of(member: Member) -> ResponderProfile | None:
    return ResponderProfile.objects.filter(member=member).first()


def _save_profile(actor: Member, member: Member, form: ResponderProfileForm) -> bool:
    """Save the valid `form` as `member`'s profile; return False if the action refused."""
    data = form.cleaned_data
    try:
        set_responder_profile(
            member,
            actor=actor,
            kinds=data["kinds"],
            cities=data["cities"],
            regions=data["regions"],
            languages=data["languages"],
            availability=data["availability"],
        )
    except ValidationError as error:
        show_action_errors(form, error)
        return False
    return True


# --- The member's own profile -------------------------------------------------------


def _my_page(
    request: HttpRequest,
    profile: ResponderProfile | None,
    *,
    form: ResponderProfileForm | None = None,
    availability_form: AvailabilityForm | None = None,
) -> HttpResponse:
    context = {
        "profile": profile,
        "form": form or ResponderProfileForm(initial=profile_initial(profile)),
        "availability_form": availability_form or AvailabilityForm(),
        "other_availabilities": [
            (value, label)
            for value, label in Availability.choices
            if profile is None or value != profile.availability
        ],
        "section": "account",
    }
    return render(request, "front/responders/mine.html", context)


@require_http_methods(GET_POST)
def my_responder_profile(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    profile = _profile_of(member)
    form = ResponderProfileForm(posted(request), initial=profile_initial(profile))
    if request.method == "POST" and form.is_valid() and _save_profile(member, member, form):
        messages.success(request, _("Your responder profile was saved."))
        return redirect("my_responder_profile")
    return _my_page(request, profile, form=form)


@require_POST
def my_availability(request: HttpRequest) -> HttpResponse:
    """One click: say whether the member can go now."""
    member = current_member(request)
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        try:
            set_availability(member, actor=member, availability=form.cleaned_data["availability"])
        except ValidationError as error:
            show_action_errors(form, error, default_field="availability")
        else:
            messages.success(request, _("Your availability was changed."))
            return redirect("my_responder_profile")
    return _my_page(request, _profile_of(member), availability_form=form)


# --- The organisation's responders ----------------------------------------------------


def _manager(request: HttpRequest) -> Member:
    """Return the signed-in coordinator or admin, or raise Http404 for anyone else."""
    member = current_member(request)
    if not is_responder_manager(member):
        raise Http404
    return member


def _managed(actor: Member, member_id: Any) -> Member:
    """Return a member of the actor's organisation, or raise Http404 alike for missing
    and forbidden."""
    try:
        return managed_members(actor).get(pk=member_id)
    except (Member.DoesNotExist, ValueError, ValidationError) as missing:
        raise Http404 from missing


@dataclass(frozen=True)
class ResponderRow:
    member: Member
    profile: ResponderProfile | None
    kinds: list[str]
    languages: list[str]
    is_available: bool


_KIND_LABELS = dict(ResponderKind.choices)
_LANGUAGE_NAMES = dict(LANGUAGES)


def _row(member: Member) -> ResponderRow:
    profile: ResponderProfile | None = getattr(member, "responder_profile", None)
    if profile is None:
        return ResponderRow(member, None, [], [], is_available=False)
    return ResponderRow(
        member,
        profile,
        [str(_KIND_LABELS.get(kind, kind)) for kind in profile.kinds],
        [str(_LANGUAGE_NAMES.get(code, code)) for code in profile.languages],
        is_available=profile.availability == Availability.AVAILABLE,
    )


def _rows(actor: Member, kind: str, availability: str) -> list[ResponderRow]:
    """Return the organisation's responders by name: members with a profile, and members
    with the responder role who have none yet."""
    members = (
        managed_members(actor)
        .filter(Q(responder_profile__isnull=False) | Q(role=Role.RESPONDER))
        .select_related("responder_profile")
    )
    if availability:
        members = members.filter(responder_profile__availability=availability)
    rows = [_row(member) for member in members]
    if kind:  # a JSON list: matched here, as dispatch does
        rows = [row for row in rows if row.profile is not None and kind in row.profile.kinds]
    # Names are encrypted: sorted here, which is cheap for an organisation's dozens.
    return sorted(rows, key=lambda row: str(row.member.label).casefold())


@require_safe
def responder_list(request: HttpRequest) -> HttpResponse:
    member = _manager(request)
    form = ResponderFilterForm(request.GET or None)
    kind = availability = ""
    if form.is_valid():
        kind, availability = form.cleaned_data["kind"], form.cleaned_data["availability"]
    query = urlencode([(k, v) for k, v in (("kind", kind), ("availability", availability)) if v])
    page = page_of(request, _rows(member, kind, availability))
    context = {
        "form": form,
        "page": page,
        "rows": page.object_list,
        "query": query,
        "is_filtered": bool(query),
        "section": "responders",
    }
    return render(request, "front/responders/list.html", context)


@require_http_methods(GET_POST)
def responder_edit(request: HttpRequest, member_id: Any) -> HttpResponse:
    actor = _manager(request)
    responder = _managed(actor, member_id)
    profile = _profile_of(responder)
    form = ResponderProfileForm(posted(request), initial=profile_initial(profile))
    if request.method == "POST" and form.is_valid() and _save_profile(actor, responder, form):
        messages.success(request, _("The responder profile was saved."))
        return redirect("responder_list")
    context = {"form": form, "responder": responder, "profile": profile, "section": "responders"}
    return render(request, "front/responders/edit.html", context)
