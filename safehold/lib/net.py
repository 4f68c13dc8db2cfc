"""Where a request came from, behind however many trusted reverse proxies."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """Return the client's address: REMOTE_ADDR, or the X-Forwarded-For entry that the
    outermost of SAFEHOLD_TRUSTED_PROXIES proxies saw.

    Only the last N entries were written by our own proxies; anything left of them is
    whatever the client claimed, so it is never used.
    """
    proxies = int(getattr(settings, "SAFEHOLD_TRUSTED_PROXIES", 0))
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    hops = [h for h in hops if h]
    if len(hops) < proxies:
        return remote
    return hops[-proxies]
