"""How the network responds, counted from closed and open incidents alike.

Time to the first acknowledgement runs from the first alarm (the earliest alert of the
incident, else its opening) to the first human acknowledgement of any of its alerts;
time to a responder on site from the same start to the first responder who said they
arrived. Medians, not means: one night when nobody answered for hours must not hide
how the usual night went, nor the reverse.
"""

from __future__ import annotations

import datetime
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Min, QuerySet

from safehold.incidents.models import Dispatch, Incident, IncidentAlert, IncidentOutcome


@dataclass(frozen=True)
class Month:
    month: datetime.date  # the first day
    opened: int
    outcomes: dict[str, int]  # outcome -> incidents closed that month
    median_to_ack: datetime.timedelta | None
    median_to_on_site: datetime.timedelta | None

    @property
    def outcome_rows(self) -> list[tuple[str, int]]:
        return [(str(IncidentOutcome(o).label), n) for o, n in self.outcomes.items()]


@dataclass(frozen=True)
class Summary:
    incidents: int
    acknowledged: int
    median_to_ack: datetime.timedelta | None
    reached: int
    median_to_on_site: datetime.timedelta | None
    months: list[Month]


def _median(values: list[datetime.timedelta]) -> datetime.timedelta | None:
    if not values:
        return None
    return datetime.timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def _first_of_month(moment: datetime.datetime) -> datetime.date:
    return moment.date().replace(day=1)


def summarise(incidents: QuerySet[Incident]) -> Summary:
    """Return the counts for `incidents` (already narrowed to what the member may see)."""
    rows = list(incidents.values_list("pk", "opened_at", "closed_at", "outcome"))
    ids = [row[0] for row in rows]
    alert_times = {
        incident_id: (first, acked)
        for incident_id, first, acked in IncidentAlert.objects.filter(incident_id__in=ids)
        .values("incident_id")
        .annotate(first=Min("alert__created_at"), acked=Min("alert__acknowledged_at"))
        .values_list("incident_id", "first", "acked")
    }
    on_site = dict(
        Dispatch.objects.filter(incident_id__in=ids, arrived_at__isnull=False)
        .values("incident_id")
        .annotate(first=Min("arrived_at"))
        .values_list("incident_id", "first")
    )
    to_ack: dict[datetime.date, list[datetime.timedelta]] = defaultdict(list)
    to_site: dict[datetime.date, list[datetime.timedelta]] = defaultdict(list)
    opened: Counter[datetime.date] = Counter()
    outcomes: dict[datetime.date, Counter[str]] = defaultdict(Counter)
    for incident_id, opened_at, closed_at, outcome in rows:
        first_alert, acked = alert_times.get(incident_id, (None, None))
        start = min(opened_at, first_alert) if first_alert else opened_at
        month = _first_of_month(opened_at)
        opened[month] += 1
        if acked is not None:
            to_ack[month].append(max(acked - start, datetime.timedelta(0)))
        if incident_id in on_site:
            to_site[month].append(max(on_site[incident_id] - start, datetime.timedelta(0)))
        if closed_at is not None and outcome:
            outcomes[_first_of_month(closed_at)][outcome] += 1
    months = sorted(set(opened) | set(outcomes), reverse=True)
    every_ack = _flatten(to_ack.values())
    every_site = _flatten(to_site.values())
    return Summary(
        incidents=len(rows),
        acknowledged=len(every_ack),
        median_to_ack=_median(every_ack),
        reached=len(every_site),
        median_to_on_site=_median(every_site),
        months=[
            Month(
                month,
                opened[month],
                {o: outcomes[month][o] for o in IncidentOutcome.values if outcomes[month][o]},
                _median(to_ack[month]),
                _median(to_site[month]),
            )
            for month in months
        ],
    )


def _flatten(groups: Iterable[list[datetime.timedelta]]) -> list[datetime.timedelta]:
    return [value for group in groups for value in group]
