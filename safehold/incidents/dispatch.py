"""Responders for an incident: who is closest, asking one to go, and moving on when
they decline or stay silent.

A request to go is an alert of its own kind routed to one responder: it reaches them
on their channels with a link to accept, exactly like any alert. Declining, or silence
until the request expires, asks the next responder; when nobody is left, the lead is
alerted. The accepted responder may see the last known address for this incident
only, and every such look is audited and shown in the house's "who knows" panel.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safehold.accounts.models import Member
from safehold.alerts.actions import RoutedAlert, acknowledge_alert, open_routed_alert, resolve_alert
from safehold.alerts.ladder import Route
from safehold.alerts.models import AlertKind, AlertState, Resolution
from safehold.audit.chain import record
from safehold.incidents.models import (
    Availability,
    Dispatch,
    DispatchState,
    EntryKind,
    Incident,
    IncidentState,
    ResponderKind,
    ResponderProfile,
    TimelineEntry,
)
from safehold.shelters.actions import reveal_safe_house
from safehold.shelters.models import Placement, SafeHouse

DEFAULT_TIMEOUT = datetime.timedelta(minutes=15)
MIN_TIMEOUT = datetime.timedelta(minutes=2)
MAX_TIMEOUT = datetime.timedelta(hours=2)
# The request's own alert must not climb before the dispatch pass moves on: it waits
# longer than the request lives.
_ALERT_MARGIN = datetime.timedelta(minutes=5)
# Nobody accepted: the lead is told, again every 10 minutes until they acknowledge.
UNANSWERED_REPEAT = datetime.timedelta(minutes=10)
ACTIVE_STATES = (DispatchState.OFFERED, DispatchState.ACCEPTED)


class Closeness:
    CITY = "city"
    REGION = "region"
    ELSEWHERE = "elsewhere"


_CLOSENESS_ORDER = {Closeness.CITY: 0, Closeness.REGION: 1, Closeness.ELSEWHERE: 2}


@dataclass(frozen=True)
class Place:
    """Where the person was last known to be: a safe house, or only a city."""

    city: str
    region: str
    safe_house: SafeHouse | None


@dataclass(frozen=True)
class Proposal:
    member: Member
    profile: ResponderProfile
    closeness: str
    speaks_language: bool


def _same(a: str, b: str) -> bool:
    return bool(a.strip()) and a.strip().casefold() == b.strip().casefold()


def last_known_place(incident: Incident, *, today: datetime.date | None = None) -> Place:
    """Return the incident's safe house, else the person's current placement, else
    the person's city as recorded."""
    house = incident.safe_house
    if house is None and incident.person_id is not None:
        today = today or timezone.localdate()
        placement = (
            Placement.objects.filter(person_id=incident.person_id, start_date__lte=today)
            .exclude(end_date__lt=today)
            .select_related("safe_house")
            .order_by("-start_date")
            .first()
        )
        house = placement.safe_house if placement is not None else None
    if house is not None:
        return Place(house.city, house.region, house)
    city = str(incident.person.city) if incident.person is not None else ""
    return Place(city, "", None)


def closeness(profile: ResponderProfile, place: Place) -> str:
    """Same city first, then same region, then anywhere else."""
    if any(_same(city, place.city) for city in profile.cities):
        return Closeness.CITY
    if any(_same(region, place.region) for region in profile.regions):
        return Closeness.REGION
    return Closeness.ELSEWHERE


def propose_responders(
    incident: Incident, kind: str = ResponderKind.LAWYER, *, include_asked: bool = False
) -> list[Proposal]:
    """Return the available responders of `kind` in the incident's organisation,
    closest to the last known place first; those who speak the person's language
    before others at the same distance. Responders busy on another dispatch, and
    (unless `include_asked`) those already asked for this incident, are left out."""
    place = last_known_place(incident)
    busy = Dispatch.objects.filter(state=DispatchState.ACCEPTED).exclude(
        incident__state=IncidentState.CLOSED
    )
    asked = Dispatch.objects.filter(incident=incident, kind=kind)
    profiles = (
        ResponderProfile.objects.filter(
            member__organisation_id=incident.organisation_id,
            member__is_active=True,
            availability=Availability.AVAILABLE,
        )
        .exclude(member__in=busy.values("responder_id"))
        .select_related("member")
    )
    if not include_asked:
        profiles = profiles.exclude(member__in=asked.values("responder_id"))
    person_languages = set(incident.person.languages) if incident.person is not None else set()
    proposals = [
        Proposal(
            profile.member,
            profile,
            closeness(profile, place),
            bool(person_languages & set(profile.languages)),
        )
        for profile in profiles
        if kind in profile.kinds
    ]
    proposals.sort(
        key=lambda p: (
            _CLOSENESS_ORDER[p.closeness],
            not p.speaks_language,
            str(p.member.label).casefold(),
        )
    )
    return proposals


def _timeline(incident: Incident, actor: Member | None, facts: dict[str, str]) -> None:
    TimelineEntry.objects.create(
        incident=incident, actor=actor, kind=EntryKind.DISPATCH, facts=facts
    )


def _topic(incident: Incident) -> str:
    return incident.safe_house.codename if incident.safe_house is not None else ""


@transaction.atomic
def dispatch_responder(
    incident: Incident,
    *,
    actor: Member | None,
    kind: str = ResponderKind.LAWYER,
    responder: Member | None = None,
    timeout: datetime.timedelta = DEFAULT_TIMEOUT,
    now: datetime.datetime | None = None,
) -> Dispatch | None:
    """Ask `responder` (or the closest available one) to go; return the request, or
    None when nobody is left to ask (the lead is then alerted).

    Raise ValidationError for a closed incident, an unknown kind, a timeout out of
    range, or a responder who is not available for this kind in this organisation.
    """
    now = now or timezone.now()
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.state == IncidentState.CLOSED:
        raise ValidationError(_("This incident is closed."))
    if kind not in ResponderKind.values:
        raise ValidationError({"kind": _("Choose what kind of responder to send.")})
    if not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
        raise ValidationError({"timeout": _("Wait between 2 and 120 minutes for an answer.")})
    if Dispatch.objects.filter(incident=incident, kind=kind, state__in=ACTIVE_STATES).exists():
        raise ValidationError(_("A responder of this kind is already asked or on the way."))
    proposals = propose_responders(incident, kind)
    if responder is not None:
        chosen = [p for p in proposals if p.member.pk == responder.pk]
        if not chosen:
            raise ValidationError(
                {"responder": _("This responder is not available for this incident.")}
            )
        proposals = chosen
    if not proposals:
        _alert_lead_nobody_answered(incident, kind, now)
        return None
    member = proposals[0].member
    dispatch = Dispatch.objects.create(
        incident=incident,
        responder=member,
        kind=kind,
        offered_at=now,
        offered_by=actor,
        expires_at=now + timeout,
    )
    dispatch.alert = open_routed_alert(
        RoutedAlert(
            incident.organisation_id,
            AlertKind.DISPATCH,
            Route.to_members(incident.compartment_id, [(member.pk, timeout + _ALERT_MARGIN)]),
            person=incident.person,
            topic=_topic(incident),
        ),
        now=now,
        actor=actor,
    )
    dispatch.save(update_fields=["alert"])
    _timeline(incident, actor, {"dispatch": str(dispatch.pk), "event": "offered", "kind": kind})
    record(
        "incident.dispatch_offered",
        actor=actor,
        target=incident,
        details={"dispatch": str(dispatch.pk), "responder": str(member.pk), "kind": kind},
    )
    return dispatch


def _alert_lead_nobody_answered(incident: Incident, kind: str, now: datetime.datetime) -> None:
    lead_id = incident.responsible_id
    _timeline(incident, None, {"event": "nobody_left", "kind": kind})
    record("incident.dispatch_exhausted", actor=None, target=incident, details={"kind": kind})
    if lead_id is None:
        return  # the compartment's coordinators are told by the route's fallback
    open_routed_alert(
        RoutedAlert(
            incident.organisation_id,
            AlertKind.DISPATCH_UNANSWERED,
            Route.to_members(incident.compartment_id, [(lead_id, UNANSWERED_REPEAT)]),
            person=incident.person,
            topic=_topic(incident),
        ),
        now=now,
    )


def _locked_offer(dispatch: Dispatch, actor: Member) -> Dispatch:
    locked = (
        Dispatch.objects.select_for_update(of=("self",))
        .select_related("incident")
        .get(pk=dispatch.pk)
    )
    if locked.responder_id != actor.pk:
        raise ValidationError(_("This request was sent to someone else."))
    if locked.state != DispatchState.OFFERED:
        raise ValidationError(_("This request was already answered or withdrawn."))
    return locked


@transaction.atomic
def accept_dispatch(
    dispatch: Dispatch, *, actor: Member, now: datetime.datetime | None = None
) -> None:
    """The responder goes. Raise ValidationError if the request is not theirs, was
    answered, or expired (the next responder may already be asked)."""
    now = now or timezone.now()
    locked = _locked_offer(dispatch, actor)
    if locked.expires_at <= now:
        raise ValidationError(_("This request expired and went to the next responder."))
    if locked.alert is not None:
        acknowledge_alert(locked.alert, actor=actor, via="dispatch")
    _accept(locked, now, via="dispatch")
    dispatch.refresh_from_db()


def _accept(locked: Dispatch, at: datetime.datetime, *, via: str) -> None:
    locked.state, locked.answered_at = DispatchState.ACCEPTED, at
    locked.save(update_fields=["state", "answered_at"])
    _timeline(locked.incident, locked.responder, {"dispatch": str(locked.pk), "event": "accepted"})
    record("incident.dispatch_accepted", actor=locked.responder, target=locked.incident,
           details={"dispatch": str(locked.pk), "via": via})  # fmt: skip


@transaction.atomic
def decline_dispatch(
    dispatch: Dispatch, *, actor: Member, now: datetime.datetime | None = None
) -> Dispatch | None:
    """The responder cannot go: ask the next one. Return the next request, if any."""
    now = now or timezone.now()
    locked = _locked_offer(dispatch, actor)
    _end_offer(locked, DispatchState.DECLINED, actor, now)
    dispatch.refresh_from_db()
    return _ask_next(locked, now)


def _end_offer(locked: Dispatch, state: str, actor: Member | None, now: datetime.datetime) -> None:
    locked.state, locked.answered_at = state, now
    locked.save(update_fields=["state", "answered_at"])
    if locked.alert is not None and locked.alert.state != AlertState.RESOLVED:
        resolve_alert(
            locked.alert, actor=actor, resolution=Resolution.OTHER, stand_down=False,
            via="dispatch",
        )  # fmt: skip
    _timeline(locked.incident, actor, {"dispatch": str(locked.pk), "event": state})
    record(f"incident.dispatch_{state}", actor=actor, target=locked.incident,
           details={"dispatch": str(locked.pk)})  # fmt: skip


def _ask_next(previous: Dispatch, now: datetime.datetime) -> Dispatch | None:
    incident = previous.incident
    if incident.state == IncidentState.CLOSED:
        return None
    return dispatch_responder(
        incident,
        actor=None,
        kind=previous.kind,
        timeout=previous.expires_at - previous.offered_at,
        now=now,
    )


def _each_waiting(
    waiting: QuerySet[Dispatch], handle: Callable[[Dispatch], None], *, limit: int = 100
) -> int:
    """Lock each request of `waiting` still offered, one transaction each, and handle
    it; skip those answered meanwhile. Return how many were handled."""
    handled = 0
    for dispatch_id in list(waiting.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            locked = (
                Dispatch.objects.select_for_update(of=("self",))
                .select_related("incident", "alert", "responder")
                .filter(pk=dispatch_id, state=DispatchState.OFFERED)
                .first()
            )
            if locked is None:
                continue
            handle(locked)
            handled += 1
    return handled


def take_acknowledged(now: datetime.datetime) -> int:
    """A responder who acknowledged the request's alert some other way ("ACK code" by
    SMS, the API) has accepted it."""

    def take(locked: Dispatch) -> None:
        assert locked.alert is not None  # matched by its acknowledgement
        _accept(locked, locked.alert.acknowledged_at or now, via="ack")

    return _each_waiting(
        Dispatch.objects.filter(
            state=DispatchState.OFFERED,
            alert__state=AlertState.ACKNOWLEDGED,
            alert__acknowledged_by=models.F("responder"),
        ),
        take,
    )


def move_on_unanswered(now: datetime.datetime) -> int:
    """Worker pass: requests acknowledged elsewhere are accepted; every request past
    its time goes to the next responder."""

    def move_on(locked: Dispatch) -> None:
        _end_offer(locked, DispatchState.TIMED_OUT, None, now)
        _ask_next(locked, now)

    expired = Dispatch.objects.filter(state=DispatchState.OFFERED, expires_at__lte=now)
    return take_acknowledged(now) + _each_waiting(expired, move_on)


@transaction.atomic
def withdraw_dispatches(incident: Incident, *, actor: Member | None) -> int:
    """Withdraw the requests still waiting for an answer (the incident closed)."""
    now = timezone.now()
    waiting = list(
        Dispatch.objects.select_for_update(of=("self",))
        .select_related("incident", "alert")
        .filter(incident=incident, state=DispatchState.OFFERED)
    )
    for dispatch in waiting:
        _end_offer(dispatch, DispatchState.WITHDRAWN, actor, now)
    return len(waiting)


@transaction.atomic
def mark_on_site(dispatch: Dispatch, *, actor: Member, lead_may: bool = False) -> bool:
    """Record that the responder reached the place; return False if already recorded.

    The responder says so themselves, or (`lead_may`) a coordinator who heard from them.
    """
    locked = (
        Dispatch.objects.select_for_update(of=("self",))
        .select_related("incident")
        .get(pk=dispatch.pk)
    )
    if locked.responder_id != actor.pk and not lead_may:
        raise ValidationError(_("This request was sent to someone else."))
    if locked.state != DispatchState.ACCEPTED:
        raise ValidationError(_("Only an accepted request can reach the place."))
    if locked.arrived_at is not None:
        return False
    locked.arrived_at = timezone.now()
    locked.save(update_fields=["arrived_at"])
    _timeline(locked.incident, actor, {"dispatch": str(locked.pk), "event": "on_site"})
    record("incident.responder_on_site", actor=actor, target=locked.incident,
           details={"dispatch": str(locked.pk)})  # fmt: skip
    dispatch.refresh_from_db()
    return True


@dataclass(frozen=True)
class RevealedPlace:
    place: Place
    address: str
    access_instructions: str


@transaction.atomic
def reveal_place_for_dispatch(dispatch: Dispatch, *, actor: Member) -> RevealedPlace:
    """Show the accepted responder the last known address, for this incident only.

    Audited on the incident and on the safe house (its "who knows" panel). Raise
    ValidationError unless `actor` accepted this request and the incident is open.
    """
    locked = Dispatch.objects.select_related("incident").get(pk=dispatch.pk)
    incident = locked.incident
    if locked.responder_id != actor.pk or locked.state != DispatchState.ACCEPTED:
        raise ValidationError(_("Only the responder who accepted may see the address."))
    if incident.state == IncidentState.CLOSED:
        raise ValidationError(_("This incident is closed."))
    place = last_known_place(incident)
    address = instructions = ""
    if place.safe_house is not None:
        revealed = reveal_safe_house(
            place.safe_house, actor=actor, reason=f"dispatch {locked.pk} incident {incident.pk}"
        )
        address, instructions = str(revealed.address), str(revealed.access_instructions)
    TimelineEntry.objects.create(
        incident=incident,
        actor=actor,
        kind=EntryKind.ADDRESS_REVEALED,
        facts={
            "dispatch": str(locked.pk),
            "safe_house": str(place.safe_house.pk) if place.safe_house else "",
        },
    )
    record(
        "incident.address_revealed",
        actor=actor,
        target=incident,
        details={
            "dispatch": str(locked.pk),
            "safe_house": str(place.safe_house.pk) if place.safe_house else "",
        },
    )
    return RevealedPlace(place, address, instructions)
