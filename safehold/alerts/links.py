"""One-tap acknowledgement links: signed, single-purpose and expiring.

The link names one notification, so it speaks for one member about one alert and
nothing else; it needs no login because a responder may be on a borrowed phone.
"""

from __future__ import annotations

import datetime
import functools
import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

ACK_SALT = "safehold.alerts.acknowledge"
ACK_LINK_LIFETIME = datetime.timedelta(hours=24)


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=ACK_SALT)


def ack_token(notification_id: uuid.UUID) -> str:
    """Return the signed token for a notification's acknowledgement link."""
    return _signer().sign(notification_id.hex)


def notification_id_from(token: str) -> uuid.UUID | None:
    """Return the notification a token names, or None if forged, expired or malformed."""
    try:
        return uuid.UUID(_signer().unsign(token, max_age=ACK_LINK_LIFETIME))
    except (signing.BadSignature, ValueError):
        return None


@functools.cache
def _link_prefix(base_url: str) -> str:
    # reverse() once: a burst of alerts builds thousands of links.
    marker = "TOKEN"
    path = reverse("alert_ack_link", kwargs={"token": marker})
    return base_url.rstrip("/") + path.replace(marker + "/", "")


def ack_url(notification_id: uuid.UUID) -> str:
    return f"{_link_prefix(settings.SAFEHOLD_BASE_URL)}{ack_token(notification_id)}/"
