"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

# Which header link is marked as the current page, by the view's URL name prefix.
_SECTIONS = (
    ("person", "persons"),
    ("pipeline", "board"),
    ("document", "persons"),
    ("safe_house", "safe_houses"),
    ("placement", "safe_houses"),
    ("home", "home"),
    ("alert", "alerts"),
    ("escalation", "escalation"),
    ("channel", "account"),
)


def _section(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    name = (match.url_name or "") if match is not None else ""
    for prefix, section in _SECTIONS:
        if name.startswith(prefix):
            return section
    return ""


def member(request: HttpRequest) -> dict[str, Any]:
    """Give templates the signed-in `member` (None for visitors) and the current section."""
    user = getattr(request, "user", None)
    signed_in = user if user is not None and user.is_authenticated else None
    # After a POST, the language switch returns to the home page: re-sending the
    # form on a GET would fail, and a POST response may show revealed values.
    next_path = request.get_full_path() if request.method == "GET" else ""
    return {"member": signed_in, "section": _section(request), "language_next": next_path}
