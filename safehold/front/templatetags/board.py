"""Deadlines in words: "in 2 h 5 min", "15 min overdue"."""

from __future__ import annotations

import datetime

from django import template
from django.utils.translation import gettext as _

from safehold.front.views.alerts import span_text

register = template.Library()


@register.filter
def countdown(seconds_left: int | None) -> str:
    """Return the time to a deadline in words, or how long ago it passed."""
    if seconds_left is None:
        return "—"
    span = span_text(datetime.timedelta(seconds=seconds_left))
    if seconds_left < 0:
        return _("%(span)s overdue") % {"span": span}
    return _("in %(span)s") % {"span": span}
