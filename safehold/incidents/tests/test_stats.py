"""Statistics: time to the first acknowledgement, to a responder on site, outcomes."""

from __future__ import annotations

import datetime

import pytest

from safehold.accounts.models import Role
from safehold.alerts.actions import PanicReport, acknowledge_alert, open_panic
from safehold.incidents.actions import close_incident, open_from_alert, open_incident
from safehold.incidents.dispatch import accept_dispatch, dispatch_responder, mark_on_site
from safehold.incidents.models import (
    Dispatch,
    Incident,
    IncidentKind,
    IncidentOutcome,
    ResponderKind,
    ResponderProfile,
)
from safehold.incidents.stats import summarise
from safehold.testing import World, make_member

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)
T0 = datetime.datetime(2026, 10, 30, 22, 0, tzinfo=datetime.UTC)


def test_medians_and_outcomes_per_month(world: World) -> None:
    lawyer = make_member(world.organisation, Role.RESPONDER)
    ResponderProfile.objects.create(member=lawyer, kinds=[ResponderKind.LAWYER])
    # October: a panic acknowledged after 4 minutes, a lawyer on site after 40.
    panic = open_panic(world.person, PanicReport(channel="sms", received_at=T0))
    panic.__class__.objects.filter(pk=panic.pk).update(created_at=T0)
    panic.refresh_from_db()
    acknowledge_alert(panic, actor=world.coordinator, via="web")
    panic.__class__.objects.filter(pk=panic.pk).update(acknowledged_at=T0 + 4 * MIN)
    first = open_from_alert(panic, actor=world.coordinator)
    Incident.objects.filter(pk=first.pk).update(opened_at=T0 + 5 * MIN)
    dispatch = dispatch_responder(first, actor=world.coordinator)
    assert dispatch is not None
    accept_dispatch(dispatch, actor=lawyer)
    mark_on_site(dispatch, actor=lawyer)
    Dispatch.objects.filter(pk=dispatch.pk).update(arrived_at=T0 + 40 * MIN)
    close_incident(first, actor=world.coordinator, outcome="released", debrief="Released.")
    Incident.objects.filter(pk=first.pk).update(closed_at=T0 + 60 * MIN)  # still October
    # November: one by hand, never acknowledged, still open.
    second = open_incident(kind=IncidentKind.DETAINED, actor=world.coordinator, person=world.person)
    Incident.objects.filter(pk=second.pk).update(
        opened_at=datetime.datetime(2026, 11, 3, tzinfo=datetime.UTC)
    )

    summary = summarise(Incident.objects.filter(organisation=world.organisation))

    assert (summary.incidents, summary.acknowledged, summary.reached) == (2, 1, 1)
    assert summary.median_to_ack == 4 * MIN
    assert summary.median_to_on_site == 40 * MIN
    november, october = summary.months
    assert (november.month, november.opened, november.outcomes) == (
        datetime.date(2026, 11, 1), 1, {},
    )  # fmt: skip
    assert (october.month, october.opened) == (datetime.date(2026, 10, 1), 1)
    assert october.outcomes == {IncidentOutcome.RELEASED: 1}
    assert october.median_to_ack == 4 * MIN


def test_nothing_to_count(world: World) -> None:
    summary = summarise(Incident.objects.none())
    assert (summary.incidents, summary.median_to_ack, summary.months) == (0, None, [])
