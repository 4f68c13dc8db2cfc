"""The worker turns silence, duress and PIN attacks into alerts that reach someone."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from safehold.accounts.models import Role
from safehold.alerts.actions import acknowledge_alert, open_alert, resolve_alert
from safehold.alerts.models import (
    Alert,
    AlertKind,
    AlertState,
    DeliveryAttempt,
    Notification,
    NotificationStatus,
    Purpose,
    Severity,
)
from safehold.alerts.tests.helpers import (
    DURESS_PIN,
    PIN,
    T0,
    MemoryTransport,
    add_channel,
    refuse,
    watch,
)
from safehold.alerts.worker import FAILURES_BEFORE_NEXT_CHANNEL, Worker
from safehold.checkins.service import check_in, find_secret_by_link
from safehold.testing import World, make_member

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)
COORDINATOR_URL = "json://coordinator.test/hook"


@pytest.fixture
def transport() -> MemoryTransport:
    return MemoryTransport()


@pytest.fixture
def worker(transport: MemoryTransport) -> Worker:
    return Worker(name="test", deliver=transport, pool_size=2)


@pytest.fixture
def watched(world: World) -> World:
    world.person.coordinator = world.coordinator
    world.person.save()
    add_channel(world.coordinator, COORDINATOR_URL)
    watch(world.person, minutes=60, grace=10)
    return world


def test_nothing_happens_before_the_grace_period_ends(watched: World, worker: Worker) -> None:
    report = worker.tick(T0 + 69 * MIN)
    assert not report.did_work
    assert not Alert.objects.exists()


def test_a_missed_check_in_reaches_the_coordinator(
    watched: World, worker: Worker, transport: MemoryTransport
) -> None:
    report = worker.tick(T0 + 71 * MIN)
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity, alert.state) == (
        AlertKind.MISSED_CHECKIN,
        Severity.HIGH,
        AlertState.OPEN,
    )
    assert report.missed == 1 and report.sent == 1
    [message] = transport.to(COORDINATOR_URL)
    assert alert.code in message.title
    assert "Falcon" in message.body
    assert "/a/" in message.body  # the acknowledgement link
    notification = Notification.objects.get()
    assert notification.status == NotificationStatus.SENT
    assert message.idempotency_key == notification.idempotency_key


def test_a_missed_deadline_opens_one_alert_only(watched: World, worker: Worker) -> None:
    worker.tick(T0 + 71 * MIN)
    worker.tick(T0 + 72 * MIN)
    assert Alert.objects.count() == 1


def test_messages_name_nobody_and_never_say_duress(
    watched: World, worker: Worker, transport: MemoryTransport
) -> None:
    secret = find_secret_by_link(watch(watched.person))
    assert secret is not None
    check_in(secret, DURESS_PIN, channel="web", request_id="r1", now=T0 + 5 * MIN)
    worker.tick(T0 + 6 * MIN)
    for language in ("en", "ru"):
        watched.coordinator.language = language
        watched.coordinator.save()
        open_alert(watched.person, AlertKind.DURESS, now=T0 + 7 * MIN)
        worker.tick(T0 + 7 * MIN)
    assert len(transport.sent) == 3
    for _, message in transport.sent:
        text = (message.title + message.body).lower()
        for forbidden in ("duress", "принужд", "ruslan", "testov", "+7916", "ul. test"):
            assert forbidden not in text


def test_a_duress_check_in_raises_a_critical_alert(
    watched: World, worker: Worker, transport: MemoryTransport
) -> None:
    secret = find_secret_by_link(watch(watched.person))
    assert secret is not None
    result = check_in(secret, DURESS_PIN, channel="web", request_id="r1", now=T0 + 5 * MIN)
    assert result.status == "accepted"
    assert worker.tick(T0 + 5 * MIN).duress == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity) == (AlertKind.DURESS, Severity.CRITICAL)
    assert len(transport.sent) == 1
    assert worker.tick(T0 + 6 * MIN).duress == 0  # handled once


def test_a_normal_check_in_after_duress_does_not_close_the_alert(
    watched: World, worker: Worker
) -> None:
    secret = find_secret_by_link(watch(watched.person))
    assert secret is not None
    check_in(secret, DURESS_PIN, channel="web", request_id="r1", now=T0 + 5 * MIN)
    worker.tick(T0 + 5 * MIN)
    check_in(secret, PIN, channel="web", request_id="r2", now=T0 + 6 * MIN)
    worker.tick(T0 + 6 * MIN)
    assert Alert.objects.get().state == AlertState.OPEN


def test_repeated_wrong_pins_raise_a_silent_alert(watched: World, worker: Worker) -> None:
    secret = find_secret_by_link(watch(watched.person))
    assert secret is not None
    for n in range(3):
        check_in(secret, "0000", channel="web", request_id=f"w{n}", now=T0 + n * MIN)
    assert worker.tick(T0 + 5 * MIN).attacks == 1
    assert Alert.objects.get().kind == AlertKind.PIN_ATTACK


def test_the_ladder_climbs_until_acknowledged(
    watched: World, worker: Worker, transport: MemoryTransport
) -> None:
    other = make_member(watched.organisation, Role.COORDINATOR, [watched.compartment])
    add_channel(other, "json://other.test/hook")
    worker.tick(T0 + 71 * MIN)  # step 1: the coordinator
    assert len(transport.to("json://other.test/hook")) == 0
    worker.tick(T0 + 81 * MIN)  # after 10 minutes, step 2: the compartment's coordinators
    assert len(transport.to("json://other.test/hook")) == 1
    alert = Alert.objects.get()
    assert alert.step == 2
    assert acknowledge_alert(alert, actor=other, via="test")
    assert not acknowledge_alert(alert, actor=other, via="test")
    report = worker.tick(T0 + 200 * MIN)
    assert report.escalated == 0
    assert Alert.objects.get().state == AlertState.ACKNOWLEDGED


def test_a_failing_channel_is_retried_then_the_next_one_is_used(
    watched: World, worker: Worker, transport: MemoryTransport
) -> None:
    add_channel(watched.coordinator, "json://backup.test/hook", position=2)
    transport.failures[COORDINATOR_URL] = refuse(permanent=False)
    now = T0 + 71 * MIN
    for _ in range(FAILURES_BEFORE_NEXT_CHANNEL):
        worker.tick(now)
        now += MIN  # past the backoff, short of the next step of the ladder
    worker.tick(now)
    assert len(transport.to("json://backup.test/hook")) == 1
    notification = Notification.objects.get()
    assert notification.status == NotificationStatus.SENT
    outcomes = list(DeliveryAttempt.objects.values_list("outcome", flat=True))
    assert outcomes == ["retry"] * FAILURES_BEFORE_NEXT_CHANNEL + ["sent"]


def test_a_permanent_failure_moves_to_the_next_channel_at_once(
    watched: World, worker: Worker, transport: MemoryTransport
) -> None:
    add_channel(watched.coordinator, "json://backup.test/hook", position=2)
    transport.failures[COORDINATOR_URL] = refuse(permanent=True)
    worker.tick(T0 + 71 * MIN)
    worker.tick(T0 + 71 * MIN)
    assert len(transport.to("json://backup.test/hook")) == 1


def test_a_member_without_channels_is_recorded_as_unreachable(world: World, worker: Worker) -> None:
    world.person.coordinator = world.coordinator
    world.person.save()
    watch(world.person)
    worker.tick(T0 + 71 * MIN)
    notification = Notification.objects.get()
    assert notification.status == NotificationStatus.FAILED
    assert notification.last_error == "no_channel"


def test_an_abandoned_claim_is_sent_again_as_a_new_attempt(
    watched: World, worker: Worker, transport: MemoryTransport
) -> None:
    open_alert(watched.person, AlertKind.MANUAL, now=T0)
    notification = Notification.objects.get()
    # A worker claimed it and died before sending.
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENDING, claimed_until=T0 + MIN
    )
    DeliveryAttempt.objects.create(notification=notification, started_at=T0, worker="dead")
    worker.tick(T0 + 30 * datetime.timedelta(seconds=1))
    assert transport.sent == []  # the claim has not expired yet
    worker.tick(T0 + 2 * MIN)
    assert len(transport.sent) == 1
    assert DeliveryAttempt.objects.filter(notification=notification).count() == 2


def test_resolving_tells_everyone_who_was_told_to_stand_down(
    watched: World, worker: Worker, transport: MemoryTransport
) -> None:
    worker.tick(T0 + 71 * MIN)
    alert = Alert.objects.get()
    told = resolve_alert(alert, actor=watched.coordinator, resolution="person_safe")
    assert told == 1
    worker.tick(timezone.now() + MIN)
    stand_down = transport.to(COORDINATOR_URL)[-1]
    assert "Stand down" in stand_down.title or "Отбой" in stand_down.title
    assert Notification.objects.filter(purpose=Purpose.STAND_DOWN).get().status == "sent"
