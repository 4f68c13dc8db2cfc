"""SMS through an SMS Gateway for Android server: smsgate:// and smsgates:// channel URLs.

The gateway is played by the real HTTP receiver on 127.0.0.1; nothing leaves the machine.
"""

from __future__ import annotations

import base64
import logging
import time

import pytest
from apprise import Apprise, AppriseResult
from apprise.manager_plugins import NotificationManager

from safehold.testing_servers import HttpReceiver
from safehold.transports import smsgate
from safehold.transports.apprise_channel import (
    InvalidChannelURL,
    _build_service,
    _notify_within,
    classify_failure,
    deliver,
    validate_channel_url,
)
from safehold.transports.base import FailureKind, Message, TransportError

MESSAGE = Message(
    title="Тревога: отметка просрочена",
    body="Анна не отметилась на маршруте 7.",
    idempotency_key="alert-42.1",
)
PASSWORD = "s3cr3t-pa55"
PHONE = "+79161234567"
OTHER_PHONE = "+79031234567"


def _gateway_url(receiver: HttpReceiver, *targets: str, query: str = "") -> str:
    path = "/".join(targets or (PHONE,))
    return f"smsgate://sms:{PASSWORD}@127.0.0.1:{receiver.port}/{path}{query}"


def _lines(result: AppriseResult) -> list[str]:
    return [entry.message for item in result for attempt in item.attempts for entry in attempt.logs]


def _service(url: str) -> smsgate.NotifySMSGate:
    _scheme, service = _build_service(url, timeout_seconds=5, message=None)
    assert isinstance(service, smsgate.NotifySMSGate)
    return service


# --- Sending -----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_sms_is_posted_to_the_gateways_messages_endpoint(
    http_receiver: HttpReceiver,
) -> None:
    http_receiver.status = 202  # what the gateway answers: queued on the phone

    report = deliver(_gateway_url(http_receiver), MESSAGE, timeout_seconds=5)

    [request] = http_receiver.wait_for(1)
    credentials = base64.b64encode(f"sms:{PASSWORD}".encode()).decode()
    assert request.method == "POST"
    assert request.path == "/messages"
    assert request.headers["Authorization"] == f"Basic {credentials}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {
        "textMessage": {
            "text": "Тревога: отметка просрочена\n"
            "Анна не отметилась на маршруте 7.\n\nRef: alert-42.1"
        },
        "phoneNumbers": [PHONE],
    }
    assert report.transport == "smsgate"


@pytest.mark.slow
def test_one_request_carries_every_recipient_in_e164_form(http_receiver: HttpReceiver) -> None:
    url = _gateway_url(http_receiver, "+7-916-123-45-67", "89031234567", PHONE, query="?region=ru")

    deliver(url, MESSAGE, timeout_seconds=5)

    [request] = http_receiver.wait_for(1)
    assert request.json()["phoneNumbers"] == [PHONE, OTHER_PHONE]


@pytest.mark.slow
def test_a_path_prefix_priority_and_sim_reach_the_gateway(http_receiver: HttpReceiver) -> None:
    url = _gateway_url(http_receiver, query="?path=/3rdparty/v1/&priority=100&sim=2")

    deliver(url, MESSAGE, timeout_seconds=5)

    [request] = http_receiver.wait_for(1)
    document = request.json()
    assert request.path == "/3rdparty/v1/messages"
    assert document["priority"] == 100
    assert document["simNumber"] == 2


@pytest.mark.slow
@pytest.mark.parametrize("status", [401, 403, 400])
def test_refused_credentials_or_request_are_a_permanent_rejection(
    http_receiver: HttpReceiver, status: int
) -> None:
    http_receiver.status = status

    with pytest.raises(TransportError) as caught:
        deliver(_gateway_url(http_receiver), MESSAGE, timeout_seconds=5)

    assert caught.value.kind == FailureKind.REJECTED
    assert caught.value.permanent is True
    assert caught.value.status == status
    assert str(caught.value) == f"smsgate delivery failed: rejected (reply {status}), permanent"


@pytest.mark.slow
@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_gateway_error_is_temporary(http_receiver: HttpReceiver, status: int) -> None:
    http_receiver.status = status

    with pytest.raises(TransportError) as caught:
        deliver(_gateway_url(http_receiver), MESSAGE, timeout_seconds=5)

    assert caught.value.kind == FailureKind.UNAVAILABLE
    assert caught.value.permanent is False
    assert caught.value.status == status


@pytest.mark.slow
def test_a_gateway_that_is_off_is_a_temporary_refusal(http_receiver: HttpReceiver) -> None:
    url = _gateway_url(http_receiver)
    http_receiver.stop()

    with pytest.raises(TransportError) as caught:
        deliver(url, MESSAGE, timeout_seconds=5)

    assert caught.value.kind == FailureKind.REFUSED
    assert caught.value.permanent is False


@pytest.mark.slow
def test_the_plugin_gives_up_when_its_socket_times_out(http_receiver: HttpReceiver) -> None:
    http_receiver.delay_seconds = 10
    _scheme, service = _build_service(
        _gateway_url(http_receiver), timeout_seconds=0.5, message=None
    )

    started = time.monotonic()
    result = _notify_within(service, MESSAGE, 5, "smsgate")
    elapsed = time.monotonic() - started

    assert not result
    assert classify_failure(_lines(result)) == (FailureKind.TIMEOUT, False, None)
    assert elapsed < 3


# --- Logs ----------------------------------------------------------------------------------


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("apprise", "urllib3", "requests", "safehold"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _logged_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)


@pytest.mark.slow
@pytest.mark.parametrize("status", [202, 401, 500])
def test_no_password_phone_or_text_reaches_the_logs(
    http_receiver: HttpReceiver, everything_logged: pytest.LogCaptureFixture, status: int
) -> None:
    http_receiver.status = status

    try:
        deliver(_gateway_url(http_receiver, PHONE, OTHER_PHONE), MESSAGE, timeout_seconds=5)
    except TransportError:
        pass

    http_receiver.wait_for(1)
    logged = _logged_text(everything_logged)
    assert "transport=smsgate" in logged
    for secret in (PASSWORD, "9161234567", "9031234567", "Анна", "alert-42.1"):
        assert secret not in logged


@pytest.mark.slow
def test_the_plugins_own_lines_give_the_failure_and_no_recipient(
    http_receiver: HttpReceiver,
) -> None:
    http_receiver.status = 401
    service = _service(_gateway_url(http_receiver, PHONE, OTHER_PHONE))

    result = _notify_within(service, MESSAGE, 5, "smsgate")

    lines = _lines(result)
    assert any("SMSGate POST to 2 recipient(s)" in line for line in lines)  # DEBUG is captured
    assert any("error=401." in line for line in lines)
    for secret in (PASSWORD, "9161234567", "9031234567", "Анна"):
        assert not [line for line in lines if secret in line]


# --- Channel URLs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("smsgate://sms:pw@192.168.1.20:8080/+79161234567/+79031234567", "smsgate"),
        ("smsgates://user:pw@api.sms-gate.app/+79161234567", "smsgates"),
        ("smsgates://user:pw@sms.example.org/+79161234567?path=/api/3rdparty/v1", "smsgates"),
        ("smsgate://sms:pw@192.168.1.20:8080/89161234567?region=RU", "smsgate"),
    ],
)
def test_it_accepts_gateway_urls(url: str, scheme: str) -> None:
    assert validate_channel_url(url) == scheme


@pytest.mark.parametrize(
    "url",
    [
        "smsgate://",
        "smsgate://sms:pw@192.168.1.20:8080",
        "smsgate://sms:pw@192.168.1.20:8080/",
        "smsgate://192.168.1.20:8080/+79161234567",
        "smsgate://sms@192.168.1.20:8080/+79161234567",
        "smsgate://sms:pw@192.168.1.20:8080/+7123",
        "smsgate://sms:pw@192.168.1.20:8080/+79161234567/not-a-phone",
        # A national number needs the country it belongs to.
        "smsgate://sms:pw@192.168.1.20:8080/89161234567",
        "smsgate://sms:pw@192.168.1.20:8080/89161234567?region=Russia",
        "smsgate://sms:pw@192.168.1.20:8080/+79161234567?region=ZZ",
        "smsgate://sms:pw@192.168.1.20:8080/+79161234567?path=/a%20b",
        "smsgate://sms:pw@192.168.1.20:8080/+79161234567?priority=urgent",
        "smsgate://sms:pw@192.168.1.20:8080/+79161234567?priority=128",
        "smsgate://sms:pw@192.168.1.20:8080/+79161234567?sim=4",
        "smsgate://sms:pw@192.168.1.20:99999/+79161234567",
    ],
)
def test_it_refuses_incomplete_or_invalid_gateway_urls(url: str) -> None:
    with pytest.raises(InvalidChannelURL) as caught:
        validate_channel_url(url)
    assert caught.value.code == "malformed"


def test_the_refusal_names_no_number_or_password() -> None:
    with pytest.raises(InvalidChannelURL) as caught:
        validate_channel_url(f"smsgate://sms:{PASSWORD}@192.168.1.20/+7916123")
    for part in (PASSWORD, "7916123", "192.168.1.20"):
        assert part not in str(caught.value)
        assert part not in repr(caught.value.__context__)


def test_the_cloud_server_gets_its_api_prefix_by_default() -> None:
    cloud = _service("smsgates://user:pw@api.sms-gate.app/+79161234567")
    private = _service("smsgates://user:pw@sms.example.org/+79161234567?path=/api/3rdparty/v1")
    local = _service("smsgate://sms:pw@192.168.1.20:8080/+79161234567")

    assert cloud.endpoint == "https://api.sms-gate.app/3rdparty/v1/messages"
    assert private.endpoint == "https://sms.example.org/api/3rdparty/v1/messages"
    assert local.endpoint == "http://192.168.1.20:8080/messages"


def test_its_url_round_trips_and_masks_secrets_in_privacy_mode() -> None:
    service = _service(
        f"smsgate://sms:{PASSWORD}@192.168.1.20:8080/+79161234567/89031234567"
        "?region=ru&path=/api&priority=100&sim=2"
    )

    again = Apprise.instantiate(service.url())
    private = service.url(privacy=True)

    assert isinstance(again, smsgate.NotifySMSGate)
    assert again.targets == [PHONE, OTHER_PHONE]
    assert (again.endpoint, again.priority, again.sim) == (service.endpoint, 100, 2)
    assert again.url_identifier == service.url_identifier
    for secret in (PASSWORD, "9161234567", "9031234567"):
        assert secret not in private


def test_registering_replaces_another_plugin_that_claims_the_schemes() -> None:
    manager = NotificationManager()

    class Impostor(smsgate.NotifySMSGate):
        pass

    manager.add(Impostor, force=True)
    try:
        smsgate.register(manager)
        smsgate.register(manager)

        assert manager["smsgate"] is smsgate.NotifySMSGate
        assert manager["smsgates"] is smsgate.NotifySMSGate
        assert isinstance(
            Apprise.instantiate("smsgate://sms:pw@192.168.1.20/+79161234567"),
            smsgate.NotifySMSGate,
        )
    finally:
        manager.add(smsgate.NotifySMSGate, force=True)
