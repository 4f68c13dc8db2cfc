"""A person's whole history on one page: stages, shelter, check-ins, alerts, incidents.

Each line is read from where the fact lives, within what the member may see: the
outcome of a check-in (duress, wrong PIN) and the kind of a silent alert only for
those who may edit the case, a safe house's name only for those who may see it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from safehold.access.models import Need
from safehold.accounts.models import Member
from safehold.alerts.gatekeepers import alerts_for
from safehold.cases.models import Person
from safehold.checkins.models import Channel, Checkin, Outcome
from safehold.front.alert_facts import kind_label
from safehold.incidents.gatekeepers import incidents_for
from safehold.shelters.gatekeepers import safe_houses_for


class Kind:
    STAGE = "stage"
    PLACEMENT = "placement"
    CHECKIN = "checkin"
    ALERT = "alert"
    INCIDENT = "incident"


@dataclass(frozen=True)
class HistoryLine:
    at: datetime.datetime
    kind: str
    kind_label: str
    text: str
    url: str = ""
    is_flagged: bool = False


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def person_history(member: Member, person: Person, *, can_edit: bool) -> list[HistoryLine]:
    """Return every line of `person`'s history `member` may read, newest first."""
    lines = [
        *_stage_lines(person),
        *_placement_lines(member, person),
        *_checkin_lines(person, can_edit=can_edit),
        *_alert_lines(member, person, can_edit=can_edit),
        *_incident_lines(member, person),
    ]
    lines.sort(key=lambda line: line.at, reverse=True)
    return lines


def _stage_lines(person: Person) -> list[HistoryLine]:
    label = _("Stage")
    return [
        HistoryLine(
            change.at,
            Kind.STAGE,
            label,
            _("Moved to %(stage)s") % {"stage": change.get_to_stage_display()}
            if change.from_stage
            else _("Case opened at %(stage)s") % {"stage": change.get_to_stage_display()},
        )
        for change in person.stage_changes.only("at", "from_stage", "to_stage")
    ]


def _placement_lines(member: Member, person: Person) -> list[HistoryLine]:
    placements = list(person.placements.select_related("safe_house").order_by("start_date"))
    visible = set(
        safe_houses_for(member, Need.VIEW)
        .filter(pk__in=[p.safe_house_id for p in placements])
        .values_list("pk", flat=True)
    )
    label = _("Shelter")
    lines = []
    for placement in placements:
        is_visible = placement.safe_house_id in visible
        house = (
            placement.safe_house.codename
            if is_visible
            else _("a safe house outside your compartments")
        )
        url = (
            reverse("safe_house_detail", kwargs={"safe_house_id": placement.safe_house_id})
            if is_visible
            else ""
        )
        lines.append(
            HistoryLine(
                _midnight(placement.start_date),
                Kind.PLACEMENT,
                label,
                _("Placed in %(house)s") % {"house": house},
                url,
            )
        )
        if placement.end_date:
            lines.append(
                HistoryLine(
                    _midnight(placement.end_date),
                    Kind.PLACEMENT,
                    label,
                    _("Left %(house)s") % {"house": house},
                    url,
                )
            )
    return lines


def _checkin_lines(person: Person, *, can_edit: bool) -> list[HistoryLine]:
    # A person checking in every two hours has thousands of lines within a year: read
    # plain values and word each (outcome, channel) pair once.
    label = _("Check-in")
    outcomes, channels = dict(Outcome.choices), dict(Channel.choices)
    words: dict[tuple[str, str], str] = {}
    lines = []
    rows = Checkin.objects.filter(person=person).values_list("at", "channel", "outcome")
    for at, channel, outcome in rows:
        if (channel, outcome) not in words:
            said = outcomes.get(outcome, outcome) if can_edit else label
            words[channel, outcome] = _("%(outcome)s by %(channel)s") % {
                "outcome": said,
                "channel": channels.get(channel, channel),
            }
        flagged = can_edit and outcome != Outcome.OK
        lines.append(
            HistoryLine(at, Kind.CHECKIN, label, words[channel, outcome], is_flagged=flagged)
        )
    return lines


def _alert_lines(member: Member, person: Person, *, can_edit: bool) -> list[HistoryLine]:
    label = _("Alert")
    return [
        HistoryLine(
            alert.created_at,
            Kind.ALERT,
            label,
            _("%(kind)s, alert %(code)s: %(state)s")
            % {
                "kind": kind_label(alert, may_know=can_edit),
                "code": alert.code,
                "state": alert.get_state_display(),
            },
            reverse("alert_detail", kwargs={"alert_id": alert.pk}),
            is_flagged=True,
        )
        for alert in alerts_for(member).filter(person=person).select_related("person")
    ]


def _incident_lines(member: Member, person: Person) -> list[HistoryLine]:
    label = _("Incident")
    lines = []
    for incident in incidents_for(member).filter(person=person):
        url = reverse("incident_detail", kwargs={"incident_id": incident.pk})
        lines.append(
            HistoryLine(
                incident.opened_at,
                Kind.INCIDENT,
                label,
                _("Opened: %(kind)s") % {"kind": incident.get_kind_display()},
                url,
                is_flagged=True,
            )
        )
        if incident.closed_at:
            lines.append(
                HistoryLine(
                    incident.closed_at,
                    Kind.INCIDENT,
                    label,
                    _("Closed: %(outcome)s") % {"outcome": incident.get_outcome_display()},
                    url,
                )
            )
    return lines
