"""Apprise's log lines for a failed send decide whether trying again can help."""

from __future__ import annotations

import pytest

from safehold.transports.apprise_channel import classify_failure
from safehold.transports.base import FailureKind

# Lines as Apprise 2.x writes them (captured from real failures against local servers).
CASES = [
    (
        ["Failed to send JSON POST notification: Internal server error., error=500."],
        FailureKind.UNAVAILABLE,
        False,
        500,
    ),
    (["Failed to send JSON POST notification: error=429."], FailureKind.UNAVAILABLE, False, 429),
    (
        ["Failed to send JSON POST notification: Verification Failed., error=401."],
        FailureKind.REJECTED,
        True,
        401,
    ),
    (
        ["Failed to send Slack notification: Not Found., error=404."],
        FailureKind.REJECTED,
        True,
        404,
    ),
    (["Failed to send JSON POST notification: error=301."], FailureKind.REJECTED, True, 301),
    (
        [
            "Socket Exception: {'bob@example.org': (550, b'5.1.1 no such user')}",
            'Sending email to "bob@example.org" failed.',
        ],
        FailureKind.REJECTED,
        True,
        550,
    ),
    (["Socket Exception: (535, b'5.7.8 Authentication failed')"], FailureKind.REJECTED, True, 535),
    (["Socket Exception: (451, b'4.3.0 try later')"], FailureKind.UNAVAILABLE, False, 451),
    (
        ["SMTP recipient a@example.org was refused: 452 mailbox full"],
        FailureKind.UNAVAILABLE,
        False,
        452,
    ),
    (
        [
            'Connection error while submitting email to "127.0.0.1"',
            "Socket Exception: [Errno 111] Connection refused",
        ],
        FailureKind.REFUSED,
        False,
        None,
    ),
    (
        [
            "Socket Exception: HTTPConnectionPool(host='127.0.0.1', port=4): Max retries exceeded "
            'with url: /x (Caused by NewConnectionError("...: Failed to establish a new '
            'connection: [Errno 111] Connection refused"))'
        ],
        FailureKind.REFUSED,
        False,
        None,
    ),
    (
        [
            "Socket Exception: HTTPConnectionPool(host='127.0.0.1', port=4): Read timed out. "
            "(read timeout=1.0)"
        ],
        FailureKind.TIMEOUT,
        False,
        None,
    ),
    (
        ["Socket Exception: Connection unexpectedly closed: timed out"],
        FailureKind.TIMEOUT,
        False,
        None,
    ),
    (
        [
            "Socket Exception: ... Failed to resolve 'nonexistent.invalid' ([Errno -2] Name or "
            "service not known)"
        ],
        FailureKind.UNREACHABLE,
        False,
        None,
    ),
    (
        ["Socket Exception: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"],
        FailureKind.TLS,
        False,
        None,
    ),
    (
        ["Socket Exception: STARTTLS extension not supported by server."],
        FailureKind.REJECTED,
        True,
        None,
    ),
    # The STARTTLS progress line alone says nothing about a failure.
    (["Securing connection with STARTTLS..."], FailureKind.FAILED, False, None),
    ([], FailureKind.FAILED, False, None),
]


@pytest.mark.parametrize(("lines", "kind", "permanent", "status"), CASES)
def test_it_classifies_the_failure(
    lines: list[str], kind: FailureKind, permanent: bool, status: int | None
) -> None:
    assert classify_failure(lines) == (kind, permanent, status)
