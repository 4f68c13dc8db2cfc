"""What a member may know about one alert, and what to do next.

The signed-in alert page and the responder's one-tap link page show the same facts
under one rule: everyone who may see an alert is someone asked to act on it, so they
get the messages that came with a panic (digits already masked when stored), the
channel, the times and a location; the safe house only if the member may see it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from safehold.access.models import Need
from safehold.accounts.models import Member
from safehold.alerts.models import Alert, AlertKind
from safehold.checkins.models import Channel as CheckinChannel
from safehold.inbound.models import GatewayKind
from safehold.incidents.models import IncidentKind, Playbook
from safehold.shelters.gatekeepers import can as can_see_house
from safehold.shelters.models import SafeHouse

# Someone may be taken right now: the kinds whose page says what to do next.
URGENT_KINDS = frozenset({AlertKind.PANIC, AlertKind.DURESS})


@dataclass(frozen=True)
class ReceivedMessage:
    received_at: datetime.datetime | None
    channel: str
    text: str
    location: tuple[float, float] | None


@dataclass(frozen=True)
class AlertReport:
    """What came with a panic or a cry for help, for whoever may see the alert."""

    messages: list[ReceivedMessage]
    last_checkin_at: datetime.datetime | None
    safe_house: SafeHouse | None  # only if the member may see that house


def kind_label(alert: Alert, *, may_know: bool) -> str:
    """Return the alert's kind as this member may read it.

    Only those who may edit the person learn that a check-in was made under duress or
    that PINs were guessed; everyone else reads the words the notifications use.
    """
    if may_know:
        return str(alert.get_kind_display())
    neutral: dict[str, str] = {
        AlertKind.DURESS: _("Urgent alert"),
        AlertKind.PIN_ATTACK: _("Security alert"),
    }
    return neutral.get(alert.kind, str(alert.get_kind_display()))


def channel_name(channel: str) -> str:
    """Return a check-in or gateway channel's name in words (the key if unknown)."""
    names = {
        **{str(value): str(label) for value, label in CheckinChannel.choices},
        **{str(value): str(label) for value, label in GatewayKind.choices},
    }
    return names.get(channel, channel)


def alert_report(alert: Alert, member: Member) -> AlertReport | None:
    """Return what came with the alert as `member` may see it, or None if nothing did.

    The caller has already decided that `member` may see the alert.
    """
    context = alert.context or {}
    if not context:
        return None
    found = [_message(m) for m in context.get("messages", []) if isinstance(m, dict)]
    house = None
    house_id = context.get("safe_house")
    if house_id:
        candidate = SafeHouse.objects.filter(pk=house_id).first()
        if candidate is not None and can_see_house(member, candidate, Need.VIEW):
            house = candidate
    return AlertReport(found, _time(context.get("last_checkin_at")), house)


def _message(entry: dict[str, Any]) -> ReceivedMessage:
    location = entry.get("location")
    where = (
        (float(location[0]), float(location[1]))
        if isinstance(location, list) and len(location) == 2
        else None
    )
    return ReceivedMessage(
        received_at=_time(entry.get("received_at")),
        channel=channel_name(str(entry.get("channel", ""))),
        text=str(entry.get("text", "")),
        location=where,
    )


def _time(value: object) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


def next_steps(alert: Alert) -> list[str]:
    """Return what a responder should do first, in the active language; [] unless urgent.

    The organisation's own "person missing" playbook when it has one (read, never
    created: opening a link must change nothing), else a short fixed list.
    """
    if alert.kind not in URGENT_KINDS:
        return []
    playbook = (
        Playbook.objects.filter(
            organisation_id=alert.organisation_id, kind=IncidentKind.PERSON_MISSING
        )
        .prefetch_related("steps")
        .first()
    )
    if playbook is not None:
        steps = [step.title_in() for step in playbook.steps.all()]
        if steps:
            return steps
    return [
        _("Call the person on the agreed line. Do not send details by text message."),
        _("If nobody answers within 10 minutes, go, or send the lawyer, to the last known place."),
        _("Open an incident from the alert page once you have signed in."),
    ]
