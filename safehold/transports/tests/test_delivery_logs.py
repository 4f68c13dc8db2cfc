"""Nothing a send handles (URL, address, path, token, message) reaches the logs.

Apprise logs recipients at INFO and URLs and payloads at DEBUG, and urllib3 logs each
request line (path and query) at DEBUG; these tests listen at DEBUG on every logger.
"""

from __future__ import annotations

import logging

import pytest

from safehold.testing_servers import HttpReceiver, SmtpSink
from safehold.transports.apprise_channel import deliver
from safehold.transports.base import Message, TransportError

pytestmark = pytest.mark.slow

BODY = "Amina Leakcheck is at the Harbour Road safe house"
MESSAGE = Message(title="Placement of Amina", body=BODY, idempotency_key="place-9")
SECRETS = ("Amina", "Leakcheck", "Harbour", "t0psecret", "duty.officer", "127.0.0.1", "place-9")


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("apprise", "urllib3", "urllib3.connectionpool", "requests", "safehold"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _assert_nothing_sensitive(caplog: pytest.LogCaptureFixture, *more: str) -> None:
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        for secret in (*SECRETS, *more):
            assert secret not in text, f"{record.name} logged {secret!r}: {text!r}"


def _transport_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "safehold.transports.apprise_channel"
    ]


def test_a_successful_webhook_send_logs_only_scheme_and_time(
    http_receiver: HttpReceiver, everything_logged: pytest.LogCaptureFixture
) -> None:
    deliver(http_receiver.url("/hooks/t0psecret"), MESSAGE, timeout_seconds=5)

    http_receiver.wait_for(1)
    _assert_nothing_sensitive(everything_logged, str(http_receiver.port))
    [line] = _transport_lines(everything_logged)
    assert line.startswith("delivered transport=json elapsed_ms=")


def test_a_failed_webhook_send_logs_only_scheme_kind_and_time(
    http_receiver: HttpReceiver, everything_logged: pytest.LogCaptureFixture
) -> None:
    http_receiver.status = 500

    with pytest.raises(TransportError):
        deliver(http_receiver.url("/hooks/t0psecret"), MESSAGE, timeout_seconds=5)

    _assert_nothing_sensitive(everything_logged, str(http_receiver.port))
    [line] = _transport_lines(everything_logged)
    assert line.startswith(
        "delivery failed transport=json kind=unavailable permanent=False status=500"
    )


def test_an_email_send_logs_no_address_or_text(
    smtp_sink: SmtpSink, everything_logged: pytest.LogCaptureFixture
) -> None:
    deliver(smtp_sink.url("duty.officer@example.org"), MESSAGE, timeout_seconds=5)
    smtp_sink.rcpt_reply = "550 5.1.1 No such mailbox"
    with pytest.raises(TransportError):
        deliver(smtp_sink.url("duty.officer@example.org"), MESSAGE, timeout_seconds=5)

    smtp_sink.wait_for(1)
    _assert_nothing_sensitive(everything_logged, str(smtp_sink.port))
    assert len(_transport_lines(everything_logged)) == 2


def test_a_refused_connection_logs_no_url(
    smtp_sink: SmtpSink, everything_logged: pytest.LogCaptureFixture
) -> None:
    url = smtp_sink.url("duty.officer@example.org")
    smtp_sink.stop()

    with pytest.raises(TransportError):
        deliver(url, MESSAGE, timeout_seconds=5)

    _assert_nothing_sensitive(everything_logged, str(smtp_sink.port))


def test_nothing_is_printed_to_stderr_either(
    http_receiver: HttpReceiver, capfd: pytest.CaptureFixture[str]
) -> None:
    http_receiver.status = 403
    with pytest.raises(TransportError):
        deliver(http_receiver.url("/hooks/t0psecret"), MESSAGE, timeout_seconds=5)

    captured = capfd.readouterr()
    for secret in (*SECRETS, str(http_receiver.port)):
        assert secret not in captured.err
        assert secret not in captured.out
