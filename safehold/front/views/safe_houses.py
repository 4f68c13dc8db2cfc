"""Safe houses: list, detail with reveal and "who knows", create, edit and status."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from safehold.access.models import Need
from safehold.access.policy import editable_compartments
from safehold.accounts.models import Compartment, Member
from safehold.cases.gatekeepers import persons_for
from safehold.front.forms.persons import RevealForm
from safehold.front.forms.safe_houses import SafeHouseForm, StatusForm
from safehold.front.helpers import (
    current_member,
    page_of,
    posted,
    reveal_with_reason,
    show_action_errors,
)
from safehold.shelters.actions import (
    RevealedSafeHouse,
    SafeHouseDetails,
    create_safe_house,
    occupancy,
    reveal_safe_house,
    set_safe_house_status,
    update_safe_house,
)
from safehold.shelters.gatekeepers import can, get_safe_house_for, safe_houses_for
from safehold.shelters.knowledge import who_knows_address
from safehold.shelters.models import Placement, SafeHouse

GET_POST = ["GET", "HEAD", "POST"]


@dataclass(frozen=True)
class SafeHouseRow:
    house: SafeHouse
    occupancy: int


@require_safe
def safe_house_list(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    houses = safe_houses_for(member, Need.VIEW).select_related("compartment")
    page = page_of(request, houses)
    context = {
        "page": page,
        "rows": [SafeHouseRow(house, occupancy(house)) for house in page.object_list],
        "can_create": editable_compartments(member).exists(),
    }
    return render(request, "front/safe_houses/list.html", context)


@dataclass(frozen=True)
class StayRow:
    placement: Placement
    # False when the person lies outside the member's reach: show a stay, not who.
    is_person_visible: bool
    is_current: bool


def _stays(member: Member, house: SafeHouse, today: datetime.date) -> list[StayRow]:
    placements = list(
        house.placements.filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("person")
        .order_by("start_date")
    )
    visible = set(
        persons_for(member, Need.VIEW)
        .filter(pk__in=[p.person_id for p in placements])
        .values_list("pk", flat=True)
    )
    return [StayRow(p, p.person_id in visible, p.start_date <= today) for p in placements]


def _detail_context(
    request: HttpRequest,
    house: SafeHouse,
    *,
    revealed: RevealedSafeHouse | None = None,
    reveal_form: RevealForm | None = None,
) -> dict[str, Any]:
    member = current_member(request)
    today = timezone.localdate()
    can_edit = can(member, house, Need.EDIT)
    return {
        "house": house,
        "occupancy": occupancy(house),
        "can_reveal": can(member, house, Need.REVEAL),
        "can_edit": can_edit,
        "stays": _stays(member, house, today),
        "knowers": who_knows_address(house) if can_edit else None,
        "revealed": revealed,
        "reveal_form": reveal_form or RevealForm(),
    }


@require_safe
def safe_house_detail(request: HttpRequest, safe_house_id: Any) -> HttpResponse:
    house = get_safe_house_for(current_member(request), safe_house_id, Need.VIEW)
    return render(request, "front/safe_houses/detail.html", _detail_context(request, house))


@require_POST
def safe_house_reveal(request: HttpRequest, safe_house_id: Any) -> HttpResponse:
    """Show the address in this response only, after recording who asked and why."""
    member = current_member(request)
    house = get_safe_house_for(member, safe_house_id, Need.REVEAL)
    revealed, form = reveal_with_reason(
        request, lambda reason: reveal_safe_house(house, actor=member, reason=reason)
    )
    context = _detail_context(request, house, revealed=revealed, reveal_form=form)
    return render(request, "front/safe_houses/detail.html", context)


def _details(data: dict[str, Any]) -> SafeHouseDetails:
    return SafeHouseDetails(
        codename=data["codename"],
        compartment=data["compartment"],
        city=data["city"].strip(),
        capacity=data["capacity"],
        region=data["region"].strip(),
        address=data["address"],
        access_instructions=data["access_instructions"],
        notes=data["notes"],
    )


@require_http_methods(GET_POST)
def safe_house_create(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    compartments = editable_compartments(member)
    if not compartments.exists() or member.organisation is None:
        raise PermissionDenied
    form = SafeHouseForm(
        posted(request), initial={"compartment": compartments.first()}, compartments=compartments
    )
    if request.method == "POST" and form.is_valid():
        try:
            house = create_safe_house(
                _details(form.cleaned_data), actor=member, organisation=member.organisation
            )
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            messages.success(request, _("The safe house was added."))
            return redirect("safe_house_detail", safe_house_id=house.pk)
    return render(request, "front/safe_houses/form.html", {"form": form, "house": None})


@require_http_methods(GET_POST)
def safe_house_edit(request: HttpRequest, safe_house_id: Any) -> HttpResponse:
    member = current_member(request)
    house = get_safe_house_for(member, safe_house_id, Need.EDIT)
    compartments = Compartment.objects.filter(
        Q(pk__in=editable_compartments(member).values("pk")) | Q(pk=house.compartment_id)
    )
    initial = {name: getattr(house, name) for name in ("codename", "city", "region", "capacity")}
    initial["compartment"] = house.compartment_id
    form = SafeHouseForm(posted(request), initial=initial, compartments=compartments, is_edit=True)
    if request.method == "POST" and form.is_valid():
        try:
            changed = update_safe_house(house, _details(form.cleaned_data), actor=member)
        except ValidationError as error:
            show_action_errors(form, error)
            house.refresh_from_db()
        else:
            if changed:
                messages.success(request, _("The changes were saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("safe_house_detail", safe_house_id=house.pk)
    return render(request, "front/safe_houses/form.html", {"form": form, "house": house})


@require_http_methods(GET_POST)
def safe_house_status(request: HttpRequest, safe_house_id: Any) -> HttpResponse:
    member = current_member(request)
    house = get_safe_house_for(member, safe_house_id, Need.EDIT)
    form = StatusForm(posted(request), current=house.status)
    if request.method == "POST" and form.is_valid():
        try:
            set_safe_house_status(
                house, form.cleaned_data["status"], actor=member, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            messages.success(request, _("The status was changed."))
            return redirect("safe_house_detail", safe_house_id=house.pk)
    context = {"form": form, "house": house, "title": _("Change the status")}
    return render(request, "front/safe_houses/part_form.html", context)
