"""Real local servers for integration tests: an SMTP sink and an HTTP receiver.

Both listen on 127.0.0.1 only, on a free port, and collect what they receive so a test
can assert on it. They work as pytest fixtures (`smtp_sink`, `http_receiver`; this module
is loaded as a pytest plugin) and as plain context managers, so a test that starts the
worker as a subprocess can point it at them too:

    with SmtpSink() as sink:
        deliver(sink.url("someone@example.org"), message)
        [mail] = sink.wait_for(1)

`stop()` makes a server unreachable (connections are refused) and `start()` brings it
back on the same port, so a test can simulate an outage and a recovery.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Self, TypeVar
from urllib.parse import quote, urlencode

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"
SINK_SENDER = "safehold@localhost.test"

T = TypeVar("T")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class _Inbox(Generic[T]):
    """A thread-safe list that a test can wait on."""

    def __init__(self) -> None:
        self._items: list[T] = []
        self._changed = threading.Condition()

    def append(self, item: T) -> None:
        with self._changed:
            self._items.append(item)
            self._changed.notify_all()

    def snapshot(self) -> list[T]:
        with self._changed:
            return list(self._items)

    def clear(self) -> None:
        with self._changed:
            self._items.clear()

    def wait_for(self, count: int, timeout: float, what: str) -> list[T]:
        """Return the first `count` items once they are there; fail after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._items) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} {what} within {timeout}s, got {len(self._items)}"
                    )
                self._changed.wait(remaining)
            return list(self._items[:count])


# --- SMTP ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    """One message as the SMTP sink received it."""

    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    headers: dict[str, str]
    raw: bytes = field(repr=False)


class _SinkHandler:
    """aiosmtpd handler: store each message, or answer with the sink's canned reply."""

    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self._sink.rcpt_reply is not None:
            return self._sink.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._sink.data_reply is not None:
            return self._sink.data_reply
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        self._sink.inbox.append(_parse_mail(envelope, raw))
        return "250 Message accepted"


def _parse_mail(envelope: Envelope, raw: bytes) -> ReceivedMail:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    part = parsed.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""  # type: ignore[attr-defined]
    return ReceivedMail(
        sender=str(envelope.mail_from or ""),
        recipients=tuple(str(r) for r in envelope.rcpt_tos),
        subject=str(parsed.get("Subject", "")),
        body=str(body),
        headers={name: str(value) for name, value in parsed.items()},
        raw=raw,
    )


class SmtpSink:
    """An SMTP server on 127.0.0.1 that accepts (or refuses) every message.

    Plain SMTP: no TLS, no authentication. Set `rcpt_reply` or `data_reply` to an SMTP
    reply line (e.g. "550 5.1.1 No such user") to make it refuse recipients or data.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox: _Inbox[ReceivedMail] = _Inbox()
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[ReceivedMail]:
        return self.inbox.snapshot()

    @property
    def is_running(self) -> bool:
        return self._controller is not None

    def url(self, recipient: str, sender: str = SINK_SENDER) -> str:
        """Return the Apprise URL that mails `recipient` through this sink.

        `mode=insecure` keeps the session plain text (no STARTTLS) and the absent
        user/password means no AUTH; `smtp=` names the server, so the address in
        `to=` need not belong to it.
        """
        query = urlencode({"smtp": HOST, "mode": "insecure", "from": sender, "to": recipient})
        return f"mailto://{HOST}:{self.port}/?{query}"

    def start(self) -> Self:
        if self._controller is None:
            # aiosmtpd logs every command and line of data (addresses, bodies) at
            # INFO/DEBUG; tests that inspect the logs must see only the app's own.
            logging.getLogger("mail.log").setLevel(logging.WARNING)
            controller = Controller(
                _SinkHandler(self), hostname=HOST, port=self.port, ready_timeout=5
            )
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening; connections to the port are refused until `start()`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMail]:
        """Return the first `count` messages once received; fail after `timeout`."""
        return self.inbox.wait_for(count, timeout, "messages")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


# --- HTTP ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the HTTP receiver received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    receiver: HttpReceiver


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: _ReceiverServer

    def _handle(self) -> None:
        receiver = self.server.receiver
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if receiver.delay_seconds:
            # An Event rather than sleep so that stop() releases a hanging request.
            receiver.released.wait(receiver.delay_seconds)
        receiver.inbox.append(
            ReceivedRequest(
                method=self.command,
                path=self.path,
                headers={name: value for name, value in self.headers.items()},
                body=body,
            )
        )
        payload = b'{"ok": true}' if receiver.status < 300 else b'{"error": "test"}'
        try:
            self.send_response(receiver.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # The client gave up (a timeout test); nothing to answer.

    do_POST = do_PUT = do_GET = _handle

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read the inbox, not stderr."""


class HttpReceiver:
    """An HTTP server on 127.0.0.1 that records every request and answers `status`.

    Set `status` (e.g. 500, 401) to simulate a failing receiver and `delay_seconds` to
    make it hang before answering.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox: _Inbox[ReceivedRequest] = _Inbox()
        self.status = 200
        self.delay_seconds = 0.0
        self.released = threading.Event()
        self._server: _ReceiverServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def requests(self) -> list[ReceivedRequest]:
        return self.inbox.snapshot()

    @property
    def is_running(self) -> bool:
        return self._server is not None

    def url(self, path: str = "/hook") -> str:
        """Return the Apprise `json://` URL that posts to `path` on this receiver."""
        return f"json://{HOST}:{self.port}{quote(path)}"

    def http_url(self, path: str = "/hook") -> str:
        return f"http://{HOST}:{self.port}{quote(path)}"

    def start(self) -> Self:
        if self._server is None:
            self.released.clear()
            server = _ReceiverServer((HOST, self.port), _ReceiverHandler)
            server.receiver = self
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening; connections to the port are refused until `start()`."""
        if self._server is not None:
            self.released.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """Return the first `count` requests once received; fail after `timeout`."""
        return self.inbox.wait_for(count, timeout, "requests")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


# --- pytest fixtures -----------------------------------------------------------------


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A running SMTP sink on 127.0.0.1, stopped after the test."""
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    """A running HTTP receiver on 127.0.0.1 answering 200, stopped after the test."""
    with HttpReceiver() as receiver:
        yield receiver
