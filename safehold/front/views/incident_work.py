"""Work on an incident beyond its page: sending a responder, the responder's own page,
evidence in and out, and the dossier export."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from safehold.access.models import Need
from safehold.accounts.models import Member
from safehold.alerts.worker import wake_workers
from safehold.front.forms.incidents import DispatchForm, EvidenceForm, ExportForm
from safehold.front.helpers import current_member
from safehold.front.views.incidents import editable_incident, incident_page
from safehold.incidents.dispatch import (
    accept_dispatch,
    decline_dispatch,
    dispatch_responder,
    mark_on_site,
    reveal_place_for_dispatch,
)
from safehold.incidents.gatekeepers import get_dispatch_for, get_incident_for
from safehold.incidents.models import Dispatch, DispatchState, IncidentState
from safehold.records.evidence import (
    EvidenceTampered,
    add_evidence_note,
    add_file,
    file_too_large_message,
    open_item,
    verify_item,
)
from safehold.records.export import RequestDetails, export_incident
from safehold.records.models import EvidenceItem

GET_POST = ["GET", "HEAD", "POST"]


@require_POST
def incident_dispatch(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """Ask the chosen (or the closest available) responder to go."""
    incident = editable_incident(request, incident_id)
    member = current_member(request)
    form = DispatchForm(request.POST, prefix="dispatch")
    if form.is_valid():
        data = form.cleaned_data
        responder = None
        if data["responder"]:
            responder = Member.objects.filter(
                pk=data["responder"], organisation=member.organisation
            ).first()
        try:
            dispatch = dispatch_responder(
                incident,
                actor=member,
                kind=data["kind"],
                responder=responder,
                timeout=datetime.timedelta(minutes=data["timeout_minutes"]),
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            transaction.on_commit(wake_workers)
            if dispatch is None:
                messages.warning(request, _("Nobody is available; you were alerted."))
            else:
                messages.success(
                    request,
                    _("%(who)s was asked to go.") % {"who": dispatch.responder.label},
                )
            return redirect("incident_detail", incident_id=incident.pk)
    return incident_page(request, incident, dispatch_form=form)


@require_POST
def incident_on_site(request: HttpRequest, incident_id: Any, dispatch_id: Any) -> HttpResponse:
    """A coordinator records what the responder told them by phone: they are there."""
    incident = editable_incident(request, incident_id)
    try:
        dispatch = Dispatch.objects.get(pk=dispatch_id, incident=incident)
        mark_on_site(dispatch, actor=current_member(request), lead_may=True)
    except (Dispatch.DoesNotExist, ValueError) as missing:
        raise Http404 from missing
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("incident_detail", incident_id=incident.pk)


@require_http_methods(GET_POST)
def dispatch_page(request: HttpRequest, dispatch_id: Any) -> HttpResponse:
    """The responder's page for one request: accept or decline, then the address, the
    lawyer's tasks and "I am on site". Only the responder it was sent to reaches it."""
    member = current_member(request)
    dispatch = get_dispatch_for(member, dispatch_id)
    revealed = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "accept":
                accept_dispatch(dispatch, actor=member)
                messages.success(request, _("Thank you. The coordinators know you are going."))
            elif action == "decline":
                decline_dispatch(dispatch, actor=member)
                transaction.on_commit(wake_workers)
                messages.info(request, _("Declined. The next responder is being asked."))
                return redirect("home")
            elif action == "on_site":
                mark_on_site(dispatch, actor=member)
                messages.success(request, _("Recorded: you are on site."))
            elif action == "address":
                revealed = reveal_place_for_dispatch(dispatch, actor=member)
            else:
                raise Http404
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        if action != "address":
            return redirect("dispatch_page", dispatch_id=dispatch.pk)
    incident = dispatch.incident
    context = {
        "dispatch": dispatch,
        "incident": incident,
        "revealed": revealed,
        "is_offered": dispatch.state == DispatchState.OFFERED,
        "is_accepted": dispatch.state == DispatchState.ACCEPTED,
        "is_open": incident.state != IncidentState.CLOSED,
    }
    return render(request, "front/incidents/dispatch.html", context)


@require_POST
def incident_evidence_add(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = editable_incident(request, incident_id)
    form = EvidenceForm(request.POST, request.FILES, prefix="evidence")
    if _is_over_upload_limit(request):
        # The upload handler dropped the file; say why rather than "add a file".
        form.add_error("file", file_too_large_message())
    elif form.is_valid():
        data, member = form.cleaned_data, current_member(request)
        try:
            if data["file"]:
                add_file(
                    incident,
                    actor=member,
                    name=data["file"].name or "",
                    data=data["file"].read(),
                    description=data["description"],
                )
            else:
                add_evidence_note(incident, actor=member, text=data["text"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error("file" if data["file"] else "text", message)
        else:
            messages.success(request, _("The evidence was added and its hash recorded."))
            return redirect("incident_detail", incident_id=incident.pk)
    return incident_page(request, incident, evidence_form=form)


def _is_over_upload_limit(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.FILE_UPLOAD_MAX_MEMORY_SIZE


def _item(request: HttpRequest, incident_id: Any, item_id: Any) -> EvidenceItem:
    incident = get_incident_for(current_member(request), incident_id, Need.VIEW)
    try:
        return EvidenceItem.objects.get(pk=item_id, incident=incident)
    except (EvidenceItem.DoesNotExist, ValueError) as missing:
        raise Http404 from missing


@require_POST
def incident_evidence_download(
    request: HttpRequest, incident_id: Any, item_id: Any
) -> HttpResponse:
    """Hand over the file as an attachment, after checking it; a POST, because every
    download is a chain-of-custody entry."""
    item = _item(request, incident_id, item_id)
    try:
        opened = open_item(item, actor=current_member(request), purpose="downloaded")
    except EvidenceTampered:
        messages.error(
            request, _("This evidence was altered after it arrived. It will not be served.")
        )
        return redirect("incident_detail", incident_id=item.incident_id)
    response = HttpResponse(opened.data, content_type=item.content_type)
    # Attachment always: an uploaded file never renders in Safehold's own origin.
    response["Content-Disposition"] = f"attachment; filename=evidence-{item.pk.hex[:8]}"
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def incident_evidence_verify(request: HttpRequest, incident_id: Any, item_id: Any) -> HttpResponse:
    item = _item(request, incident_id, item_id)
    if verify_item(item, actor=current_member(request)):
        messages.success(request, _("Intact: the content matches the hash taken on arrival."))
    else:
        messages.error(request, _("Altered: the content no longer matches its hash."))
    return redirect("incident_detail", incident_id=item.incident_id)


@require_POST
def incident_export(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """Download the dossier; the export is audited and enters every item's custody."""
    member = current_member(request)
    incident = get_incident_for(member, incident_id, Need.VIEW)
    form = ExportForm(request.POST, prefix="export")
    if not form.is_valid():
        for message in ValidationError(form.errors).messages:
            messages.error(request, message)
        return redirect("incident_detail", incident_id=incident.pk)
    data = form.cleaned_data
    export = export_incident(
        incident,
        exporter=member,
        file_format=data["file_format"],
        language=data["language"],
        details=RequestDetails(
            respondent_state=data["respondent_state"],
            is_removal=bool(data["removal_destination"]),
            removal_date=data["removal_date"],
            removal_time=data["removal_time"],
            removal_destination=data["removal_destination"],
        ),
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f"attachment; filename={export.file_name}"
    response["Cache-Control"] = "no-store"
    return response
