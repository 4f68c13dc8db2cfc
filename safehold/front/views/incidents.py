"""Incidents: the list, opening one, and the incident page with its tasks, dispatch,
evidence and timeline; moving, closing and the statistics.

Coordinators who may see the person (or the house) manage the incident; editing needs
the same right as editing the case. Responders reach an incident through their own
dispatch page only (see incident_work).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from safehold.access.models import Need
from safehold.alerts.gatekeepers import get_alert_for
from safehold.alerts.worker import wake_workers
from safehold.cases.gatekeepers import can as can_person
from safehold.cases.gatekeepers import persons_for
from safehold.front.forms.incidents import (
    CloseForm,
    DispatchForm,
    EvidenceForm,
    ExportForm,
    MoveForm,
    NoteForm,
    OpenIncidentForm,
)
from safehold.front.helpers import current_member, page_of, posted, show_action_errors
from safehold.incidents.actions import (
    add_note,
    close_incident,
    complete_task,
    move_incident,
    open_from_alert,
    open_incident,
)
from safehold.incidents.dispatch import last_known_place, propose_responders
from safehold.incidents.gatekeepers import can_manage, get_incident_for, incidents_for
from safehold.incidents.models import (
    Dispatch,
    Incident,
    IncidentState,
    IncidentTask,
    ResponderKind,
)
from safehold.incidents.stats import summarise
from safehold.records.models import EvidenceItem
from safehold.records.timeline import Event, incident_timeline, local_zone
from safehold.shelters.gatekeepers import safe_houses_for

GET_POST = ["GET", "HEAD", "POST"]


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    open_tasks: int
    overdue_tasks: int


@require_safe
def incident_list(request: HttpRequest) -> HttpResponse:
    """Open incidents first, newest first; then the closed ones."""
    member = current_member(request)
    show_closed = request.GET.get("closed") == "1"
    incidents = incidents_for(member, Need.VIEW).select_related("person", "safe_house", "lead")
    if not show_closed:
        incidents = incidents.exclude(state=IncidentState.CLOSED)
    page = page_of(request, incidents.order_by("-opened_at"))
    listed = list(page.object_list)
    now = timezone.now()
    tasks = IncidentTask.objects.filter(incident__in=listed, done_at__isnull=True)
    open_by: dict[object, int] = {}
    overdue_by: dict[object, int] = {}
    for incident_id, due_at in tasks.values_list("incident_id", "due_at"):
        open_by[incident_id] = open_by.get(incident_id, 0) + 1
        if due_at is not None and due_at <= now:
            overdue_by[incident_id] = overdue_by.get(incident_id, 0) + 1
    rows = [IncidentRow(i, open_by.get(i.pk, 0), overdue_by.get(i.pk, 0)) for i in listed]
    context = {
        "page": page,
        "rows": rows,
        "show_closed": show_closed,
        "section": "incidents",
        "can_open": persons_for(member, Need.EDIT).exists(),
    }
    return render(request, "front/incidents/list.html", context)


@require_http_methods(GET_POST)
def incident_create(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    form = OpenIncidentForm(
        posted(request),
        persons=persons_for(member, Need.EDIT),
        safe_houses=safe_houses_for(member, Need.EDIT),
        initial={"person": request.GET.get("person")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = open_incident(
                kind=data["kind"],
                actor=member,
                person=data["person"],
                safe_house=data["safe_house"],
            )
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            transaction.on_commit(wake_workers)
            messages.success(request, _("The incident is open. Its tasks are below."))
            return redirect("incident_detail", incident_id=incident.pk)
    return render(request, "front/incidents/new.html", {"form": form, "section": "incidents"})


@require_POST
def incident_from_alert(request: HttpRequest, alert_id: Any) -> HttpResponse:
    """Open (or find) the incident of an alert the member may edit."""
    member = current_member(request)
    alert = get_alert_for(member, alert_id=alert_id)
    if alert.person is None or not can_person(member, alert.person, Need.EDIT):
        raise Http404
    try:
        incident = open_from_alert(alert, actor=member)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("alert_detail", alert_id=alert.pk)
    transaction.on_commit(wake_workers)
    return redirect("incident_detail", incident_id=incident.pk)


@dataclass(frozen=True)
class TimelineRow:
    event: Event
    local: Any


def _proposal_kind(asked: str | None) -> str:
    return asked if asked in ResponderKind.values else ResponderKind.LAWYER


def incident_page(request: HttpRequest, incident: Incident, **forms: Any) -> HttpResponse:
    """Render the incident page; `forms` replaces a blank form by one with errors."""
    member = current_member(request)
    is_open = incident.state != IncidentState.CLOSED
    may_edit = is_open and can_manage(member, incident, Need.EDIT)
    language = translation.get_language() or "en"
    now = timezone.now()
    zone = local_zone(incident)
    proposal_kind = _proposal_kind(forms.get("proposal_kind"))
    context = {
        "incident": incident,
        "section": "incidents",
        "may_edit": may_edit,
        "is_open": is_open,
        "tasks": [
            (
                task,
                task.title_in(language),
                task.done_at is None and task.due_at is not None and task.due_at <= now,
            )
            for task in incident.tasks.select_related("owner").order_by("position")
        ],
        "dispatches": Dispatch.objects.filter(incident=incident)
        .select_related("responder")
        .order_by("-offered_at"),
        "proposals": propose_responders(incident, proposal_kind) if may_edit else [],
        "proposal_kind": proposal_kind,
        "place": last_known_place(incident),
        "alerts": [
            link.alert for link in incident.alert_links.select_related("alert").order_by("pk")
        ],
        "evidence": EvidenceItem.objects.filter(incident=incident).order_by("added_at"),
        "timeline": [
            TimelineRow(event, event.at.astimezone(zoneinfo.ZoneInfo(zone)))
            for event in incident_timeline(incident, language=language, now=now)
        ],
        "zone": zone,
        "note_form": forms.get("note_form") or NoteForm(prefix="note"),
        "move_form": forms.get("move_form") or MoveForm(prefix="move"),
        "close_form": forms.get("close_form") or CloseForm(prefix="close"),
        "dispatch_form": forms.get("dispatch_form") or DispatchForm(prefix="dispatch"),
        "evidence_form": forms.get("evidence_form") or EvidenceForm(prefix="evidence"),
        "export_form": ExportForm(
            prefix="export", initial={"language": language, "respondent_state": "RU"}
        ),
    }
    return render(request, "front/incidents/detail.html", context)


@require_safe
def incident_detail(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = get_incident_for(current_member(request), incident_id, Need.VIEW)
    return incident_page(request, incident, proposal_kind=request.GET.get("kind"))


def editable_incident(request: HttpRequest, incident_id: Any) -> Incident:
    """Return the incident if the signed-in member may change it, else Http404."""
    return get_incident_for(current_member(request), incident_id, Need.EDIT)


def _submit(
    request: HttpRequest,
    incident: Incident,
    form: forms.Form,
    act: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Run one action with a valid form and go back to the incident; else show the page
    with the form's errors in place."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            transaction.on_commit(wake_workers)
            messages.success(request, done)
            return redirect("incident_detail", incident_id=incident.pk)
    return incident_page(request, incident, **{f"{form.prefix}_form": form})


@require_POST
def incident_note(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = editable_incident(request, incident_id)
    member = current_member(request)
    return _submit(
        request,
        incident,
        NoteForm(request.POST, prefix="note"),
        lambda data: add_note(incident, data["text"], actor=member, is_call=data["is_call"]),
        _("Added to the timeline."),
    )


@require_POST
def incident_move(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = editable_incident(request, incident_id)
    member = current_member(request)
    return _submit(
        request,
        incident,
        MoveForm(request.POST, prefix="move"),
        lambda data: move_incident(incident, data["state"], actor=member),
        _("The incident's state was changed."),
    )


@require_POST
def incident_close(request: HttpRequest, incident_id: Any) -> HttpResponse:
    incident = editable_incident(request, incident_id)
    member = current_member(request)
    return _submit(
        request,
        incident,
        CloseForm(request.POST, prefix="close"),
        lambda data: close_incident(
            incident, actor=member, outcome=data["outcome"], debrief=data["debrief"]
        ),
        _("The incident is closed."),
    )


@require_POST
def incident_task_done(request: HttpRequest, incident_id: Any, task_id: Any) -> HttpResponse:
    incident = editable_incident(request, incident_id)
    if incident.state == IncidentState.CLOSED:
        raise Http404
    try:
        task = incident.tasks.get(pk=task_id)
    except (IncidentTask.DoesNotExist, ValueError) as missing:
        raise Http404 from missing
    if complete_task(task, actor=current_member(request)):
        transaction.on_commit(wake_workers)
        messages.success(request, _("Task done."))
    else:
        messages.info(request, _("This task was already done."))
    return redirect("incident_detail", incident_id=incident.pk)


@require_safe
def incident_stats(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    summary = summarise(incidents_for(member, Need.VIEW))
    return render(
        request, "front/incidents/stats.html", {"summary": summary, "section": "incidents"}
    )
