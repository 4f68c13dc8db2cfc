"""The dashboard: is everyone safe, what waits for me, and what is due this week.

The page polls `home_live` every few seconds. That answers 204 (nothing to redraw)
unless the change stamp moved, so an idle dashboard costs two index lookups a poll.
"""

from __future__ import annotations

import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

from safehold.front.dashboard import DEADLINE_HORIZON, build_dashboard, change_stamp
from safehold.front.helpers import current_member

# How often an open dashboard asks whether anything changed.
POLL_SECONDS = 2


def _context(request: HttpRequest, now: datetime.datetime, stamp: str) -> dict[str, object]:
    return {
        "board": build_dashboard(current_member(request), now, timezone.localdate(now)),
        "stamp": stamp,
        "poll_seconds": POLL_SECONDS,
        "horizon_days": DEADLINE_HORIZON.days,
    }


# Compressed: the board of 2,000 persons is about 500 KB of repetitive rows, 10x less
# gzipped. Nothing a visitor sends is reflected into these pages (the poll's stamp is
# compared, never echoed), and Django masks the CSRF token per response: no BREACH.
@gzip_page
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    stamp = change_stamp(current_member(request), now)
    return render(request, "front/home.html", _context(request, now, stamp))


@gzip_page
@require_safe
def home_live(request: HttpRequest) -> HttpResponse:
    """Return the dashboard's live part, or 204 when nothing changed since `seen`."""
    # An open dashboard polls by itself; only a person's own clicks keep the session
    # alive (see IdleSessionMiddleware), so an unattended laptop still signs out.
    request.is_background_poll = True  # type: ignore[attr-defined]
    now = timezone.now()
    stamp = change_stamp(current_member(request), now)
    if request.GET.get("seen") == stamp:
        return HttpResponse(status=204)
    return render(request, "front/partials/dashboard_live.html", _context(request, now, stamp))
