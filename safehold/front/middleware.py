"""Headers on every response, login by default, and a clear page when keys are missing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url

from safehold.crypto.keys import CryptoError
from safehold.front.public import is_public

logger = logging.getLogger(__name__)

# No inline script or style anywhere: templates load one style sheet and htmx.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)

Handler = Callable[[HttpRequest], HttpResponse]


class SecurityHeadersMiddleware:
    """Set CSP, permissions and caching headers on every response.

    Pages show codenames and, after a reveal, addresses and names: no browser, proxy
    or history cache may keep a copy, so everything but static files is `no-store`.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response["Permissions-Policy"] = PERMISSIONS_POLICY
        response["Cross-Origin-Resource-Policy"] = "same-origin"
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


class IdleSessionMiddleware(SessionMiddleware):
    """Sessions end after idle minutes of a person's own activity.

    Every request pushes the session's expiry forward (SESSION_SAVE_EVERY_REQUEST),
    except requests a page makes by itself: an open dashboard polls every few seconds
    and would otherwise keep an unattended laptop signed in for ever. Views mark such
    requests with `request.is_background_poll`.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            getattr(request, "is_background_poll", False)
            and session is not None
            and not session.modified
        ):
            return response
        return super().process_response(request, response)


# What a member whose password must change may still reach.
PASSWORD_CHANGE_ALLOWS = frozenset({"password_change", "logout", "set_language"})


class LoginRequiredByDefaultMiddleware:
    """Refuse every view to visitors unless it is named in `front.public`.

    Visitors asking to read a page are sent to the login form, htmx requests by an
    HX-Redirect; anything else (a form sent after the session ended, say) is refused,
    because it cannot be replayed after signing in.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        if request.user.is_authenticated:
            if getattr(request.user, "must_change_password", False) and (
                match is None or match.view_name not in PASSWORD_CHANGE_ALLOWS
            ):
                # A password someone else has seen opens nothing but the way to replace it.
                return redirect("password_change")
            return None
        if match is not None and is_public(match.view_name):
            return None
        if request.headers.get("HX-Request"):
            # An htmx request: send the whole page to the login form instead of
            # swapping the form into a corner of the page (or silently doing nothing).
            response = HttpResponse(status=204)
            response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
            return response
        if request.method in ("GET", "HEAD"):
            return redirect_to_login(request.get_full_path())
        return render(request, "front/errors/signed_out.html", status=403)


class KeyUnavailableMiddleware:
    """Answer 503 with a plain explanation when the encryption keys cannot be used.

    Only the exception's class is logged: its message names a file path at most, but a
    decryption failure must never lead anyone to print what was being decrypted.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, CryptoError):
            return None
        logger.error("encryption unavailable: %s", type(exception).__name__)
        return render(request, "front/errors/key_unavailable.html", status=503)
