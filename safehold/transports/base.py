"""What every transport speaks: the message it carries, its report, and its one error.

A transport delivers one message to one destination, or raises `TransportError`; it
never decides who is told. Whether to try again is the caller's decision, made from
`TransportError.permanent`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# The key travels in mail headers and HTTP headers, so it must not be able to carry a
# line break or anything a receiver would have to unquote.
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


class FailureKind(StrEnum):
    """Why a delivery failed, as a short machine-readable reason."""

    # The channel URL is malformed, unknown to us, or refused (permanent).
    BAD_URL = "bad_url"
    # The receiver said no: HTTP 4xx other than 408/429, SMTP 5xx, login refused
    # (permanent: the same message would be refused again).
    REJECTED = "rejected"
    # Nothing listens on the receiver's port (temporary).
    REFUSED = "refused"
    # The receiver's name did not resolve or its network is unreachable (temporary).
    UNREACHABLE = "unreachable"
    # No answer within the time limit (temporary; the message may still arrive).
    TIMEOUT = "timeout"
    # The receiver is overloaded or down: HTTP 5xx, 408, 429, SMTP 4xx (temporary).
    UNAVAILABLE = "unavailable"
    # The TLS handshake or certificate check failed (temporary).
    TLS = "tls"
    # Anything else (temporary, so it is tried again rather than dropped).
    FAILED = "failed"


class TransportError(Exception):
    """A message was not delivered.

    `permanent` says whether sending the same message again can succeed; `kind` is a
    `FailureKind` value; `status` is the receiver's HTTP or SMTP reply code when there
    was one. The text names only the transport, the kind and the code: never the
    channel URL, an address or the message.
    """

    def __init__(
        self, kind: FailureKind, *, permanent: bool, transport: str = "", status: int | None = None
    ) -> None:
        self.kind: str = str(kind)
        self.permanent = permanent
        self.transport = transport
        self.status = status
        reply = f" (reply {status})" if status is not None else ""
        lasting = "permanent" if permanent else "temporary"
        super().__init__(f"{transport or 'channel'} delivery failed: {self.kind}{reply}, {lasting}")


@dataclass(frozen=True)
class Message:
    """One notification. `idempotency_key` identifies it across retries, so a receiver
    that gets it twice (a retry after a timeout that had in fact arrived) can tell."""

    title: str
    body: str
    idempotency_key: str
    # A reply to a person's own phone carries no reference line: to whoever reads it
    # over their shoulder it should look like any short text.
    show_reference: bool = True

    def __post_init__(self) -> None:
        if not _IDEMPOTENCY_KEY.fullmatch(self.idempotency_key):
            raise ValueError(
                "The idempotency key must be 1-128 letters, digits or . _ : - characters."
            )

    @property
    def body_with_reference(self) -> str:
        """Return the body with the key as its last line, for receivers that show only text."""
        if not self.show_reference:
            return self.body
        return f"{self.body.rstrip()}\n\nRef: {self.idempotency_key}"


@dataclass(frozen=True)
class DeliveryReport:
    """A message the receiver accepted: which kind of transport, and how long it took."""

    elapsed_ms: float
    transport: str
