"""Sending a responder: the closest available first, accept or decline from the
message, silence moves on, and the address is seen for this incident only."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from safehold.accounts.models import Member, Role
from safehold.alerts.models import Alert, AlertKind, AlertState
from safehold.alerts.tests.helpers import T0, MemoryTransport, add_channel
from safehold.alerts.worker import Worker
from safehold.audit.models import AuditEntry
from safehold.incidents.actions import close_incident, open_incident
from safehold.incidents.dispatch import (
    Closeness,
    accept_dispatch,
    decline_dispatch,
    dispatch_responder,
    mark_on_site,
    propose_responders,
    reveal_place_for_dispatch,
)
from safehold.incidents.models import (
    Availability,
    Dispatch,
    DispatchState,
    EntryKind,
    Incident,
    IncidentKind,
    ResponderKind,
    ResponderProfile,
    TimelineEntry,
)
from safehold.shelters.knowledge import who_knows_address
from safehold.testing import World, make_member, make_organisation, make_safe_house

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)


def _responder(
    world: World,
    name: str,
    *,
    cities: tuple[str, ...] = (),
    regions: tuple[str, ...] = (),
    kinds: tuple[str, ...] = (ResponderKind.LAWYER,),
    languages: tuple[str, ...] = (),
    availability: str = Availability.AVAILABLE,
    organisation: object = None,
) -> Member:
    member = make_member(organisation or world.organisation, Role.RESPONDER, display_name=name)
    ResponderProfile.objects.create(
        member=member,
        kinds=list(kinds),
        cities=list(cities),
        regions=list(regions),
        languages=list(languages),
        availability=availability,
    )
    add_channel(member, f"json://{name.lower()}.test/hook")
    return member


@pytest.fixture
def incident(world: World) -> Incident:
    house = make_safe_house(
        world.compartment,
        actor=world.coordinator,
        codename="Harbour",
        city="Nizhny Novgorod",
        region="Volga",
        address="ul. Rozhdestvenskaya 5, kv. 12",
    )
    return open_incident(
        kind=IncidentKind.PERSON_MISSING,
        actor=world.coordinator,
        person=world.person,
        safe_house=house,
        now=T0,
    )


@pytest.fixture
def transport() -> MemoryTransport:
    return MemoryTransport()


@pytest.fixture
def worker(transport: MemoryTransport) -> Worker:
    return Worker(name="test", deliver=transport, pool_size=1)


def test_the_same_city_comes_first_then_the_region(world: World, incident: Incident) -> None:
    far = _responder(world, "Anna", cities=("Kazan",))
    region = _responder(world, "Boris", regions=("volga",))
    city = _responder(world, "Vera", cities=(" nizhny novgorod ",))
    _responder(world, "Driver", cities=("Nizhny Novgorod",), kinds=(ResponderKind.DRIVER,))
    _responder(world, "Away", cities=("Nizhny Novgorod",), availability=Availability.AWAY)
    _responder(world, "Foreign", cities=("Nizhny Novgorod",), organisation=make_organisation())

    proposals = propose_responders(incident, ResponderKind.LAWYER)

    assert [(p.member, p.closeness) for p in proposals] == [
        (city, Closeness.CITY),
        (region, Closeness.REGION),
        (far, Closeness.ELSEWHERE),
    ]


def test_at_the_same_distance_a_shared_language_comes_first(
    world: World, incident: Incident
) -> None:
    world.person.languages = ["ce"]
    world.person.save()
    incident.refresh_from_db()
    _responder(world, "Anna", cities=("Nizhny Novgorod",), languages=("ru",))
    chechen = _responder(world, "Zara", cities=("Nizhny Novgorod",), languages=("ru", "ce"))

    assert propose_responders(incident)[0].member == chechen


def test_the_request_reaches_the_responder_who_accepts_and_sees_the_address(
    world: World, incident: Incident, worker: Worker, transport: MemoryTransport
) -> None:
    lawyer = _responder(world, "Vera", cities=("Nizhny Novgorod",))

    dispatch = dispatch_responder(incident, actor=world.coordinator, now=T0)
    worker.tick(T0)

    assert dispatch is not None and dispatch.responder == lawyer
    assert dispatch.alert is not None and dispatch.alert.kind == AlertKind.DISPATCH
    [message] = transport.to("json://vera.test/hook")
    assert dispatch.alert.code in message.title and "/a/" in message.body
    # Nothing of the address travels in the message.
    assert "Rozhdestvenskaya" not in message.body + message.title

    with pytest.raises(ValidationError):
        reveal_place_for_dispatch(dispatch, actor=lawyer)  # not accepted yet
    accept_dispatch(dispatch, actor=lawyer, now=T0 + 5 * MIN)
    revealed = reveal_place_for_dispatch(dispatch, actor=lawyer)

    assert revealed.address == "ul. Rozhdestvenskaya 5, kv. 12"
    assert dispatch.state == DispatchState.ACCEPTED
    assert Alert.objects.get(pk=dispatch.alert.pk).state == AlertState.ACKNOWLEDGED
    assert AuditEntry.objects.filter(
        action="incident.address_revealed", actor_id=lawyer.pk
    ).exists()
    assert revealed.place.safe_house is not None
    knowers = {k.label: k.how for k in who_knows_address(revealed.place.safe_house)}
    assert knowers["Vera"] == "revealed"
    assert TimelineEntry.objects.filter(
        incident=incident, kind=EntryKind.ADDRESS_REVEALED, actor=lawyer
    ).exists()


def test_nobody_else_may_accept_or_see_the_address(world: World, incident: Incident) -> None:
    _responder(world, "Vera", cities=("Nizhny Novgorod",))
    other = _responder(world, "Boris", regions=("Volga",))
    dispatch = dispatch_responder(incident, actor=world.coordinator, now=T0)
    assert dispatch is not None

    for intruder in (other, world.stranger, world.coordinator):
        with pytest.raises(ValidationError):
            accept_dispatch(dispatch, actor=intruder, now=T0 + MIN)
        with pytest.raises(ValidationError):
            reveal_place_for_dispatch(dispatch, actor=intruder)


def test_a_decline_asks_the_next_responder(world: World, incident: Incident) -> None:
    first = _responder(world, "Vera", cities=("Nizhny Novgorod",))
    second = _responder(world, "Boris", regions=("Volga",))
    dispatch = dispatch_responder(incident, actor=world.coordinator, now=T0)
    assert dispatch is not None

    following = decline_dispatch(dispatch, actor=first, now=T0 + 2 * MIN)

    assert dispatch.state == DispatchState.DECLINED
    assert following is not None and following.responder == second
    assert Alert.objects.get(pk=dispatch.alert_id).state == AlertState.RESOLVED


def test_silence_moves_the_request_on_and_then_alerts_the_lead(
    world: World, incident: Incident, worker: Worker, transport: MemoryTransport
) -> None:
    first = _responder(world, "Vera", cities=("Nizhny Novgorod",))
    second = _responder(world, "Boris", regions=("Volga",))
    add_channel(world.coordinator, "json://lead.test/hook")
    dispatch_responder(incident, actor=world.coordinator, timeout=10 * MIN, now=T0)

    report = worker.tick(T0 + 11 * MIN)

    assert report.other["dispatch_moved_on"] == 1
    states = dict(Dispatch.objects.values_list("responder_id", "state"))
    assert states == {first.pk: DispatchState.TIMED_OUT, second.pk: DispatchState.OFFERED}
    assert len(transport.to("json://boris.test/hook")) == 1

    worker.tick(T0 + 22 * MIN)  # Boris is silent too: nobody is left

    unanswered = Alert.objects.get(kind=AlertKind.DISPATCH_UNANSWERED)
    assert unanswered.notifications.get().member == world.coordinator
    # (The lead also hears of the playbook's first task, overdue since T0 + 15 minutes.)
    assert [m for m in transport.to("json://lead.test/hook") if unanswered.code in m.title]
    # A late answer is refused: the request is no longer theirs to take.
    with pytest.raises(ValidationError):
        accept_dispatch(Dispatch.objects.get(responder=first), actor=first, now=T0 + 23 * MIN)


def test_an_expired_request_cannot_be_accepted_even_before_the_worker_moves_on(
    world: World, incident: Incident
) -> None:
    lawyer = _responder(world, "Vera", cities=("Nizhny Novgorod",))
    dispatch = dispatch_responder(incident, actor=world.coordinator, timeout=5 * MIN, now=T0)
    assert dispatch is not None

    with pytest.raises(ValidationError):
        accept_dispatch(dispatch, actor=lawyer, now=T0 + 6 * MIN)


def test_one_responder_per_kind_at_a_time_and_a_busy_one_is_not_proposed(
    world: World, incident: Incident
) -> None:
    lawyer = _responder(world, "Vera", cities=("Nizhny Novgorod",))
    dispatch = dispatch_responder(incident, actor=world.coordinator, now=T0)
    assert dispatch is not None
    with pytest.raises(ValidationError):
        dispatch_responder(incident, actor=world.coordinator, now=T0)
    accept_dispatch(dispatch, actor=lawyer, now=T0 + MIN)

    other = open_incident(kind=IncidentKind.DETAINED, actor=world.coordinator, person=world.person)

    assert propose_responders(other) == []


def test_on_site_is_recorded_once_and_closing_withdraws_open_requests(
    world: World, incident: Incident
) -> None:
    lawyer = _responder(world, "Vera", cities=("Nizhny Novgorod",))
    _responder(world, "Dmitri", cities=("Nizhny Novgorod",), kinds=(ResponderKind.DOCTOR,))
    dispatch = dispatch_responder(incident, actor=world.coordinator, now=T0)
    doctor = dispatch_responder(
        incident, actor=world.coordinator, kind=ResponderKind.DOCTOR, now=T0
    )
    assert dispatch is not None and doctor is not None
    accept_dispatch(dispatch, actor=lawyer, now=T0 + MIN)

    assert mark_on_site(dispatch, actor=lawyer) is True
    assert mark_on_site(dispatch, actor=lawyer) is False
    close_incident(incident, actor=world.coordinator, outcome="safe", debrief="Found.")

    doctor.refresh_from_db()
    assert doctor.state == DispatchState.WITHDRAWN
    with pytest.raises(ValidationError):
        reveal_place_for_dispatch(dispatch, actor=lawyer)  # closed: the reveal ends
    with pytest.raises(ValidationError):
        dispatch_responder(incident, actor=world.coordinator)


def test_acknowledging_the_request_by_any_channel_accepts_it(
    world: World, incident: Incident, worker: Worker
) -> None:
    from safehold.alerts.actions import acknowledge_alert

    lawyer = _responder(world, "Vera", cities=("Nizhny Novgorod",))
    other = _responder(world, "Boris", regions=("Volga",))
    dispatch = dispatch_responder(incident, actor=world.coordinator, now=T0)
    assert dispatch is not None and dispatch.alert is not None
    acknowledge_alert(dispatch.alert, actor=lawyer, via="sms")

    worker.tick(T0 + MIN)

    dispatch.refresh_from_db()
    assert dispatch.state == DispatchState.ACCEPTED
    assert not Dispatch.objects.filter(responder=other).exists()
