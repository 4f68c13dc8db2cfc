"""The reviewed list of views that answer without a login.

Every other view requires a signed-in member (see `LoginRequiredByDefaultMiddleware`).
Adding a name here makes a page reachable by anyone on the internet, so each entry
says why it must be public. Names are full view names, namespace included.
"""

from __future__ import annotations

PUBLIC_URL_NAMES: frozenset[str] = frozenset(
    {
        # The sign-in form itself.
        "login",
        # Switching the interface language before signing in; it only sets a cookie.
        "set_language",
        # A protected person's check-in page and API: the secret link and the PIN are
        # the credentials; a login would silence people on cheap phones.
        "checkin_page",
        "checkin_api",
        # The SOS button on that page and its API twin: the secret link is the
        # credential, and no PIN is asked of someone in danger.
        "checkin_sos",
        "panic_api",
        # A responder's one-tap acknowledgement: the signed, expiring link speaks for
        # one member about one alert.
        "alert_ack_link",
        "alert_ack_api",
        # Gateways delivering inbound SMS and Telegram messages: each request proves its
        # origin by the gateway's signature or secret before anything is read.
        "hook_twilio_sms",
        "hook_android_sms",
        "hook_telegram",
    }
)
# Static files (the style sheet and htmx) are public too, but need no entry: WhiteNoise
# answers /static/ before any view is resolved, and they hold nothing about anyone.


def is_public(view_name: str | None) -> bool:
    """Return whether the view called `view_name` may be used without signing in."""
    return view_name in PUBLIC_URL_NAMES
