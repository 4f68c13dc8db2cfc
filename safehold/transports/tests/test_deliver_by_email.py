"""Delivering to a real SMTP server on 127.0.0.1 through a mailto:// channel URL."""

from __future__ import annotations

import time

import pytest

from safehold.testing_servers import SmtpSink
from safehold.transports.apprise_channel import IDEMPOTENCY_HEADER, deliver
from safehold.transports.base import FailureKind, Message, TransportError

pytestmark = pytest.mark.slow

MESSAGE = Message(
    title="Check-in overdue",
    body="Nobody has checked in for route 7.",
    idempotency_key="alert-17.1",
)


def test_the_message_arrives_with_its_title_body_and_reference(smtp_sink: SmtpSink) -> None:
    report = deliver(smtp_sink.url("duty@example.org"), MESSAGE, timeout_seconds=5)

    [mail] = smtp_sink.wait_for(1)
    assert mail.recipients == ("duty@example.org",)
    assert mail.subject == "Check-in overdue"
    lines = mail.body.strip().splitlines()
    assert lines[0] == "Nobody has checked in for route 7."
    assert lines[-1] == "Ref: alert-17.1"
    assert report.transport == "mailto"
    assert report.elapsed_ms > 0


def test_the_reference_also_travels_as_a_mail_header(smtp_sink: SmtpSink) -> None:
    deliver(smtp_sink.url("duty@example.org"), MESSAGE, timeout_seconds=5)

    [mail] = smtp_sink.wait_for(1)
    assert mail.headers[IDEMPOTENCY_HEADER] == "alert-17.1"


def test_a_stopped_server_is_a_temporary_refusal_and_a_restarted_one_accepts(
    smtp_sink: SmtpSink,
) -> None:
    url = smtp_sink.url("duty@example.org")
    smtp_sink.stop()

    with pytest.raises(TransportError) as caught:
        deliver(url, MESSAGE, timeout_seconds=5)
    assert caught.value.permanent is False
    assert caught.value.kind == FailureKind.REFUSED

    smtp_sink.start()
    deliver(url, MESSAGE, timeout_seconds=5)
    assert len(smtp_sink.wait_for(1)) == 1


def test_a_recipient_the_server_refuses_is_a_permanent_rejection(smtp_sink: SmtpSink) -> None:
    smtp_sink.rcpt_reply = "550 5.1.1 No such mailbox"

    with pytest.raises(TransportError) as caught:
        deliver(smtp_sink.url("gone@example.org"), MESSAGE, timeout_seconds=5)

    assert caught.value.permanent is True
    assert caught.value.kind == FailureKind.REJECTED
    assert caught.value.status == 550
    assert smtp_sink.messages == []


def test_a_server_that_asks_to_try_later_is_a_temporary_failure(smtp_sink: SmtpSink) -> None:
    smtp_sink.data_reply = "451 4.3.0 Try again later"

    with pytest.raises(TransportError) as caught:
        deliver(smtp_sink.url("duty@example.org"), MESSAGE, timeout_seconds=5)

    assert caught.value.permanent is False
    assert caught.value.kind == FailureKind.UNAVAILABLE
    assert caught.value.status == 451


def test_ten_sends_in_a_row_are_not_throttled(smtp_sink: SmtpSink) -> None:
    started = time.monotonic()
    for number in range(10):
        message = Message(title=f"Alert {number}", body="Body", idempotency_key=f"k-{number}")
        deliver(smtp_sink.url(f"person{number}@example.org"), message, timeout_seconds=5)
    elapsed = time.monotonic() - started

    mails = smtp_sink.wait_for(10)
    print(f"10 e-mails delivered in {elapsed:.2f}s")
    assert sorted(m.subject for m in mails) == sorted(f"Alert {n}" for n in range(10))
    # Apprise's e-mail plugin otherwise waits 5.5 s between sends of one object.
    assert elapsed < 5.5
