"""The dashboard: where my cases stand and which document deadlines are close."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from safehold.access.models import Need
from safehold.cases.gatekeepers import persons_for
from safehold.cases.models import Document, DocumentStatus, Stage
from safehold.front.helpers import current_member

# Documents whose deadline is this close (or passed) are listed on the dashboard.
DEADLINE_HORIZON = datetime.timedelta(days=14)
# Settled documents have no deadline left to meet.
SETTLED_STATUSES = (DocumentStatus.APPROVED, DocumentStatus.REFUSED)
# Enough for a working overview; the person pages list every document.
DEADLINE_ROWS = 200


@dataclass(frozen=True)
class StageCount:
    stage: str
    label: str
    count: int


@dataclass(frozen=True)
class DeadlineRow:
    document: Document
    days_left: int

    @property
    def is_overdue(self) -> bool:
        return self.days_left < 0

    @property
    def days_overdue(self) -> int:
        return -self.days_left


def stage_counts(request: HttpRequest) -> list[StageCount]:
    """Return how many reachable cases sit at each stage, in pipeline order."""
    persons = persons_for(current_member(request), Need.VIEW)
    rows = persons.order_by().values_list("stage").annotate(count=Count("id"))
    counts = {stage: count for stage, count in rows}
    return [StageCount(value, str(label), counts.get(value, 0)) for value, label in Stage.choices]


def deadline_rows(request: HttpRequest, today: datetime.date) -> list[DeadlineRow]:
    """Return open documents of reachable cases due within the horizon or overdue."""
    documents = (
        Document.objects.filter(
            person__in=persons_for(current_member(request), Need.VIEW),
            deadline__isnull=False,
            deadline__lte=today + DEADLINE_HORIZON,
        )
        .exclude(status__in=SETTLED_STATUSES)
        .select_related("person")
        .order_by("deadline", "person__codename")[:DEADLINE_ROWS]
    )
    return [DeadlineRow(doc, (doc.deadline - today).days) for doc in documents if doc.deadline]


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    counts = stage_counts(request)
    context = {
        "stage_counts": counts,
        "total": sum(row.count for row in counts),
        "deadlines": deadline_rows(request, today),
        "horizon_days": DEADLINE_HORIZON.days,
        "today": today,
    }
    return render(request, "front/home.html", context)
