"""Changes to parts of a case: its stage, phones and trusted contacts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from safehold.access.models import Need
from safehold.cases.actions import add_phone, add_trusted_contact, move_stage
from safehold.cases.gatekeepers import get_person_for
from safehold.cases.models import PIPELINE, Person
from safehold.front.forms.persons import MoveStageForm, PhoneForm, TrustedContactForm
from safehold.front.helpers import current_member, posted, show_action_errors

GET_POST = ["GET", "HEAD", "POST"]


def _next_stage(person: Person) -> str:
    if person.stage in PIPELINE and PIPELINE.index(person.stage) + 1 < len(PIPELINE):
        return PIPELINE[PIPELINE.index(person.stage) + 1]
    return ""


@require_http_methods(GET_POST)
def person_move_stage(request: HttpRequest, person_id: Any) -> HttpResponse:
    member = current_member(request)
    person = get_person_for(member, person_id, Need.EDIT)
    form = MoveStageForm(posted(request), initial={"to_stage": _next_stage(person)})
    if request.method == "POST" and form.is_valid():
        try:
            move_stage(
                person,
                form.cleaned_data["to_stage"],
                actor=member,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            messages.success(request, _("The case moved to its new stage."))
            if request.GET.get("next") == "board":
                return redirect("pipeline_board")
            return redirect("person_detail", person_id=person.pk)
    context = {"form": form, "person": person, "title": _("Move to another stage")}
    return render(request, "front/persons/part_form.html", context)


@require_http_methods(GET_POST)
def person_add_phone(request: HttpRequest, person_id: Any) -> HttpResponse:
    member = current_member(request)
    person = get_person_for(member, person_id, Need.EDIT)
    form = PhoneForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            add_phone(
                person, form.cleaned_data["number"], actor=member, label=form.cleaned_data["label"]
            )
        except ValidationError as error:
            show_action_errors(form, error, default_field="number")
        else:
            messages.success(request, _("The phone number was added."))
            return redirect("person_detail", person_id=person.pk)
    context = {"form": form, "person": person, "title": _("Add a phone number")}
    return render(request, "front/persons/part_form.html", context)


@require_http_methods(GET_POST)
def person_add_contact(request: HttpRequest, person_id: Any) -> HttpResponse:
    member = current_member(request)
    person = get_person_for(member, person_id, Need.EDIT)
    form = TrustedContactForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            add_trusted_contact(person, actor=member, **form.cleaned_data)
        except ValidationError as error:
            show_action_errors(form, error, default_field="phone")
        else:
            messages.success(request, _("The trusted contact was added."))
            return redirect("person_detail", person_id=person.pk)
    context = {"form": form, "person": person, "title": _("Add a trusted contact")}
    return render(request, "front/persons/part_form.html", context)
