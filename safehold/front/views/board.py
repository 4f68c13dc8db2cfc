"""The pipeline board: every reachable case in its stage's column, most urgent first."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from safehold.access.models import Need
from safehold.cases.gatekeepers import persons_for
from safehold.cases.models import Stage
from safehold.front.dashboard import PersonRow
from safehold.front.forms.persons import PersonFilterForm
from safehold.front.helpers import current_member
from safehold.front.person_search import search_persons

# A column lists this many cards; the rest are a link to the filtered list, so a
# board of thousands of cases stays readable and light.
CARDS_PER_COLUMN = 60


@dataclass(frozen=True)
class Column:
    stage: str
    label: str
    cards: list[PersonRow]
    total: int
    more_query: str

    @property
    def hidden(self) -> int:
        return self.total - len(self.cards)


@require_safe
def pipeline_board(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    data = request.GET.copy()
    data.pop("city", None)  # never in a URL: the persons list searches cities by POST
    data.pop("stage", None)  # the columns are the stages
    form = PersonFilterForm(data or None)
    search = search_persons(member, form, timezone.now())
    by_stage: dict[str, list[PersonRow]] = {value: [] for value in Stage.values}
    for row in search.rows:
        by_stage.setdefault(row.stage, []).append(row)
    columns = [
        Column(
            value,
            str(label),
            by_stage[value][:CARDS_PER_COLUMN],
            len(by_stage[value]),
            urlencode({**search.query, "stage": value}),
        )
        for value, label in Stage.choices
    ]
    movable = set(
        persons_for(member, Need.EDIT)
        .filter(pk__in=[card.person_id for column in columns for card in column.cards])
        .values_list("pk", flat=True)
    )
    context = {
        "form": form,
        "columns": columns,
        "movable": movable,
        "is_filtered": search.is_filtered,
    }
    return render(request, "front/persons/board.html", context)
