"""Protected persons: list, detail with reveal, create and edit."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from safehold.access.models import Need
from safehold.access.policy import editable_compartments
from safehold.accounts.models import Compartment, Member, Role
from safehold.cases.actions import (
    PersonDetails,
    RevealedPerson,
    open_case,
    reveal_person,
    update_person,
)
from safehold.cases.gatekeepers import can, get_person_for, persons_for
from safehold.cases.models import Document, Person, RiskLevel
from safehold.front.dashboard import PersonRow, days_words
from safehold.front.forms.persons import (
    SENSITIVE_PERSON_FIELDS,
    NewPersonForm,
    PersonFilterForm,
    PersonForm,
    RevealForm,
)
from safehold.front.helpers import (
    current_member,
    page_of,
    posted,
    reveal_with_reason,
    show_action_errors,
)
from safehold.front.person_history import person_history
from safehold.front.person_search import search_persons
from safehold.lib.phones import mask_phone
from safehold.shelters.gatekeepers import safe_houses_for
from safehold.shelters.models import Placement

GET_POST = ["GET", "HEAD", "POST"]


@dataclass(frozen=True)
class ListedPerson:
    row: PersonRow
    risk_level: str
    risk_label: str
    compartment: str
    updated_at: datetime.datetime


def _listed(rows: list[PersonRow]) -> list[ListedPerson]:
    """Add what the list shows beyond the board's rows, for these rows only."""
    facts = {
        pk: (risk, compartment, updated)
        for pk, risk, compartment, updated in Person.objects.filter(
            pk__in=[row.person_id for row in rows]
        ).values_list("pk", "risk_level", "compartment__name", "updated_at")
    }
    labels = dict(RiskLevel.choices)
    listed = []
    for row in rows:
        risk, compartment, updated = facts[row.person_id]
        listed.append(ListedPerson(row, risk, str(labels.get(risk, risk)), compartment, updated))
    return listed


@require_http_methods(GET_POST)
def person_list(request: HttpRequest) -> HttpResponse:
    """List reachable cases by codename, stage and check-in state.

    Searching by city is a POST: a city must never enter a URL, a log or the browser's
    history. Its results come on one page, since they cannot be paged by links.
    """
    member = current_member(request)
    is_city_search = request.method == "POST"
    if is_city_search:
        form = PersonFilterForm(request.POST)
    else:
        data = request.GET.copy()
        data.pop("city", None)
        form = PersonFilterForm(data or None)
    search = search_persons(member, form, timezone.now())
    rows = sorted(search.rows, key=lambda row: row.codename.casefold())
    page = Paginator(rows, max(len(rows), 1)).page(1) if is_city_search else page_of(request, rows)
    context = {
        "form": form,
        "page": page,
        "listed": _listed(list(page.object_list)),
        "query": "" if is_city_search else urlencode(search.query),
        "is_filtered": search.is_filtered,
        "can_create": editable_compartments(member).exists(),
        "may_search_city": persons_for(member, Need.REVEAL).exists(),
    }
    return render(request, "front/persons/list.html", context)


@dataclass(frozen=True)
class DocumentRow:
    document: Document
    # The deadline's distance in words and its badge (see `days_words`); "" without one.
    days_text: str = ""
    badge: str = ""


@dataclass(frozen=True)
class PlacementRow:
    placement: Placement
    # False when the safe house lies outside the member's reach: show that a stay
    # exists, never which house it is.
    is_house_visible: bool


def _placement_rows(member: Member, person: Person, today: datetime.date) -> list[PlacementRow]:
    placements = list(
        person.placements.filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("safe_house")
        .order_by("start_date")
    )
    visible = set(
        safe_houses_for(member, Need.VIEW)
        .filter(pk__in=[p.safe_house_id for p in placements])
        .values_list("pk", flat=True)
    )
    return [PlacementRow(p, p.safe_house_id in visible) for p in placements]


def _detail_context(
    request: HttpRequest,
    person: Person,
    *,
    revealed: RevealedPerson | None = None,
    reveal_form: RevealForm | None = None,
) -> dict[str, Any]:
    member = current_member(request)
    today = timezone.localdate()
    may_edit = can(member, person, Need.EDIT)
    documents = [
        DocumentRow(doc, *days_words((doc.deadline - today).days))
        if doc.deadline
        else DocumentRow(doc)
        for doc in person.documents.all()
    ]
    return {
        "person": person,
        "can_reveal": can(member, person, Need.REVEAL),
        "can_edit": may_edit,
        "history": page_of(request, person_history(member, person, can_edit=may_edit), 100),
        "masked_phones": [(mask_phone(p.number), p.label) for p in person.phones.all()],
        "contact_count": person.trusted_contacts.count(),
        "stage_changes": person.stage_changes.select_related("actor"),
        "documents": documents,
        "placements": _placement_rows(member, person, today),
        "revealed": revealed,
        "reveal_form": reveal_form or RevealForm(),
        "today": today,
    }


@require_safe
def person_detail(request: HttpRequest, person_id: Any) -> HttpResponse:
    person = get_person_for(current_member(request), person_id, Need.VIEW)
    return render(request, "front/persons/detail.html", _detail_context(request, person))


@require_POST
def person_reveal(request: HttpRequest, person_id: Any) -> HttpResponse:
    """Show the sensitive fields in this response only, after recording who asked and why."""
    member = current_member(request)
    person = get_person_for(member, person_id, Need.REVEAL)
    revealed, form = reveal_with_reason(
        request, lambda reason: reveal_person(person, actor=member, reason=reason)
    )
    context = _detail_context(request, person, revealed=revealed, reveal_form=form)
    return render(request, "front/persons/detail.html", context)


def _coordinators(member: Member, current: Member | None = None) -> QuerySet[Member]:
    """Return colleagues who can coordinate a case: those sharing a compartment with
    `member` (and whoever coordinates it now). Listing the whole organisation would show
    every coordinator's name to anyone who may open a case."""
    if member.organisation_id is None:
        return Member.objects.none()
    shared = Q(
        role__in=[Role.COORDINATOR, Role.ADMIN],
        is_active=True,
        compartments__in=editable_compartments(member),
    )
    if current is not None:
        shared |= Q(pk=current.pk)
    return Member.objects.filter(shared, organisation_id=member.organisation_id).distinct()


def _details(data: dict[str, Any], keep: Person | None = None) -> PersonDetails:
    """Build the details from a cleaned form; with `keep`, blank secrets keep its values."""
    secrets = {name: data[name] for name in SENSITIVE_PERSON_FIELDS}
    if keep is not None:
        for name, value in secrets.items():
            if not value:
                current = getattr(keep, name)
                secrets[name] = list(current) if isinstance(current, list) else current
    return PersonDetails(
        codename=data["codename"],
        compartment=data["compartment"],
        risk_level=data["risk_level"],
        coordinator=data["coordinator"],
        **secrets,
    )


@require_http_methods(GET_POST)
def person_create(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    compartments = editable_compartments(member)
    if not compartments.exists() or member.organisation is None:
        raise PermissionDenied
    coordinators = _coordinators(member)
    initial: dict[str, Any] = {"compartment": compartments.first()}
    if coordinators.filter(pk=member.pk).exists():
        initial["coordinator"] = member.pk
    form = NewPersonForm(
        posted(request),
        initial=initial,
        compartments=compartments,
        coordinators=coordinators,
        phone_region=member.organisation.default_phone_region,
    )
    if request.method == "POST" and form.is_valid():
        try:
            person = open_case(
                _details(form.cleaned_data),
                actor=member,
                organisation=member.organisation,
                phones=form.cleaned_data["phones"],
            )
        except ValidationError as error:
            show_action_errors(form, error, rename={"number": "phones"}, default_field="phones")
        else:
            messages.success(request, _("The case was opened."))
            return redirect("person_detail", person_id=person.pk)
    return render(request, "front/persons/form.html", {"form": form, "person": None})


@require_http_methods(GET_POST)
def person_edit(request: HttpRequest, person_id: Any) -> HttpResponse:
    member = current_member(request)
    person = get_person_for(member, person_id, Need.EDIT)
    # A member editing through a grant may not hold the case's compartment; keep it.
    compartments = Compartment.objects.filter(
        Q(pk__in=editable_compartments(member).values("pk")) | Q(pk=person.compartment_id)
    )
    initial = {
        "codename": person.codename,
        "compartment": person.compartment_id,
        "risk_level": person.risk_level,
        "coordinator": person.coordinator_id,
    }
    form = PersonForm(
        posted(request),
        initial=initial,
        compartments=compartments,
        coordinators=_coordinators(member, person.coordinator),
        is_edit=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = update_person(person, _details(form.cleaned_data, keep=person), actor=member)
        except ValidationError as error:
            show_action_errors(form, error)
            person.refresh_from_db()
        else:
            if changed:
                messages.success(request, _("The changes were saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("person_detail", person_id=person.pk)
    return render(request, "front/persons/form.html", {"form": form, "person": person})
