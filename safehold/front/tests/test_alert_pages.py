"""Alert pages: the list, one alert with who was told, acknowledge, resolve, raise."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safehold.access.models import Grant, Need, TargetKind
from safehold.alerts.actions import acknowledge_alert, open_alert, resolve_alert
from safehold.alerts.models import (
    Alert,
    AlertKind,
    AlertState,
    DeliveryAttempt,
    Notification,
    NotificationStatus,
    Purpose,
)
from safehold.alerts.tests.helpers import add_channel
from safehold.audit.models import AuditEntry
from safehold.front.urls_engine import urlpatterns
from safehold.testing import fill_route, login

pytestmark = pytest.mark.django_db


def detail(alert):
    return reverse("alert_detail", kwargs={"alert_id": alert.pk})


def ack(alert):
    return reverse("alert_ack", kwargs={"alert_id": alert.pk})


def resolve(alert):
    return reverse("alert_resolve", kwargs={"alert_id": alert.pk})


def raise_url(person):
    return reverse("person_raise_alert", kwargs={"person_id": person.pk})


def missed(person, **extra):
    return open_alert(person, AlertKind.MISSED_CHECKIN, **extra)


@pytest.fixture
def woken(monkeypatch):
    calls = []
    monkeypatch.setattr("safehold.front.views.alerts.wake_workers", lambda: calls.append(1))
    return calls


# --- The list ---------------------------------------------------------------------------


def test_it_lists_alerts_open_first_then_acknowledged_then_resolved(world):
    resolved = missed(world.person)
    resolve_alert(resolved, actor=world.coordinator, resolution="person_safe")
    acknowledged = missed(world.person)
    acknowledge_alert(acknowledged, actor=world.coordinator, via="web")
    opened = missed(world.person)
    content = login(world.coordinator).get("/alerts/").content.decode()
    positions = [content.index(a.code) for a in (opened, acknowledged, resolved)]
    assert positions == sorted(positions)
    assert "Falcon" in content
    assert "Missed check-in" in content


def test_it_filters_by_state(world):
    resolved = missed(world.person)
    resolve_alert(resolved, actor=world.coordinator, resolution="false_alarm")
    opened = missed(world.person)
    content = login(world.coordinator).get("/alerts/", {"state": "resolved"}).content.decode()
    assert resolved.code in content
    assert opened.code not in content


@pytest.mark.parametrize("query", [{"state": "nonsense"}, {"state": "\x00", "page": "-1"}])
def test_a_bad_filter_shows_an_error_not_a_crash(world, query):
    response = login(world.coordinator).get("/alerts/", query)
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["outsider", "stranger", "responder"])
def test_it_lists_nothing_to_an_outsider(world, persona):
    alert = missed(world.person)
    response = login(getattr(world, persona)).get("/alerts/")
    assert response.status_code == 200
    assert alert.code.encode() not in response.content
    assert b"Falcon" not in response.content


def test_a_coordinator_reads_duress_but_a_viewer_reads_an_urgent_alert(world):
    alert = open_alert(world.person, AlertKind.DURESS)
    coordinator = login(world.coordinator)
    assert b"Duress check-in" in coordinator.get("/alerts/").content
    assert b"Duress check-in" in coordinator.get(detail(alert)).content
    viewer = login(world.viewer)
    for response in (viewer.get("/alerts/"), viewer.get(detail(alert))):
        assert response.status_code == 200
        assert b"Urgent alert" in response.content
        assert b"uress" not in response.content


# --- One alert --------------------------------------------------------------------------


def test_it_shows_the_ladder_position_and_every_notification(world):
    add_channel(world.coordinator, "json://127.0.0.1:9/hook")
    alert = missed(world.person)
    notification = Notification.objects.get(alert=alert, member=world.coordinator)
    DeliveryAttempt.objects.create(
        notification=notification,
        channel=world.coordinator.channels.get(),
        finished_at=timezone.now(),
        outcome="retry",
        error_kind="refused",
    )
    Notification.objects.filter(pk=notification.pk).update(attempts=1, last_error="refused")
    content = login(world.coordinator).get(detail(alert)).content.decode()
    assert "Step 1, round 1" in content
    assert "Next step at" in content
    assert world.coordinator.label in content
    assert "Nobody answered at the receiver" in content
    assert "<td>json" in content
    assert '<tr class="overdue">' in content
    # The channel's address is never shown.
    assert "127.0.0.1:9" not in content


def test_it_shows_who_cannot_be_reached(world):
    alert = missed(world.person)
    Notification.objects.filter(alert=alert, member=world.coordinator).update(
        status=NotificationStatus.FAILED, last_error="no_channel", attempts=1
    )
    content = login(world.coordinator).get(detail(alert)).content.decode()
    assert "No channel" in content
    assert "Could not be delivered" in content
    assert "The member has no channel" in content


@pytest.mark.parametrize("persona", ["outsider", "stranger", "responder"])
def test_it_refuses_outsider(world, persona):
    alert = missed(world.person)
    client = login(getattr(world, persona))
    assert client.get(detail(alert)).status_code == 404
    assert client.post(ack(alert)).status_code == 404
    assert client.post(resolve(alert), {"resolve-resolution": "false_alarm"}).status_code == 404
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_it_answers_404_alike_for_a_missing_alert(world):
    alert = missed(world.person)
    missing = login(world.coordinator).get(
        reverse("alert_detail", kwargs={"alert_id": uuid.uuid4()})
    )
    forbidden = login(world.outsider).get(detail(alert))
    assert missing.status_code == forbidden.status_code == 404
    assert missing.content == forbidden.content


def test_a_notified_responder_sees_only_their_own_notification_and_may_acknowledge(world, woken):
    alert = missed(world.person)
    Notification.objects.create(
        alert=alert, member=world.responder, idempotency_key=f"sh-{uuid.uuid4().hex}"
    )
    client = login(world.responder)
    page = client.get(detail(alert))
    assert page.status_code == 200
    assert world.coordinator.label.encode() not in page.content
    assert resolve(alert).encode() not in page.content
    assert client.post(resolve(alert), {"resolve-resolution": "false_alarm"}).status_code == 404
    assert client.post(ack(alert)).status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    assert alert.acknowledged_by_id == world.responder.pk


def test_a_viewer_sees_the_alert_but_cannot_acknowledge_or_resolve_it(world):
    alert = missed(world.person)
    client = login(world.viewer)
    page = client.get(detail(alert))
    assert page.status_code == 200
    assert ack(alert).encode() not in page.content
    assert resolve(alert).encode() not in page.content
    assert client.post(ack(alert)).status_code == 404
    assert client.post(resolve(alert), {"resolve-resolution": "false_alarm"}).status_code == 404
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN
    assert not AuditEntry.objects.filter(
        action__in=["alert.acknowledged", "alert.resolved"]
    ).exists()


# --- Acknowledge and resolve -------------------------------------------------------------


def test_acknowledging_stops_the_ladder_audits_and_wakes_the_workers(
    world, woken, django_capture_on_commit_callbacks
):
    alert = missed(world.person)
    client = login(world.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ack(alert))
    assert response.status_code == 302
    assert response["Location"] == detail(alert)
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    assert alert.next_step_at is None
    entry = AuditEntry.objects.get(action="alert.acknowledged", object_id=str(alert.pk))
    assert entry.actor_id == world.coordinator.pk
    assert entry.details == {"via": "web"}
    assert woken == [1]
    page = client.get(detail(alert)).content.decode()
    assert "You acknowledged the alert." in page
    assert ack(alert) not in page


def test_acknowledging_twice_changes_nothing(world, woken):
    alert = missed(world.person)
    client = login(world.coordinator)
    client.post(ack(alert))
    response = client.post(ack(alert), follow=True)
    assert b"already acknowledged or resolved" in response.content
    assert AuditEntry.objects.filter(action="alert.acknowledged").count() == 1


def test_resolving_closes_the_alert_tells_everyone_to_stand_down_and_audits(
    world, woken, django_capture_on_commit_callbacks
):
    alert = missed(world.person)
    told = alert.notifications.count()
    assert told >= 1
    # Those already reached are told to stand down; a message still waiting is cancelled.
    alert.notifications.update(status=NotificationStatus.SENT)
    client = login(world.coordinator)
    form = ResolveFormDefaults(client, alert)
    assert form.stand_down_is_checked
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            resolve(alert),
            {
                "resolve-resolution": "person_safe",
                "resolve-note": "called back",
                "resolve-stand_down": "on",
            },
        )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    assert alert.resolution == "person_safe"
    assert alert.resolution_note == "called back"
    assert alert.notifications.filter(purpose=Purpose.STAND_DOWN).count() == told
    entry = AuditEntry.objects.get(action="alert.resolved", object_id=str(alert.pk))
    assert entry.actor_id == world.coordinator.pk
    assert entry.details["stand_down"] == told
    assert "called back" not in str(entry.details)
    assert woken == [1]
    page = client.get(detail(alert)).content.decode()
    assert "will be told to stand down" in page
    assert "called back" in page


class ResolveFormDefaults:
    def __init__(self, client: Client, alert: Alert) -> None:
        content = client.get(detail(alert)).content.decode()
        start = content.index('name="resolve-stand_down"')
        tag = content[content.rindex("<input", 0, start) : content.index(">", start)]
        self.stand_down_is_checked = "checked" in tag


def test_resolving_without_stand_down_tells_nobody(world, woken):
    alert = missed(world.person)
    alert.notifications.update(status=NotificationStatus.SENT)
    response = login(world.coordinator).post(resolve(alert), {"resolve-resolution": "false_alarm"})
    assert response.status_code == 302
    assert not alert.notifications.filter(purpose=Purpose.STAND_DOWN).exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"resolve-resolution": "nonsense"},
        {"resolve-resolution": "other", "resolve-note": "x" * 5000},
    ],
)
def test_a_bad_resolution_shows_errors_and_leaves_the_alert_open(world, woken, data):
    alert = missed(world.person)
    response = login(world.coordinator).post(resolve(alert), data)
    assert response.status_code == 200
    assert b"errorlist" in response.content
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_resolving_a_resolved_alert_says_so(world, woken):
    alert = missed(world.person)
    resolve_alert(alert, actor=world.coordinator, resolution="false_alarm")
    response = login(world.coordinator).post(resolve(alert), {"resolve-resolution": "other"})
    assert response.status_code == 200
    assert b"This alert is already resolved." in response.content
    assert AuditEntry.objects.filter(action="alert.resolved").count() == 1


# --- Raising an alert by hand -----------------------------------------------------------------


def test_a_coordinator_raises_a_manual_alert(world, woken, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.coordinator).post(raise_url(world.person))
    alert = Alert.objects.get(person=world.person)
    assert response.status_code == 302
    assert response["Location"] == detail(alert)
    assert alert.kind == AlertKind.MANUAL
    assert alert.notifications.exists()
    entry = AuditEntry.objects.get(action="alerts.opened")
    assert entry.actor_id == world.coordinator.pk
    assert woken == [1]


@pytest.mark.parametrize("persona", ["viewer", "responder", "stranger", "outsider"])
def test_only_editors_raise_alerts(world, woken, persona):
    response = login(getattr(world, persona)).post(raise_url(world.person))
    assert response.status_code == 404
    assert not Alert.objects.exists()


def test_raising_is_a_post(world):
    assert login(world.coordinator).get(raise_url(world.person)).status_code == 405


def test_a_granted_responder_with_edit_may_resolve(world, woken):
    Grant.objects.create(
        member=world.responder,
        target_kind=TargetKind.PERSON,
        target_id=world.person.pk,
        need=Need.EDIT,
        granted_by=world.coordinator,
    )
    alert = missed(world.person)
    response = login(world.responder).post(resolve(alert), {"resolve-resolution": "person_safe"})
    assert response.status_code == 302


# --- Every page of these sections, walked by outsiders -----------------------------------------


@pytest.fixture
def engine_ids(world):
    from safehold.alerts.models import DutyShift

    alert = missed(world.person)
    channel = add_channel(world.coordinator, "json://127.0.0.1:9/secret-token-path")
    now = timezone.now()
    shift = DutyShift.objects.create(
        compartment=world.compartment,
        member=world.coordinator,
        starts_at=now,
        ends_at=now + datetime.timedelta(hours=8),
    )
    return {
        "person_id": str(world.person.pk),
        "alert_id": str(alert.pk),
        "channel_id": str(channel.pk),
        "compartment_id": str(world.compartment.pk),
        "shift_id": str(shift.pk),
    }


@pytest.mark.parametrize("persona", ["anonymous", "outsider", "stranger", "responder"])
def test_no_outsider_gets_a_record_from_any_of_these_pages(world, engine_ids, persona):
    client = Client() if persona == "anonymous" else login(getattr(world, persona))
    secrets = [world.person.codename, "secret-token-path", *engine_ids.values()]
    audit_before = AuditEntry.objects.count()
    for pattern in urlpatterns:
        route = str(pattern.pattern)
        path = fill_route(route, engine_ids)
        for method in ("get", "post"):
            response = getattr(client, method)(path, {"direction": "up", "url": "json://x/y"})
            where = f"{method.upper()} {path} as {persona}"
            assert response.status_code < 500, where
            if "<uuid:" in route or persona == "anonymous":
                assert response.status_code != 200, where
                assert response.status_code not in (301, 302) or persona == "anonymous", where
            else:
                body = response.content.decode()
                assert not [s for s in secrets if s in body], where
    if persona == "anonymous":
        assert AuditEntry.objects.count() == audit_before


def test_a_panic_shows_its_messages_place_and_safe_house_to_those_allowed(world):
    import datetime as dt

    from safehold.alerts.actions import PanicReport, open_panic
    from safehold.shelters.actions import place_person

    place_person(
        world.person,
        world.safe_house,
        actor=world.coordinator,
        start_date=world.today - dt.timedelta(days=3),
    )
    alert = open_panic(
        world.person,
        PanicReport(channel="sms", received_at=timezone.now(), text="забрали возле подъезда, 1357",
                    latitude=43.31, longitude=45.69),
    )  # fmt: skip

    page = login(world.coordinator).get(detail(alert)).content.decode()

    assert "забрали возле подъезда, ••••" in page  # the digits may have been a PIN
    assert "1357" not in page
    assert "43.31000, 45.69000" in page
    assert "Lighthouse" in page
    assert login(world.stranger).get(detail(alert)).status_code == 404
