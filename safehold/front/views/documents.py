"""A person's documents: adding and editing them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from safehold.access.models import Need
from safehold.cases.actions import save_document
from safehold.cases.gatekeepers import get_document_for, get_person_for
from safehold.front.forms.documents import DocumentForm
from safehold.front.helpers import current_member, posted, show_action_errors

GET_POST = ["GET", "HEAD", "POST"]


@require_http_methods(GET_POST)
def document_create(request: HttpRequest, person_id: Any) -> HttpResponse:
    member = current_member(request)
    person = get_person_for(member, person_id, Need.EDIT)
    form = DocumentForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            save_document(person, form.values(is_edit=False), actor=member)
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            messages.success(request, _("The document was added."))
            return redirect("person_detail", person_id=person.pk)
    context = {"form": form, "person": person, "document": None}
    return render(request, "front/documents/form.html", context)


@require_http_methods(GET_POST)
def document_edit(request: HttpRequest, document_id: Any) -> HttpResponse:
    member = current_member(request)
    document = get_document_for(member, document_id, Need.EDIT)
    person = document.person
    initial = {
        name: getattr(document, name)
        for name in ("kind", "country", "status", "issued_on", "expires_on", "deadline")
    }
    form = DocumentForm(posted(request), initial=initial, is_edit=True)
    if request.method == "POST" and form.is_valid():
        try:
            save_document(person, form.values(is_edit=True), actor=member, document=document)
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            messages.success(request, _("The document was saved."))
            return redirect("person_detail", person_id=person.pk)
    context = {"form": form, "person": person, "document": document}
    return render(request, "front/documents/form.html", context)
