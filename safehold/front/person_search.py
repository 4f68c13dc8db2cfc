"""Finding cases: by codename, stage, check-in state and, for those who may reveal
cases, by city. Shared by the persons list and the pipeline board."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from safehold.access.models import Need
from safehold.accounts.models import Member
from safehold.audit.chain import record
from safehold.cases.actions import city_index
from safehold.cases.gatekeepers import persons_for
from safehold.front.dashboard import PersonRow, person_rows, unresolved_alert_codes
from safehold.front.forms.persons import PersonFilterForm


@dataclass(frozen=True)
class PersonSearch:
    rows: list[PersonRow]
    # The filters applied, to carry along in pagination links.
    query: dict[str, str]

    @property
    def is_filtered(self) -> bool:
        return bool(self.query)


def search_persons(member: Member, form: PersonFilterForm, now: datetime.datetime) -> PersonSearch:
    """Return the cases `member` may see that match the valid filters of `form`.

    A city says where to find someone, so filtering by it is for members who may
    reveal the case, narrows the search to those cases, and is audited (the count,
    never the city).
    """
    persons = persons_for(member, Need.VIEW)
    query: dict[str, str] = {}
    data = form.cleaned_data if form.is_valid() else {}
    if codename := data.get("q", "").strip():
        persons = persons.filter(codename__icontains=codename)
        query["q"] = codename
    if stage := data.get("stage"):
        persons = persons.filter(stage=stage)
        query["stage"] = stage
    if city := data.get("city", "").strip():
        persons = persons.filter(
            pk__in=persons_for(member, Need.REVEAL), city_index=city_index(city)
        )
        query["city"] = city
    rows = person_rows(member, now, unresolved_alert_codes(member), persons)
    if state := data.get("state"):
        rows = [row for row in rows if row.state == state]
        query["state"] = state
    if "city" in query:
        record(
            "person.searched_by_city",
            actor=member,
            target=member,
            details={"matches": len(rows)},
        )
    return PersonSearch(rows, query)
