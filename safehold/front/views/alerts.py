"""Alerts: the list, one alert with who was told and who could not be reached,
acknowledging, resolving, and raising one by hand for a person.

Who may see an alert is the gatekeeper's decision (whoever may view the person, or was
told about it). Acting on it asks more: acknowledging needs EDIT on the person or a
notification about it; resolving needs EDIT on the person.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from safehold.access.models import Need
from safehold.accounts.models import Member
from safehold.alerts.actions import acknowledge_alert, open_alert, resolve_alert
from safehold.alerts.gatekeepers import alerts_for, get_alert_for
from safehold.alerts.models import (
    Alert,
    AlertKind,
    AlertState,
    Channel,
    DeliveryAttempt,
    Notification,
    NotificationStatus,
)
from safehold.alerts.worker import wake_workers
from safehold.cases.gatekeepers import can, get_person_for, persons_for
from safehold.front.alert_facts import alert_report, kind_label
from safehold.front.forms.alerts import AlertFilterForm, ResolveForm
from safehold.front.helpers import current_member, page_of, show_action_errors
from safehold.front.views.escalation import visible_compartments
from safehold.incidents.actions import may_open_from
from safehold.incidents.gatekeepers import can_manage, incident_of

_STATE_ORDER = Case(
    When(state=AlertState.OPEN, then=Value(0)),
    When(state=AlertState.ACKNOWLEDGED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class SpanWords:
    """The words of `span_text`, translated once for pages that print thousands."""

    under_a_minute: str
    days: str
    hours: str
    minutes: str


def span_words() -> SpanWords:
    return SpanWords(_("under a minute"), _("%(count)s d"), _("%(count)s h"), _("%(count)s min"))


def span_text(delta: datetime.timedelta, words: SpanWords | None = None) -> str:
    """Return a length of time in words, e.g. "2 d 3 h" or "3 h 5 min" (no sign)."""
    words = words or span_words()
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes == 0:
        return words.under_a_minute
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(words.days % {"count": days})
    if hours:
        parts.append(words.hours % {"count": hours})
    if minutes and not days:
        parts.append(words.minutes % {"count": minutes})
    return " ".join(parts)


def failure_label(kind: str) -> str:
    """Return a failure kind recorded by the worker in words."""
    return {
        "bad_url": _("The channel address is wrong"),
        "rejected": _("The receiver refused the message"),
        "refused": _("Nobody answered at the receiver"),
        "unreachable": _("The receiver could not be reached"),
        "timeout": _("No answer in time"),
        "unavailable": _("The receiver is down or busy"),
        "tls": _("The secure connection failed"),
        "failed": _("The delivery failed"),
        "no_channel": _("The member has no channel"),
    }.get(kind, kind)


def _editable_person_ids(member: Member, alerts: list[Alert]) -> set[object]:
    ids = {alert.person_id for alert in alerts}
    return set(persons_for(member, Need.EDIT).filter(pk__in=ids).values_list("pk", flat=True))


@dataclass(frozen=True)
class AlertRow:
    alert: Alert
    kind: str
    age: str


@require_safe
def alert_list(request: HttpRequest) -> HttpResponse:
    """Open alerts first, then acknowledged ones, then the latest resolved."""
    member = current_member(request)
    alerts: QuerySet[Alert] = alerts_for(member).select_related("person")
    form = AlertFilterForm(request.GET or None)
    query = ""
    if form.is_valid() and (state := form.cleaned_data["state"]):
        alerts = alerts.filter(state=state)
        query = f"state={state}"
    alerts = alerts.annotate(state_order=_STATE_ORDER).order_by(
        "state_order", F("resolved_at").desc(nulls_last=True), "-created_at"
    )
    page = page_of(request, alerts)
    listed = list(page.object_list)
    editable = _editable_person_ids(member, listed)
    now = timezone.now()
    rows = [
        AlertRow(a, kind_label(a, may_know=a.person_id in editable), span_text(now - a.created_at))
        for a in listed
    ]
    context = {"form": form, "page": page, "rows": rows, "query": query, "is_filtered": bool(query)}
    return render(request, "front/alerts/list.html", context)


@dataclass(frozen=True)
class NotificationRow:
    notification: Notification
    channel_kind: str
    has_channel: bool
    error: str
    # Not delivered and not on its way: someone was not reached.
    is_problem: bool


def _notification_rows(alert: Alert, member: Member, *, see_all: bool) -> list[NotificationRow]:
    notifications = list(
        Notification.objects.filter(alert=alert, **({} if see_all else {"member": member}))
        .select_related("member")
        .order_by("created_at")
    )
    # Scheme of the channel each notification was last tried on; URLs stay encrypted.
    last_scheme: dict[object, str] = {}
    for notification_id, scheme in (
        DeliveryAttempt.objects.filter(notification__in=notifications)
        .order_by("started_at")
        .values_list("notification_id", "channel__scheme")
    ):
        last_scheme[notification_id] = scheme or ""
    reachable = set(
        Channel.objects.filter(
            member_id__in={n.member_id for n in notifications}, is_active=True
        ).values_list("member_id", flat=True)
    )
    rows = []
    for notification in notifications:
        has_channel = notification.member_id in reachable
        failed = notification.status == NotificationStatus.FAILED
        retrying = notification.status != NotificationStatus.SENT and bool(notification.last_error)
        rows.append(
            NotificationRow(
                notification=notification,
                channel_kind=last_scheme.get(notification.pk, ""),
                has_channel=has_channel,
                error=failure_label(notification.last_error) if notification.last_error else "",
                is_problem=failed or retrying or not has_channel,
            )
        )
    return rows


def _detail(
    request: HttpRequest, alert: Alert, *, resolve_form: ResolveForm | None = None
) -> HttpResponse:
    member = current_member(request)
    person = alert.person
    may_view_person = _may(member, alert, Need.VIEW)
    may_edit = _may(member, alert, Need.EDIT)
    was_notified = alert.notifications.filter(member=member).exists()
    now = timezone.now()
    context: dict[str, Any] = {
        "alert": alert,
        "person": person,
        "kind": kind_label(alert, may_know=may_edit),
        "age": span_text(now - alert.created_at),
        "next_step_in": span_text(alert.next_step_at - now) if alert.next_step_at else "",
        "is_next_step_due": bool(alert.next_step_at and alert.next_step_at <= now),
        "may_view_person": may_view_person,
        "may_see_note": may_view_person,
        "may_ack": alert.is_open and (may_edit or was_notified),
        # A refused resolution (already resolved meanwhile, say) still shows its error.
        "may_resolve": may_edit
        and (alert.state != AlertState.RESOLVED or bool(resolve_form and resolve_form.errors)),
        "sees_all_notifications": may_view_person,
        "notifications": _notification_rows(alert, member, see_all=may_view_person),
        "can_see_policy": person is not None
        and visible_compartments(member).filter(pk=person.compartment_id).exists(),
        "resolve_form": resolve_form or ResolveForm(prefix="resolve"),
        "report": alert_report(alert, member),
        **_incident_context(member, alert, may_edit=may_edit),
    }
    return render(request, "front/alerts/detail.html", context)


def _incident_context(member: Member, alert: Alert, *, may_edit: bool) -> dict[str, Any]:
    incident = incident_of(alert.pk)
    if incident is not None and not can_manage(member, incident, Need.VIEW):
        incident = None
    return {
        "incident": incident,
        "may_open_incident": incident is None and may_edit and may_open_from(alert),
    }


@require_safe
def alert_detail(request: HttpRequest, alert_id: Any) -> HttpResponse:
    alert = get_alert_for(current_member(request), alert_id=alert_id)
    return _detail(request, alert)


def _may(member: Member, alert: Alert, need: Need) -> bool:
    # Incident work about a safe house has no person: only those told may handle it here.
    return alert.person is not None and can(member, alert.person, need)


def _may_ack(member: Member, alert: Alert) -> bool:
    return _may(member, alert, Need.EDIT) or alert.notifications.filter(member=member).exists()


@require_POST
def alert_ack(request: HttpRequest, alert_id: Any) -> HttpResponse:
    """Acknowledge: a human has the alert and the ladder stops."""
    member = current_member(request)
    alert = get_alert_for(member, alert_id=alert_id)
    if not _may_ack(member, alert):
        raise Http404
    if acknowledge_alert(alert, actor=member, via="web"):
        # Workers drop the pending notifications of this alert on their next pass.
        transaction.on_commit(wake_workers)
        messages.success(request, _("You acknowledged the alert. Nobody else will be called."))
    else:
        messages.info(request, _("This alert was already acknowledged or resolved."))
    if request.POST.get("next") == "home":
        # Acknowledged from the dashboard: back there (htmx redraws its live part).
        return redirect("home")
    return redirect("alert_detail", alert_id=alert.pk)


@require_POST
def alert_resolve(request: HttpRequest, alert_id: Any) -> HttpResponse:
    member = current_member(request)
    alert = get_alert_for(member, alert_id=alert_id)
    if not _may(member, alert, Need.EDIT):
        raise Http404
    form = ResolveForm(request.POST, prefix="resolve")
    if form.is_valid():
        data = form.cleaned_data
        try:
            told = resolve_alert(
                alert,
                actor=member,
                resolution=data["resolution"],
                note=data["note"],
                stand_down=data["stand_down"],
                via="web",
            )
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            transaction.on_commit(wake_workers)
            messages.success(request, _resolved_message(told))
            return redirect("alert_detail", alert_id=alert.pk)
    return _detail(request, alert, resolve_form=form)


def _resolved_message(told: int) -> str:
    if not told:
        return _("The alert was resolved.")
    return ngettext(
        "The alert was resolved. %(count)s person will be told to stand down.",
        "The alert was resolved. %(count)s people will be told to stand down.",
        told,
    ) % {"count": told}


@require_POST
def person_raise_alert(request: HttpRequest, person_id: Any) -> HttpResponse:
    """Raise an alert for a person by hand; it climbs the ladder like any other."""
    member = current_member(request)
    person = get_person_for(member, person_id, Need.EDIT)
    alert = open_alert(person, AlertKind.MANUAL, actor=member)
    transaction.on_commit(wake_workers)
    messages.success(
        request,
        _("Alert %(code)s was raised. The escalation ladder has started.") % {"code": alert.code},
    )
    return redirect("alert_detail", alert_id=alert.pk)
