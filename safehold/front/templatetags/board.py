"""Deadlines in words ("in 2 h 5 min", "15 min overdue") and the dashboard's rows."""

from __future__ import annotations

import datetime
import html
from collections.abc import Iterable
from dataclasses import dataclass

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from safehold.front.dashboard import PersonRow
from safehold.front.views.alerts import SpanWords, span_text, span_words

register = template.Library()


@dataclass(frozen=True)
class CountdownWords:
    span: SpanWords
    ahead: str
    overdue: str


def countdown_words() -> CountdownWords:
    return CountdownWords(span_words(), _("in %(span)s"), _("%(span)s overdue"))


@register.filter
def countdown(seconds_left: int | None, words: CountdownWords | None = None) -> str:
    """Return the time to a deadline in words, or how long ago it passed."""
    if seconds_left is None:
        return "—"
    words = words or countdown_words()
    span = span_text(datetime.timedelta(seconds=seconds_left), words.span)
    return (words.overdue if seconds_left < 0 else words.ahead) % {"span": span}


@register.simple_tag
def person_table_rows(rows: Iterable[PersonRow], persons_url: str) -> SafeString:
    """Return the dashboard's table rows, one per person.

    Built here rather than in a template loop, with each label and each countdown
    (to the minute) worded once: for 2,000 rows the template loop and its 12,000
    translation lookups took most of a second. Every value is escaped.
    """
    words = countdown_words()
    labels: dict[tuple[str, str], tuple[str, str, str]] = {}
    countdowns: dict[tuple[bool, int] | None, str] = {}
    url = html.escape(persons_url)
    lines = []
    for row in rows:
        key = (row.stage, row.state)
        if key not in labels:
            labels[key] = (
                html.escape(row.stage_label),
                html.escape(row.state),
                html.escape(row.state_label),
            )
        stage, state, state_label = labels[key]
        # Worded by whole minutes and sign, as span_text does; paused has no countdown.
        seconds = None if row.state == "paused" else row.seconds_left
        minute_key = None if seconds is None else (seconds < 0, abs(seconds) // 60)
        if minute_key not in countdowns:
            countdowns[minute_key] = html.escape(countdown(seconds, words))
        alert = f" {html.escape(row.alert_code)}" if row.alert_code else ""
        lines.append(
            f'<tr><td><a id="p-{row.person_id}" href="{url}{row.person_id}/">'
            f"{html.escape(row.codename)}</a></td><td>{stage}</td>"
            f'<td><span class="state state-{state}">{state_label}{alert}</span></td>'
            f"<td>{countdowns[minute_key]}</td></tr>"
        )
    return mark_safe("\n".join(lines))  # noqa: S308  (every value above is escaped)
