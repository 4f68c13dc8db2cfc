"""What the dashboard shows: is everyone in my compartments safe, and what waits for me.

Everything here is read in a fixed number of queries, whatever the number of persons:
the dashboard of an organisation with thousands of cases is polled every few seconds.
Encrypted person fields are never loaded; the board needs codenames, stages and the
schedule's times only.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Value,
)
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from safehold.access.models import Need
from safehold.accounts.models import Member
from safehold.alerts.gatekeepers import alerts_for
from safehold.alerts.models import Alert, AlertState
from safehold.audit.models import AuditEntry
from safehold.cases.gatekeepers import persons_for
from safehold.cases.models import Document, DocumentKind, DocumentStatus, Person, Stage
from safehold.checkins.models import Schedule, schedule_spec
from safehold.checkins.schedule_math import ScheduleSpec, ScheduleState, state_at
from safehold.front.alert_facts import kind_label
from safehold.incidents.gatekeepers import incidents_for
from safehold.incidents.models import Incident, IncidentState, IncidentTask

# "This week": document deadlines due within seven days, and those already passed.
DEADLINE_HORIZON = datetime.timedelta(days=7)
SETTLED_STATUSES = (DocumentStatus.APPROVED, DocumentStatus.REFUSED)
DEADLINE_ROWS = 200
# The countdowns are in minutes; the board is redrawn at least this often.
REFRESH_BUCKET_SECONDS = 60


class SafetyState:
    """A person's state on the board, most urgent first. Check-in states come from
    `ScheduleState`; an alert not yet resolved outranks them all."""

    ALERT = "alert"
    NO_SCHEDULE = "none"


# Sort order on the board: what needs a human comes first.
URGENCY = {
    SafetyState.ALERT: 0,
    ScheduleState.MISSED: 1,
    ScheduleState.LATE: 2,
    ScheduleState.DUE_SOON: 3,
    SafetyState.NO_SCHEDULE: 4,
    ScheduleState.OK: 5,
    ScheduleState.PAUSED: 6,
}
STATE_LABELS = {
    **dict(ScheduleState.choices),
    SafetyState.ALERT: _("Alert open"),
    SafetyState.NO_SCHEDULE: _("No check-ins"),
}
STAGE_LABELS = dict(Stage.choices)
NEEDS_ATTENTION = frozenset(
    {SafetyState.ALERT, ScheduleState.MISSED, ScheduleState.LATE, ScheduleState.DUE_SOON}
)


@dataclass(slots=True)  # not frozen: 2,000 are built per draw, and frozen init is slower
class PersonRow:
    person_id: uuid.UUID
    codename: str
    stage: str
    state: str
    # Seconds to the next check-in deadline; negative once it has passed.
    seconds_left: int | None
    alert_code: str = ""

    @property
    def urgency(self) -> int:
        return URGENCY[self.state]

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def stage_label(self) -> str:
        return str(STAGE_LABELS.get(self.stage, self.stage))


@dataclass(frozen=True)
class AlertRow:
    alert: Alert
    may_acknowledge: bool
    # The kind as this member may read it (see `kind_label`).
    kind: str


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    overdue_tasks: list[str]


@dataclass(frozen=True)
class DeadlineRow:
    person_id: uuid.UUID
    codename: str
    kind_label: str
    country: str
    status_label: str
    deadline: datetime.date
    days_left: int
    # "3 days", "Due today", "2 days overdue", and the badge that marks the last two.
    days_text: str
    badge: str

    @property
    def is_overdue(self) -> bool:
        return self.days_left < 0


@dataclass
class Dashboard:
    persons: list[PersonRow]
    alerts: list[AlertRow]
    incidents: list[IncidentRow]
    deadlines: list[DeadlineRow]
    stage_counts: list[tuple[str, str, int]]

    @property
    def total(self) -> int:
        return len(self.persons)

    @property
    def attention_count(self) -> int:
        return sum(1 for row in self.persons if row.state in NEEDS_ATTENTION)


def build_dashboard(member: Member, now: datetime.datetime, today: datetime.date) -> Dashboard:
    """Return the whole dashboard of `member` at `now`, in a fixed number of queries.

    The member's reach and their unresolved alerts are read once and shared by the
    parts: on a small CPU every query costs milliseconds of ORM work on top of SQL.
    """
    visible = persons_for(member, Need.VIEW)
    unresolved = unresolved_alerts(member)
    alerts = awaiting_alerts(member, [alert for alert in unresolved if alert.is_open])
    persons = person_rows(member, now, _codes_by_person(unresolved), visible)
    stage_counts: dict[str, int] = defaultdict(int)
    for row in persons:
        stage_counts[row.stage] += 1
    return Dashboard(
        persons=persons,
        alerts=alerts,
        incidents=incident_rows(member, now),
        deadlines=deadline_rows(member, today, visible),
        stage_counts=[(value, str(label), stage_counts[value]) for value, label in Stage.choices],
    )


def person_rows(
    member: Member,
    now: datetime.datetime,
    alert_codes: dict[uuid.UUID, str],
    persons: QuerySet[Person] | None = None,
) -> list[PersonRow]:
    """Return every person `member` may see (or of `persons`), most urgent first.

    One query of plain values: building 2,000 model instances cost more than the rest
    of the dashboard together.
    """
    if persons is None:
        persons = persons_for(member, Need.VIEW)
    specs: dict[tuple[Any, ...], ScheduleSpec | None] = {}
    # The deadline comes as its distance from `now`: Django loads each timestamp with
    # time zone through a Python function on PostgreSQL (about 10 us each), an
    # interval in psycopg's C code.
    to_deadline = ExpressionWrapper(
        F("schedule__next_deadline") - Value(now, output_field=DateTimeField()),
        output_field=DurationField(),
    )
    rows = []
    values_rows = (
        persons.order_by()
        .annotate(to_deadline=to_deadline)
        .values_list("id", "codename", "stage", *_SCHEDULE_FIELDS, "to_deadline")
    )
    for values in values_rows:
        person_id, codename, stage = values[:3]
        state, seconds_left = _check_in_state(values[3:], now, specs)
        code = alert_codes.get(person_id, "")
        if code:
            state = SafetyState.ALERT
        rows.append(PersonRow(person_id, codename, stage, state, seconds_left, code))
    rows.sort(key=lambda row: (row.urgency, _deadline_order(row), row.codename.casefold()))
    return rows


_SCHEDULE_FIELDS = tuple(
    f"schedule__{name}"
    for name in (
        "kind",
        "interval_minutes",
        "grace_minutes",
        "daily_times",
        "timezone",
        "heightened_interval_minutes",
        "is_heightened",
        "paused_until",
    )
)


def _check_in_state(
    schedule: tuple[Any, ...],
    now: datetime.datetime,
    specs: dict[tuple[Any, ...], ScheduleSpec | None],
) -> tuple[str, int | None]:
    """Return the state and seconds to the deadline of one schedule's stored values.

    Most people share a few schedule shapes ("every 6 hours", "at 9:00 and 21:00"),
    so each shape is turned into the maths' spec once, in `specs`.
    """
    kind, interval, grace, times, zone, heightened, is_heightened, paused, to_deadline = schedule
    if kind is None:
        return SafetyState.NO_SCHEDULE, None
    key = (kind, interval, grace, tuple(times), zone, heightened, is_heightened, paused)
    spec = specs.get(key, _UNSEEN)
    if spec is _UNSEEN:
        spec = specs[key] = _spec_or_none(*key)
    if spec is None:
        # A schedule the maths refuses is shown as "no schedule" rather than hiding
        # the person; the check-ins page says what is wrong with it.
        return SafetyState.NO_SCHEDULE, None
    seconds_left = int(to_deadline.total_seconds())
    return str(state_at(spec, next_deadline=now + to_deadline, now=now)), seconds_left


_UNSEEN: Any = object()


def _spec_or_none(*shape: Any) -> ScheduleSpec | None:
    kind, interval, grace, times, zone, heightened, is_heightened, paused = shape
    try:
        return schedule_spec(
            kind=kind,
            interval_minutes=interval,
            grace_minutes=grace,
            daily_times=list(times),
            timezone=zone,
            heightened_interval_minutes=heightened,
            is_heightened=is_heightened,
            paused_until=paused,
        )
    except ValueError:
        return None


def _deadline_order(row: PersonRow) -> float:
    return row.seconds_left if row.seconds_left is not None else float("inf")


def unresolved_alerts(member: Member) -> list[Alert]:
    """Return the alerts `member` may see that nobody has resolved yet, oldest first."""
    return list(
        alerts_for(member)
        .exclude(state=AlertState.RESOLVED)
        .select_related("person")
        # Encrypted fields stay unread: the dashboard shows codes and codenames only.
        .only(*_ALERT_FIELDS, "person__id", "person__codename")
        .order_by("created_at")
    )


def _codes_by_person(alerts: list[Alert]) -> dict[uuid.UUID, str]:
    """Return, per person, the code of their oldest unresolved alert."""
    codes: dict[uuid.UUID, str] = {}
    for alert in alerts:
        if alert.person_id is not None:
            codes.setdefault(alert.person_id, alert.code)
    return codes


def unresolved_alert_codes(member: Member) -> dict[uuid.UUID, str]:
    """Return, per person, the code of their oldest alert nobody has resolved yet."""
    return _codes_by_person(unresolved_alerts(member))


_ALERT_FIELDS = (
    "id",
    "code",
    "kind",
    "state",
    "created_at",
    "person_id",
    "topic",
    "organisation_id",
)


def awaiting_alerts(member: Member, alerts: list[Alert]) -> list[AlertRow]:
    """Return `alerts` (open ones `member` may see) with what the member may do."""
    person_ids = {alert.person_id for alert in alerts if alert.person_id}
    editable = set(
        persons_for(member, Need.EDIT).filter(pk__in=person_ids).values_list("pk", flat=True)
    )
    told = set(
        Alert.objects.filter(
            pk__in=[a.pk for a in alerts], notifications__member=member
        ).values_list("pk", flat=True)
    )
    return [
        AlertRow(
            alert,
            may_acknowledge=alert.person_id in editable or alert.pk in told,
            kind=kind_label(alert, may_know=alert.person_id in editable),
        )
        for alert in alerts
    ]


def incident_rows(member: Member, now: datetime.datetime) -> list[IncidentRow]:
    """Return open incidents, each with the titles of its overdue tasks."""
    incidents = list(
        incidents_for(member)
        .exclude(state=IncidentState.CLOSED)
        .select_related("person", "safe_house", "lead")
        .only(
            "id",
            "kind",
            "state",
            "opened_at",
            "lead",
            "person__id",
            "person__codename",
            "safe_house__id",
            "safe_house__codename",
        )
        .order_by("opened_at")
    )
    overdue: dict[uuid.UUID, list[str]] = defaultdict(list)
    tasks = IncidentTask.objects.filter(
        incident__in=[i.pk for i in incidents], done_at__isnull=True, due_at__lte=now
    ).order_by("due_at", "position")
    for task in tasks:
        overdue[task.incident_id].append(task.title_in())
    return [IncidentRow(incident, overdue[incident.pk]) for incident in incidents]


def deadline_rows(
    member: Member, today: datetime.date, visible: QuerySet[Person] | None = None
) -> list[DeadlineRow]:
    """Return open documents of reachable cases due this week or already overdue."""
    documents = (
        Document.objects.filter(
            person__in=visible if visible is not None else persons_for(member, Need.VIEW),
            deadline__isnull=False,
            deadline__lte=today + DEADLINE_HORIZON,
        )
        .exclude(status__in=SETTLED_STATUSES)
        .order_by("deadline", "person__codename")
        .values_list("person_id", "person__codename", "kind", "country", "status", "deadline")
    )[:DEADLINE_ROWS]
    kinds, statuses = dict(DocumentKind.choices), dict(DocumentStatus.choices)
    rows = []
    for person_id, codename, kind, country, status, deadline in documents:
        if deadline is None:  # excluded by the query; this tells the type checker
            continue
        days = (deadline - today).days
        rows.append(
            DeadlineRow(
                person_id,
                codename,
                str(kinds.get(kind, kind)),
                country,
                str(statuses.get(status, status)),
                deadline,
                days,
                *days_words(days),
            )
        )
    return rows


def days_words(days: int) -> tuple[str, str]:
    """Return a deadline's distance in words ("3 days", "Due today", "2 days overdue")
    and the badge that marks the last two ("warning", "danger"), else ""."""
    if days < 0:
        text = ngettext("%(overdue_days)s day overdue", "%(overdue_days)s days overdue", -days) % {
            "overdue_days": -days
        }
        return text, "danger"
    if days == 0:
        return gettext("Due today"), "warning"
    return ngettext("%(days_left)s day", "%(days_left)s days", days) % {"days_left": days}, ""


def change_stamp(member: Member, now: datetime.datetime) -> str:
    """Return a short stamp that changes whenever the dashboard may have changed.

    Every change that matters writes an audit entry, and check-ins move their schedule;
    the time bucket redraws the countdowns. Two index lookups: cheap enough to ask every
    few seconds, unlike drawing the board. The audit sequence is global, so a change in
    another organisation costs a redraw, never a missed one.
    """
    latest_audit = AuditEntry.objects.aggregate(latest=Max("seq"))["latest"] or 0
    latest_checkin = Schedule.objects.filter(
        Q(person__organisation_id=member.organisation_id)
    ).aggregate(latest=Max("updated_at"))["latest"]
    bucket = int(now.timestamp()) // REFRESH_BUCKET_SECONDS
    moved = latest_checkin.timestamp() if latest_checkin else 0
    return f"{latest_audit}-{moved:.6f}-{bucket}-{translation.get_language()}"
