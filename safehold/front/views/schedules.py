"""A person's check-ins: the schedule's state, recent check-ins, and the coordinator's
controls (schedule, PINs, personal link and its disguise, pause, heightened mode).

Every change is a POST to its own URL and answers with a redirect back to the page,
except issuing a link: its token is shown in that one response and nowhere else.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST, require_safe

from safehold.access.models import Need
from safehold.accounts.models import Member
from safehold.alerts.gatekeepers import alerts_for
from safehold.alerts.models import AlertState
from safehold.cases.gatekeepers import can, get_person_for
from safehold.cases.models import Person
from safehold.checkins.actions import (
    issue_link,
    pause,
    resume,
    set_disguise,
    set_heightened,
    set_pins,
    set_schedule,
)
from safehold.checkins.disguises import DisguiseKind, PageLanguage, disguise_for
from safehold.checkins.models import DEFAULT_TIMEZONE, Checkin, CheckinSecret, Outcome, Schedule
from safehold.checkins.schedule_math import ScheduleState
from safehold.front.alert_facts import kind_label
from safehold.front.forms.checkins import (
    DisguiseForm,
    HeightenedForm,
    NoFieldsForm,
    PauseForm,
    PinsForm,
    ScheduleForm,
)
from safehold.front.helpers import current_member, show_action_errors
from safehold.front.views.alerts import span_text

RECENT_CHECKINS = 20
PIN_FIELDS = ("pins-pin", "pins-duress_pin")


@dataclass(frozen=True)
class CheckinRow:
    at: datetime.datetime
    channel: str
    outcome: str
    # A duress or wrong-PIN row, highlighted for those who may see what it was.
    is_flagged: bool


def _checkin_rows(person: Person, *, can_edit: bool) -> list[CheckinRow]:
    """Return the latest check-ins; without EDIT every outcome reads as a check-in.

    A viewer's screen may be seen by others; who pressed the duress PIN is known to
    those who act on it.
    """
    rows = []
    for checkin in Checkin.objects.filter(person=person).order_by("-at")[:RECENT_CHECKINS]:
        flagged = checkin.outcome != Outcome.OK
        rows.append(
            CheckinRow(
                at=checkin.at,
                channel=checkin.get_channel_display(),
                outcome=checkin.get_outcome_display() if can_edit else _("Check-in"),
                is_flagged=flagged and can_edit,
            )
        )
    return rows


@dataclass(frozen=True)
class ScheduleView:
    """What the page says about a schedule at one moment."""

    schedule: Schedule
    state: str
    state_label: str
    is_paused: bool
    # Time to the next deadline (or since it passed), in words.
    remaining: str
    is_past_deadline: bool


def _schedule_view(schedule: Schedule, now: datetime.datetime) -> ScheduleView:
    state = schedule.state_at(now)
    return ScheduleView(
        schedule=schedule,
        state=str(state),
        state_label=str(ScheduleState(state).label),
        is_paused=state == ScheduleState.PAUSED,
        remaining=span_text(schedule.next_deadline - now),
        is_past_deadline=schedule.next_deadline <= now,
    )


def _schedule_initial(schedule: Schedule | None) -> dict[str, Any]:
    if schedule is None:
        return {}
    return {
        "kind": schedule.kind,
        "interval_minutes": schedule.interval_minutes,
        "daily_times": ", ".join(schedule.daily_times),
        "timezone": schedule.timezone,
        "grace_minutes": schedule.grace_minutes,
    }


def _page(
    request: HttpRequest,
    person: Person,
    *,
    new_link: str = "",
    replaced_link: bool = False,
    **bound: forms.Form,
) -> HttpResponse:
    """Render the check-ins page; `bound` forms (with their errors) replace fresh ones."""
    member = current_member(request)
    now = timezone.now()
    can_edit = can(member, person, Need.EDIT)
    schedule = Schedule.objects.filter(person=person).first()
    secret = CheckinSecret.objects.filter(person=person).first()
    zone = schedule.timezone if schedule else DEFAULT_TIMEZONE
    heightened_initial = {
        "mode": "on" if schedule and schedule.is_heightened else "off",
        "interval_minutes": schedule.heightened_interval_minutes if schedule else None,
    }
    page_forms: dict[str, forms.Form] = {
        "schedule_form": ScheduleForm(initial=_schedule_initial(schedule), prefix="schedule"),
        "pins_form": PinsForm(prefix="pins"),
        "pause_form": PauseForm(prefix="pause", zone=zone),
        "heightened_form": HeightenedForm(initial=heightened_initial, prefix="heightened"),
        "link_form": NoFieldsForm(prefix="link"),
        "disguise_form": DisguiseForm(initial=_disguise_initial(secret), prefix="disguise"),
        "resume_form": NoFieldsForm(prefix="resume"),
    }
    page_forms.update({f"{name}_form": form for name, form in bound.items()})
    context = {
        "person": person,
        "can_edit": can_edit,
        "now": now,
        "zone": zone,
        "view": _schedule_view(schedule, now) if schedule else None,
        "has_pins": bool(secret and secret.pin_digest),
        "has_link": bool(secret and secret.link_index),
        "disguise": disguise_for(secret.disguise if secret else ""),
        "wrong_pins_in_a_row": secret.failures if secret and can_edit else 0,
        "checkins": _checkin_rows(person, can_edit=can_edit),
        "open_alerts": [
            (alert, kind_label(alert, may_know=can_edit))
            for alert in alerts_for(member)
            .filter(person=person)
            .exclude(state=AlertState.RESOLVED)
            .order_by("-created_at")
        ],
        "new_link": new_link,
        "replaced_link": replaced_link,
        **page_forms,
    }
    return render(request, "front/checkins/person.html", context)


def _disguise_initial(secret: CheckinSecret | None) -> dict[str, str]:
    if secret is None:
        return {"disguise": DisguiseKind.NOTES, "page_language": PageLanguage.BROWSER}
    return {"disguise": secret.disguise, "page_language": secret.page_language}


def _done(request: HttpRequest, person: Person, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("person_checkins", person_id=person.pk)


def _editable_person(request: HttpRequest, person_id: Any) -> tuple[Member, Person]:
    member = current_member(request)
    return member, get_person_for(member, person_id, Need.EDIT)


@require_safe
def person_checkins(request: HttpRequest, person_id: Any) -> HttpResponse:
    person = get_person_for(current_member(request), person_id, Need.VIEW)
    return _page(request, person)


@require_POST
def person_checkins_schedule(request: HttpRequest, person_id: Any) -> HttpResponse:
    member, person = _editable_person(request, person_id)
    form = ScheduleForm(request.POST, prefix="schedule")
    if form.is_valid():
        data = form.cleaned_data
        try:
            set_schedule(
                person,
                actor=member,
                kind=data["kind"],
                interval_minutes=data["interval_minutes"],
                daily_times=data["daily_times"],
                timezone=data["timezone"],
                grace_minutes=data["grace_minutes"],
                now=timezone.now(),
            )
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            return _done(request, person, _("The check-in schedule was saved."))
    return _page(request, person, schedule=form)


@sensitive_variables("form")
@sensitive_post_parameters(*PIN_FIELDS)
@require_POST
def person_checkins_pins(request: HttpRequest, person_id: Any) -> HttpResponse:
    """Set both PINs. They are never shown again, put in a URL or logged."""
    member, person = _editable_person(request, person_id)
    form = PinsForm(request.POST, prefix="pins")
    if form.is_valid():
        try:
            set_pins(
                person,
                actor=member,
                pin=form.cleaned_data["pin"],
                duress_pin=form.cleaned_data["duress_pin"],
            )
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            return _done(
                request,
                person,
                _("The PINs were set. Safehold cannot show them again: tell the person safely."),
            )
    # The PIN inputs never render what was typed (render_value=False): only errors return.
    return _page(request, person, pins=form)


@sensitive_variables("token", "link")
@require_POST
def person_checkins_link(request: HttpRequest, person_id: Any) -> HttpResponse:
    """Issue a new personal check-in link and show it in this response only."""
    member, person = _editable_person(request, person_id)
    replaced = CheckinSecret.objects.filter(person=person, link_index__isnull=False).exists()
    token = issue_link(person, actor=member)
    link = settings.SAFEHOLD_BASE_URL.rstrip("/") + reverse("checkin_page", kwargs={"token": token})
    return _page(request, person, new_link=link, replaced_link=replaced)


@require_POST
def person_checkins_pause(request: HttpRequest, person_id: Any) -> HttpResponse:
    member, person = _editable_person(request, person_id)
    schedule = Schedule.objects.filter(person=person).first()
    zone = schedule.timezone if schedule else DEFAULT_TIMEZONE
    form = PauseForm(request.POST, prefix="pause", zone=zone)
    if form.is_valid():
        try:
            pause(person, actor=member, until=form.cleaned_data["until"], now=timezone.now())
        except ValidationError as error:
            show_action_errors(form, error, default_field="until")
        else:
            return _done(request, person, _("Check-ins are paused."))
    return _page(request, person, pause=form)


@require_POST
def person_checkins_resume(request: HttpRequest, person_id: Any) -> HttpResponse:
    member, person = _editable_person(request, person_id)
    form = NoFieldsForm(request.POST, prefix="resume")
    try:
        resume(person, actor=member, now=timezone.now())
    except ValidationError as error:
        form.is_valid()
        show_action_errors(form, error)
        return _page(request, person, resume=form)
    return _done(request, person, _("Check-ins resumed."))


@require_POST
def person_checkins_heightened(request: HttpRequest, person_id: Any) -> HttpResponse:
    member, person = _editable_person(request, person_id)
    form = HeightenedForm(request.POST, prefix="heightened")
    if form.is_valid():
        try:
            set_heightened(
                person,
                actor=member,
                on=form.is_on(),
                interval_minutes=form.cleaned_data["interval_minutes"],
                now=timezone.now(),
            )
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            message = _("Heightened mode is on.") if form.is_on() else _("Heightened mode is off.")
            return _done(request, person, message)
    return _page(request, person, heightened=form)


@require_POST
def person_checkins_disguise(request: HttpRequest, person_id: Any) -> HttpResponse:
    """Choose the disguise and language of the person's page; the link stays the same."""
    member, person = _editable_person(request, person_id)
    form = DisguiseForm(request.POST, prefix="disguise")
    if form.is_valid():
        try:
            set_disguise(
                person,
                actor=member,
                disguise=form.cleaned_data["disguise"],
                page_language=form.cleaned_data["page_language"],
            )
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            return _done(request, person, _("The personal page's disguise was saved."))
    return _page(request, person, disguise=form)
