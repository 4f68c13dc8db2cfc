"""Placing a person in a safe house and ending the stay."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from safehold.access.models import Need
from safehold.cases.gatekeepers import persons_for
from safehold.front.forms.safe_houses import EndPlacementForm, PlacementForm
from safehold.front.helpers import current_member, posted, show_action_errors
from safehold.shelters.actions import end_placement, place_person
from safehold.shelters.gatekeepers import get_safe_house_for
from safehold.shelters.models import Placement

GET_POST = ["GET", "HEAD", "POST"]


@require_http_methods(GET_POST)
def placement_create(request: HttpRequest, safe_house_id: Any) -> HttpResponse:
    """Place a person in a house; both the person and the house must be editable."""
    member = current_member(request)
    house = get_safe_house_for(member, safe_house_id, Need.EDIT)
    form = PlacementForm(posted(request), persons=persons_for(member, Need.EDIT))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            place_person(
                data["person"],
                house,
                actor=member,
                start_date=data["start_date"],
                end_date=data["end_date"],
            )
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            messages.success(request, _("The person was placed."))
            return redirect("safe_house_detail", safe_house_id=house.pk)
    context = {"form": form, "house": house, "title": _("Place a person here")}
    return render(request, "front/safe_houses/part_form.html", context)


@require_http_methods(GET_POST)
def placement_end(request: HttpRequest, safe_house_id: Any, placement_id: Any) -> HttpResponse:
    """End a stay; whoever may edit the house may end stays in it (a burned house empties)."""
    member = current_member(request)
    house = get_safe_house_for(member, safe_house_id, Need.EDIT)
    try:
        placement = house.placements.select_related("person", "safe_house").get(pk=placement_id)
    except Placement.DoesNotExist as missing:
        raise Http404 from missing
    form = EndPlacementForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            end_placement(placement, actor=member, end_date=form.cleaned_data["end_date"])
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            messages.success(request, _("The stay was ended."))
            return redirect("safe_house_detail", safe_house_id=house.pk)
    context = {
        "form": form,
        "house": house,
        "title": _("End a stay"),
        "placement": placement,
        "is_person_visible": persons_for(member, Need.VIEW).filter(pk=placement.person_id).exists(),
    }
    return render(request, "front/safe_houses/part_form.html", context)
