"""One incident's whole timeline, in order: what the incident itself recorded, and what
happened around it elsewhere in Safehold while it was open.

Read from where each fact already lives (alerts and their notifications, messages
received, stage changes, placements and house status from the audit log, evidence),
so nothing is written twice and nothing can disagree. Every line says who and when;
pages and the dossier show the time in UTC and in the person's own time zone.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from safehold.accounts.models import Member
from safehold.alerts.messages import kind_words
from safehold.alerts.models import Alert, Notification, NotificationStatus, Purpose
from safehold.audit.models import AuditEntry
from safehold.cases.models import Stage, StageChange
from safehold.checkins.models import DEFAULT_TIMEZONE, Schedule
from safehold.inbound.models import Handling, InboundMessage
from safehold.incidents.models import (
    Dispatch,
    EntryKind,
    Incident,
    IncidentAlert,
    IncidentKind,
    IncidentOutcome,
    IncidentState,
    IncidentTask,
    ResponderKind,
    TimelineEntry,
)
from safehold.records.models import EvidenceItem
from safehold.shelters.models import SafeHouse, SafeHouseStatus

# Messages before the incident opened explain it: a panic SMS minutes before, say.
LOOK_BACK = datetime.timedelta(hours=24)


class Source:
    """What kind of fact a line is, for filtering and styling."""

    INCIDENT = "incident"
    ALERT = "alert"
    NOTIFICATION = "notification"
    MESSAGE = "message"
    TASK = "task"
    NOTE = "note"
    DISPATCH = "dispatch"
    STAGE = "stage"
    PLACEMENT = "placement"
    EVIDENCE = "evidence"


@dataclass(frozen=True)
class Event:
    at: datetime.datetime  # aware, UTC
    source: str
    label: str
    actor: str  # "" for Safehold itself or an unknown sender
    text: str


def local_zone(incident: Incident) -> str:
    """Return the person's check-in time zone, else the default one."""
    if incident.person_id is not None:
        zone = (
            Schedule.objects.filter(person_id=incident.person_id)
            .values_list("timezone", flat=True)
            .first()
        )
        if zone:
            return zone
    return DEFAULT_TIMEZONE


class _Names:
    """Member labels by id, read once per timeline."""

    def __init__(self) -> None:
        self._labels: dict[uuid.UUID, str] = {}

    def load(self, ids: Iterable[uuid.UUID | None]) -> None:
        wanted = {i for i in ids if i is not None and i not in self._labels}
        for member in Member.objects.filter(pk__in=wanted):
            self._labels[member.pk] = str(member.label)

    def __call__(self, member_id: uuid.UUID | str | None) -> str:
        if member_id is None:
            return ""
        key = member_id if isinstance(member_id, uuid.UUID) else uuid.UUID(str(member_id))
        return self._labels.get(key, _("a former member"))


def incident_timeline(
    incident: Incident, *, language: str = "en", now: datetime.datetime | None = None
) -> list[Event]:
    """Return every line of the incident's timeline in time order.

    Note texts and messages received are included: call this only for members who
    manage the incident.
    """
    now = now or timezone.now()
    end = incident.closed_at or now
    alerts = _alerts_of(incident)
    start = min([incident.opened_at, *(a.created_at for a in alerts)]) - LOOK_BACK
    entries = list(TimelineEntry.objects.filter(incident=incident))
    notifications = list(
        Notification.objects.filter(alert__in=alerts)
        .exclude(status__in=[NotificationStatus.PENDING, NotificationStatus.CANCELLED])
        .exclude(status=NotificationStatus.SENDING)
        .select_related("alert")
    )
    dispatches = {str(d.pk): d for d in Dispatch.objects.filter(incident=incident)}
    names = _Names()
    names.load(
        [e.actor_id for e in entries]
        + [n.member_id for n in notifications]
        + [a.acknowledged_by_id for a in alerts]
        + [a.resolved_by_id for a in alerts]
        + [d.responder_id for d in dispatches.values()]
    )
    events: list[Event] = []
    events += _own_entries(incident, entries, dispatches, names, language)
    events += _alert_events(alerts, notifications, names)
    if incident.person_id is not None:
        events += _messages(incident.person_id, start, end)
        events += _stage_changes(incident.person_id, start, end, names)
    events += _places(incident, start, end, names)
    events += _evidence(incident, names)
    events.sort(key=lambda event: event.at)
    return events


def _alerts_of(incident: Incident) -> list[Alert]:
    linked = IncidentAlert.objects.filter(incident=incident).values("alert_id")
    overdue = IncidentTask.objects.filter(incident=incident).values("overdue_alert_id")
    requested = Dispatch.objects.filter(incident=incident).values("alert_id")
    return list(
        Alert.objects.filter(Q(pk__in=linked) | Q(pk__in=overdue) | Q(pk__in=requested)).order_by(
            "created_at"
        )
    )


def _task_title(task: IncidentTask | None, language: str) -> str:
    if task is None:
        return _("a task")
    return task.title_in(language)


def _dispatch_text(event: str, kind: str, responder: str) -> str:
    words = {"kind": ResponderKind(kind).label if kind else "", "who": responder}
    texts = {
        "offered": _("%(who)s asked to go (%(kind)s)"),
        "accepted": _("%(who)s accepted and is on the way"),
        "declined": _("%(who)s declined"),
        "timed_out": _("%(who)s did not answer in time"),
        "withdrawn": _("The request to %(who)s was withdrawn"),
        "on_site": _("%(who)s is on site"),
        "nobody_left": _("No responder left to ask (%(kind)s); the lead was alerted"),
    }
    return texts.get(event, event) % words


def _own_entries(
    incident: Incident,
    entries: list[TimelineEntry],
    dispatches: dict[str, Dispatch],
    names: _Names,
    language: str,
) -> list[Event]:
    tasks = {str(t.pk): t for t in IncidentTask.objects.filter(incident=incident)}
    events = []
    for entry in entries:
        facts = entry.facts
        text = ""
        source = Source.INCIDENT
        if entry.kind == EntryKind.OPENED:
            text = _("Incident opened: %(kind)s") % {"kind": IncidentKind(facts["kind"]).label}
        elif entry.kind == EntryKind.ALERT:
            source = Source.ALERT
            text = _("Alert %(code)s: %(kind)s") % {
                "code": facts.get("alert", ""),
                "kind": kind_words(facts.get("kind", "")),
            }
        elif entry.kind == EntryKind.STATE:
            text = _("State: %(from)s → %(to)s") % {
                "from": IncidentState(facts["from"]).label,
                "to": IncidentState(facts["to"]).label,
            }
        elif entry.kind in (EntryKind.TASK_DONE, EntryKind.TASK_OVERDUE):
            source = Source.TASK
            title = _task_title(tasks.get(facts.get("task", "")), language)
            text = (
                _("Done: %(task)s") if entry.kind == EntryKind.TASK_DONE else _("Overdue: %(task)s")
            ) % {"task": title}
        elif entry.kind in (EntryKind.NOTE, EntryKind.CALL):
            source = Source.NOTE
            text = str(entry.text or "")
        elif entry.kind == EntryKind.DISPATCH:
            source = Source.DISPATCH
            dispatch = dispatches.get(facts.get("dispatch", ""))
            responder = names(dispatch.responder_id) if dispatch else ""
            kind = dispatch.kind if dispatch else facts.get("kind", "")
            text = _dispatch_text(facts.get("event", ""), kind, responder)
        elif entry.kind == EntryKind.ADDRESS_REVEALED:
            source = Source.DISPATCH
            text = _("Saw the last known address for this incident")
        elif entry.kind == EntryKind.CLOSED:
            text = _("Closed: %(outcome)s") % {"outcome": IncidentOutcome(facts["outcome"]).label}
        events.append(
            Event(entry.at, source, str(EntryKind(entry.kind).label), names(entry.actor_id), text)
        )
    return events


def _alert_events(
    alerts: list[Alert], notifications: list[Notification], names: _Names
) -> list[Event]:
    events = []
    label = str(_("Notification"))
    for notification in notifications:
        words = {"code": notification.alert.code, "who": names(notification.member_id)}
        if notification.status == NotificationStatus.FAILED:
            text = _("Could not reach %(who)s about %(code)s") % words
            at = notification.created_at
        elif notification.purpose == Purpose.STAND_DOWN:
            text = _("Told %(who)s that %(code)s is settled") % words
            at = notification.sent_at or notification.created_at
        else:
            text = _("Told %(who)s about %(code)s") % words
            at = notification.sent_at or notification.created_at
        events.append(Event(at, Source.NOTIFICATION, label, "", text))
    for alert in alerts:
        if alert.acknowledged_at is not None:
            events.append(
                Event(
                    alert.acknowledged_at,
                    Source.ALERT,
                    str(_("Acknowledged")),
                    names(alert.acknowledged_by_id),
                    _("Acknowledged %(code)s") % {"code": alert.code},
                )
            )
        if alert.resolved_at is not None:
            events.append(
                Event(
                    alert.resolved_at,
                    Source.ALERT,
                    str(_("Resolved")),
                    names(alert.resolved_by_id),
                    _("%(code)s resolved: %(how)s")
                    % {"code": alert.code, "how": alert.get_resolution_display()},
                )
            )
    return events


def _messages(
    person_id: uuid.UUID, start: datetime.datetime, end: datetime.datetime
) -> list[Event]:
    # Check-ins are not messages here: their text held a PIN and was never kept.
    received = InboundMessage.objects.filter(
        person_id=person_id,
        received_at__gte=start,
        received_at__lte=end,
        handling__in=[Handling.PANIC, Handling.INTAKE],
    ).select_related("gateway")
    return [
        Event(
            message.received_at,
            Source.MESSAGE,
            str(_("Message received")),
            "",
            _("By %(channel)s: %(text)s")
            % {"channel": message.gateway.get_kind_display(), "text": message.text or "—"},
        )
        for message in received
    ]


def _stage_changes(
    person_id: uuid.UUID, start: datetime.datetime, end: datetime.datetime, names: _Names
) -> list[Event]:
    changes = list(StageChange.objects.filter(person_id=person_id, at__gte=start, at__lte=end))
    names.load(change.actor_id for change in changes)
    return [
        Event(
            change.at,
            Source.STAGE,
            str(_("Stage changed")),
            names(change.actor_id),
            _("Stage: %(from)s → %(to)s")
            % {
                "from": Stage(change.from_stage).label if change.from_stage else "—",
                "to": Stage(change.to_stage).label,
            },
        )
        for change in changes
    ]


def _places(
    incident: Incident, start: datetime.datetime, end: datetime.datetime, names: _Names
) -> list[Event]:
    """Placements of the person and status changes of the house, from the audit log."""
    subjects = [str(i) for i in (incident.person_id, incident.safe_house_id) if i is not None]
    entries = list(
        AuditEntry.objects.filter(
            object_id__in=subjects,
            at__gte=start,
            at__lte=end,
            action__in=["placement.created", "placement.ended", "safe_house.status_changed"],
        ).order_by("seq")
    )
    names.load(uuid.UUID(str(entry.actor_id)) if entry.actor_id else None for entry in entries)
    house_ids = {entry.details.get("safe_house") for entry in entries}
    houses = dict(
        SafeHouse.objects.filter(pk__in=[h for h in house_ids if h]).values_list("pk", "codename")
    )
    if incident.safe_house is not None:
        houses[incident.safe_house.pk] = incident.safe_house.codename
    events = []
    for entry in entries:
        details = entry.details
        if entry.action == "safe_house.status_changed":
            text = _("%(house)s marked %(status)s") % {
                "house": houses.get(uuid.UUID(entry.object_id), "—"),
                "status": SafeHouseStatus(details["to"]).label,
            }
        else:
            house = houses.get(uuid.UUID(details["safe_house"]), "—")
            text = (
                _("Placed in %(house)s")
                if entry.action == "placement.created"
                else _("Stay in %(house)s ends")
            ) % {"house": house}
        events.append(
            Event(entry.at, Source.PLACEMENT, str(_("Placement")), names(entry.actor_id), text)
        )
    return events


def _evidence(incident: Incident, names: _Names) -> list[Event]:
    items = list(EvidenceItem.objects.filter(incident=incident).order_by("added_at"))
    names.load(item.added_by_id for item in items)
    return [
        Event(
            item.added_at,
            Source.EVIDENCE,
            str(_("Evidence")),
            names(item.added_by_id),
            _("Evidence %(number)s added (SHA-256 %(hash)s…)")
            % {"number": number, "hash": item.sha256[:12]},
        )
        for number, item in enumerate(items, start=1)
    ]
