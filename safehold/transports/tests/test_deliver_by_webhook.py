"""Delivering to a real HTTP receiver on 127.0.0.1 through a json:// channel URL."""

from __future__ import annotations

import time

import pytest

from safehold.testing_servers import HttpReceiver
from safehold.transports.apprise_channel import IDEMPOTENCY_FIELD, IDEMPOTENCY_HEADER, deliver
from safehold.transports.base import FailureKind, Message, TransportError

pytestmark = pytest.mark.slow

MESSAGE = Message(
    title="Check-in overdue",
    body="Nobody has checked in for route 7.",
    idempotency_key="alert-17.1",
)


def test_the_message_arrives_with_its_idempotency_key(http_receiver: HttpReceiver) -> None:
    report = deliver(http_receiver.url("/hooks/team"), MESSAGE, timeout_seconds=5)

    [request] = http_receiver.wait_for(1)
    document = request.json()
    assert request.method == "POST"
    assert request.path == "/hooks/team"
    assert document["title"] == "Check-in overdue"
    assert document["message"].splitlines()[0] == "Nobody has checked in for route 7."
    assert document["message"].splitlines()[-1] == "Ref: alert-17.1"
    assert document[IDEMPOTENCY_FIELD] == "alert-17.1"
    assert request.headers[IDEMPOTENCY_HEADER] == "alert-17.1"
    assert report.transport == "json"


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_a_server_error_or_throttling_is_temporary(
    http_receiver: HttpReceiver, status: int
) -> None:
    http_receiver.status = status

    with pytest.raises(TransportError) as caught:
        deliver(http_receiver.url(), MESSAGE, timeout_seconds=5)

    assert caught.value.permanent is False
    assert caught.value.kind == FailureKind.UNAVAILABLE
    assert caught.value.status == status


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_a_refusal_by_the_receiver_is_permanent(http_receiver: HttpReceiver, status: int) -> None:
    http_receiver.status = status

    with pytest.raises(TransportError) as caught:
        deliver(http_receiver.url(), MESSAGE, timeout_seconds=5)

    assert caught.value.permanent is True
    assert caught.value.kind == FailureKind.REJECTED
    assert caught.value.status == status


def test_a_stopped_receiver_is_a_temporary_refusal(http_receiver: HttpReceiver) -> None:
    url = http_receiver.url()
    http_receiver.stop()

    with pytest.raises(TransportError) as caught:
        deliver(url, MESSAGE, timeout_seconds=5)

    assert caught.value.permanent is False
    assert caught.value.kind == FailureKind.REFUSED


def test_a_receiver_that_hangs_times_out_near_the_deadline(http_receiver: HttpReceiver) -> None:
    http_receiver.delay_seconds = 10
    timeout = 0.5

    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        deliver(http_receiver.url(), MESSAGE, timeout_seconds=timeout)
    elapsed = time.monotonic() - started

    print(f"gave up after {elapsed:.2f}s (timeout {timeout}s)")
    assert caught.value.kind == FailureKind.TIMEOUT
    assert caught.value.permanent is False
    assert elapsed < 3 * timeout


def test_the_error_text_names_no_url_path_or_message(http_receiver: HttpReceiver) -> None:
    http_receiver.status = 401
    url = http_receiver.url("/hooks/s3cr3t-t0ken")

    with pytest.raises(TransportError) as caught:
        deliver(url, MESSAGE, timeout_seconds=5)

    text = str(caught.value)
    assert text == "json delivery failed: rejected (reply 401), permanent"
    for secret in ("s3cr3t", "127.0.0.1", str(http_receiver.port), "route 7"):
        assert secret not in text
