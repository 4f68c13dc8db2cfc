"""The gateways' webhooks, driven over real HTTP: signed, forged, retried and malformed."""

from __future__ import annotations

import datetime
import logging
import time

import pytest
from django.utils import timezone

from safehold.alerts.models import Alert, AlertKind, AlertState, Notification, Reply
from safehold.alerts.worker import Worker
from safehold.cases.models import Person
from safehold.checkins.models import Checkin, Outcome
from safehold.crypto.envelope import blind_index
from safehold.inbound.actions import LINK_CODE_PURPOSE
from safehold.inbound.models import Handling, InboundMessage, LinkCode, Sender
from safehold.inbound.tests.scenario import (
    DURESS_PIN,
    MEMBER_PHONE,
    PIN,
    STRANGER_PHONE,
    Network,
    build_network,
    telegram_update,
)
from safehold.testing import World
from safehold.testing_servers import HttpReceiver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def net(transactional_db: None, live_server, world: World, http_receiver: HttpReceiver) -> Network:  # type: ignore[no-untyped-def]
    return build_network(world, live_server.url, http_receiver)


def run_worker(at: datetime.datetime | None = None) -> None:
    worker = Worker(name="test", pool_size=4)
    try:
        while worker.tick(at or timezone.now()).did_work:
            pass
    finally:
        worker.pool.shutdown()


def replies_to(net: Network, kind: str) -> list[str]:
    return [
        r.json()["message"] for r in net.receiver.requests if r.path.startswith(f"/replies/{kind}")
    ]


# --- Twilio ------------------------------------------------------------------------


def test_a_signed_check_in_by_sms_is_recorded_and_answered_without_the_pin(net: Network) -> None:
    response = net.twilio_post(f"OK {PIN}")

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert b"<Response" in response.body
    assert Checkin.objects.get(person=net.world.person).outcome == Outcome.OK
    run_worker()
    [reply] = replies_to(net, "twilio")
    assert PIN not in reply
    assert "Ref:" not in reply


def test_the_duress_pin_by_sms_answers_exactly_like_the_normal_one(net: Network) -> None:
    normal = net.twilio_post(f"ок {PIN}", sid="SM-normal")
    duress = net.twilio_post(f"ок {DURESS_PIN}", sid="SM-duress")

    assert (normal.status, normal.body) == (duress.status, duress.body)
    outcomes = sorted(Checkin.objects.values_list("outcome", flat=True))
    assert outcomes == [Outcome.DURESS, Outcome.OK]
    run_worker()
    first, second = replies_to(net, "twilio")
    assert first == second
    assert Alert.objects.get(kind=AlertKind.DURESS).person == net.world.person


def test_a_forged_twilio_request_is_refused_and_changes_nothing(net: Network) -> None:
    response = net.twilio_post(f"OK {PIN}", forge=True)

    assert response.status == 403
    assert not Checkin.objects.exists()
    assert not InboundMessage.objects.exists()


def test_a_retried_twilio_delivery_is_acted_on_once(net: Network) -> None:
    assert net.twilio_post("SOS", sid="SM-same").status == 200
    assert net.twilio_post("SOS", sid="SM-same").status == 200

    assert InboundMessage.objects.count() == 1
    assert Alert.objects.filter(kind=AlertKind.PANIC).count() == 1


# --- SMS Gateway for Android -----------------------------------------------------


def test_one_word_by_sms_wakes_every_responder_on_every_channel(net: Network) -> None:
    response = net.android_post(net.android_event("Помогите!"))

    assert response.status in (200, 204)
    alert = Alert.objects.get(kind=AlertKind.PANIC)
    assert alert.person == net.world.person
    assert alert.context["messages"][0]["text"] == "Помогите!"
    run_worker()
    paths = {r.path for r in net.receiver.requests}
    assert {"/coordinator", "/responder-1", "/responder-2"} <= paths
    # Nothing in a notification names the person beyond the codename, or the channel.
    for request in net.receiver.requests:
        if request.path.startswith("/responder"):
            assert "Ruslan" not in request.body.decode()
            assert "Помогите" not in request.body.decode()


def test_two_identical_cries_are_two_messages_on_one_timeline(net: Network) -> None:
    net.android_post(net.android_event("SOS", event_id="ev-1"))
    net.android_post(net.android_event("SOS", event_id="ev-2"))

    assert InboundMessage.objects.filter(handling=Handling.PANIC).count() == 2
    alert = Alert.objects.get(kind=AlertKind.PANIC)
    assert len(alert.context["messages"]) == 2


def test_a_retried_android_event_is_acted_on_once(net: Network) -> None:
    body = net.android_event("SOS", event_id="ev-same")
    net.android_post(body)
    net.android_post(body)  # a retry: new timestamp, same event

    assert InboundMessage.objects.count() == 1


@pytest.mark.parametrize(
    "tamper",
    ["key", "body", "stale", "future"],
)
def test_an_android_request_that_proves_nothing_is_refused(net: Network, tamper: str) -> None:
    body = net.android_event("SOS")
    if tamper == "key":
        response = net.android_post(body, key="not-the-key")
    elif tamper == "body":
        stamp = str(int(time.time()))
        from safehold.crypto.webhooks import android_gateway_signature
        from safehold.inbound.tests.scenario import ANDROID_KEY, post

        signature = android_gateway_signature(ANDROID_KEY, body, stamp)
        response = post(
            net.base_url + "/hooks/sms/android",
            body.replace(b"SOS", b"OK!"),
            {"X-Signature": signature, "X-Timestamp": stamp},
        )
    else:
        shift = -3600 if tamper == "stale" else 3600
        response = net.android_post(body, timestamp=int(time.time()) + shift)

    assert response.status == 403
    assert not Alert.objects.exists()


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[]", b'{"event": "sms:received"}', b"{" * 5000]
)
def test_a_signed_but_malformed_android_event_is_a_400(net: Network, body: bytes) -> None:
    assert net.android_post(body).status in (400, 413)


# --- Telegram -----------------------------------------------------------------------


def test_telegram_links_by_a_one_time_code_then_checks_in(net: Network) -> None:
    LinkCode.objects.create(
        organisation=net.world.organisation,
        code_index=blind_index(LINK_CODE_PURPOSE, "K7QX2MP"),
        person=net.world.person,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    assert net.telegram_post(telegram_update(1, 5551234, "/start k7qx2mp")).status == 200
    assert Sender.objects.get(person=net.world.person).kind == "telegram"

    assert net.telegram_post(telegram_update(2, 5551234, f"ok {PIN}")).status == 200
    checkin = Checkin.objects.get(person=net.world.person)
    assert (checkin.channel, checkin.outcome) == ("telegram", Outcome.OK)
    # The code works once.
    assert net.telegram_post(telegram_update(3, 999, "/start K7QX2MP")).status == 200
    assert Sender.objects.count() == 2  # the coordinator's phone and the one link


def test_a_wrong_telegram_secret_is_refused(net: Network) -> None:
    response = net.telegram_post(telegram_update(1, 5, "SOS"), secret="guess")

    assert response.status == 403
    assert not InboundMessage.objects.exists()


def test_telegram_location_reaches_the_panic(net: Network) -> None:
    Sender.objects.create(
        organisation=net.world.organisation, kind="telegram", address="777",
        address_index=blind_index("inbound-sender", "telegram:777"), person=net.world.person,
    )  # fmt: skip
    update = telegram_update(10, 777, "SOS", location={"latitude": 43.3, "longitude": 45.7})
    assert net.telegram_post(update).status == 200

    alert = Alert.objects.get(kind=AlertKind.PANIC)
    assert alert.context["messages"][0]["location"] == [43.3, 45.7]


@pytest.mark.parametrize(
    "body", [b"", b"{}", b'{"update_id": "x"}', b'{"update_id": 1, "message": {"chat": 5}}']
)
def test_a_malformed_telegram_update_is_a_400(net: Network, body: bytes) -> None:
    assert net.telegram_post(body).status == 400


# --- Responders ---------------------------------------------------------------------


def test_a_responder_acknowledges_by_sms_and_asks_for_status(net: Network) -> None:
    net.android_post(net.android_event("SOS", event_id="panic"))
    alert = Alert.objects.get(kind=AlertKind.PANIC)

    net.twilio_post("STATUS", sender=MEMBER_PHONE, sid="SM-status")
    net.twilio_post(f"ack {alert.code.lower()}", sender=MEMBER_PHONE, sid="SM-ack")

    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    assert alert.acknowledged_by == net.world.coordinator
    run_worker()
    status, ack = replies_to(net, "twilio")
    assert alert.code in status and "Falcon" in status
    assert alert.code in ack


# --- Strangers -----------------------------------------------------------------------


def test_a_cry_for_help_from_an_unknown_number_opens_an_intake_case(net: Network) -> None:
    net.twilio_post("помогите пожалуйста", sender=STRANGER_PHONE, sid="SM-stranger")

    alert = Alert.objects.get(kind=AlertKind.INTAKE)
    person = alert.person
    assert person.stage == "intake" and person.codename.startswith("SOS-")
    assert person.compartment == net.world.compartment
    run_worker()
    assert any(r.path == "/coordinator" for r in net.receiver.requests)


def test_anything_else_from_an_unknown_number_gets_no_answer(net: Network) -> None:
    people = Person.objects.count()
    net.twilio_post("Ваш код 4821. Акция!", sender=STRANGER_PHONE, sid="SM-spam")

    run_worker()
    assert Person.objects.count() == people
    assert not Alert.objects.exists()
    assert not Reply.objects.exists()


# --- The person's own page and the API -------------------------------------------------


def test_the_sos_button_raises_a_panic_and_the_page_looks_like_a_check_in(net: Network) -> None:
    from safehold.inbound.tests.scenario import post

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # The button posts to the page's own address: no "sos" in the browser's history.
    response = post(f"{net.base_url}/c/{net.link}/", b"send=1", form)

    assert response.status == 200
    assert 'name="send"' in response.body.decode()  # the button is there again
    assert Alert.objects.get(kind=AlertKind.PANIC).person == net.world.person


def test_the_panic_api_takes_a_location(net: Network) -> None:
    import json

    from safehold.inbound.tests.scenario import post

    body = json.dumps({"link": net.link, "text": "help", "latitude": 55.7, "longitude": 37.6})
    response = post(
        net.base_url + "/api/v1/panic", body.encode(), {"Content-Type": "application/json"}
    )

    assert response.status == 200
    assert Alert.objects.get(kind=AlertKind.PANIC).context["messages"][0]["location"] == [
        55.7,
        37.6,
    ]
    bad = json.dumps({"link": net.link, "latitude": 555, "longitude": 0}).encode()
    assert post(net.base_url + "/api/v1/panic", bad, {}).status == 400


# --- Panic repeats and logs ------------------------------------------------------------------


def test_a_panic_repeats_every_five_minutes_until_acknowledged(net: Network) -> None:
    net.android_post(net.android_event("SOS"))
    run_worker()
    first = Notification.objects.count()

    run_worker(timezone.now() + datetime.timedelta(minutes=5, seconds=1))
    assert Notification.objects.count() == 2 * first
    assert all(n.fixed_channel for n in Notification.objects.all())


def test_the_logs_say_nothing_of_the_message_or_the_number(net: Network, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    net.twilio_post(f"OK {PIN} помогите", sid="SM-log")
    net.android_post(net.android_event("помогите", sender=STRANGER_PHONE))

    text = caplog.text
    for secret in (PIN, "помогите", "9161234567", "9991112233", "LEAKCHECK"):
        assert secret not in text


# --- The person's own words, challenges and unusual channels --------------------------


def test_the_persons_own_words_check_in_and_call_for_help(net: Network) -> None:
    from safehold.inbound.actions import set_own_words

    set_own_words(
        net.world.person, actor=net.world.coordinator, checkin_words=["ромашка"],
        panic_words=["гроза"],
    )  # fmt: skip
    net.twilio_post(f"Ромашка! {PIN}", sid="SM-own-checkin")
    net.twilio_post("гроза", sid="SM-own-panic")

    assert Checkin.objects.get(person=net.world.person).outcome == Outcome.OK
    assert Alert.objects.get(kind=AlertKind.PANIC).person == net.world.person


def test_ok_alone_asks_for_two_digits_that_then_check_in(net: Network) -> None:
    import re

    net.twilio_post("OK", sid="SM-ask")
    run_worker()
    [question] = replies_to(net, "twilio")
    first, second = (int(n) for n in re.findall(r"\d", question))
    assert PIN not in question

    net.twilio_post(f"OK {PIN[first - 1]}{PIN[second - 1]}", sid="SM-answer")

    checkin = Checkin.objects.get(person=net.world.person)
    assert (checkin.outcome, checkin.channel) == (Outcome.OK, "sms")


def test_a_check_in_by_a_new_channel_raises_a_silent_alert(net: Network) -> None:
    from safehold.inbound.tests.scenario import post

    post(
        net.base_url + "/api/v1/checkin",
        f'{{"link": "{net.link}", "pin": "{PIN}", "request_id": "web-1"}}'.encode(),
        {"Content-Type": "application/json"},
    )
    net.twilio_post(f"OK {PIN}", sid="SM-new-channel")
    run_worker()

    alert = Alert.objects.get(kind=AlertKind.UNUSUAL)
    assert alert.person == net.world.person
    assert not Alert.objects.filter(kind=AlertKind.DURESS).exists()


def test_a_cry_from_a_stranger_goes_first_to_whoever_is_on_duty(net: Network) -> None:
    from safehold.alerts.models import DutyShift

    now = timezone.now()
    DutyShift.objects.create(
        compartment=net.world.compartment,
        member=net.world.responder,
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=1),
    )
    net.twilio_post("SOS", sender=STRANGER_PHONE, sid="SM-duty")
    run_worker()

    told = {r.path for r in net.receiver.requests if not r.path.startswith("/replies")}
    assert told == {"/responder-1"}  # the duty member's first channel; not yet the coordinator
