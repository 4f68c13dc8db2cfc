"""One-tap acknowledgement links: signed, single-purpose and expiring.

The link names one notification, so it speaks for one member about one alert and
nothing else; it needs no login because a responder may be on a borrowed phone.
"""

from __future__ import annotations

import datetime
import functools
import uuid

from django.conf import settings
from django.urls import reverse

from safehold.crypto.envelope import sign_link, sign_links, unsign_link
from safehold.lib.rows import hex_id

ACK_PURPOSE = "alerts.acknowledge"
ACK_LINK_LIFETIME = datetime.timedelta(hours=24)


def ack_token(notification_id: uuid.UUID | str, *, issued_at: float | None = None) -> str:
    """Return the signed token for a notification's acknowledgement link (id or hex)."""
    return sign_link(ACK_PURPOSE, hex_id(notification_id), issued_at=issued_at)


def notification_id_from(token: str) -> uuid.UUID | None:
    """Return the notification a token names, or None if forged, expired or malformed."""
    value = unsign_link(ACK_PURPOSE, token, max_age_seconds=ACK_LINK_LIFETIME.total_seconds())
    if value is None:
        return None
    try:
        return uuid.UUID(hex=value)
    except ValueError:
        return None


@functools.cache
def _link_prefix(base_url: str) -> str:
    # reverse() once: a burst of alerts builds thousands of links.
    marker = "TOKEN"
    path = reverse("alert_ack_link", kwargs={"token": marker})
    return base_url.rstrip("/") + path.replace(marker + "/", "")


def ack_urls(notification_ids: list[uuid.UUID | str]) -> list[str]:
    """Return the acknowledgement links for many notifications, signed in one go."""
    prefix = _link_prefix(settings.SAFEHOLD_BASE_URL)
    values = [hex_id(n) for n in notification_ids]
    return [f"{prefix}{token}/" for token in sign_links(ACK_PURPOSE, values)]
