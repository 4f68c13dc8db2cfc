"""The playbook editor: one playbook per kind of incident, with its steps and names.

Coordinators and admins change their organisation's playbooks; anyone else gets the
same 404 as for a page that does not exist. The first visit copies the playbooks
Safehold ships, so the editor always shows the organisation's own copy. An incident
copies the steps into its tasks when it opens: changes here apply to the next one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from safehold.accounts.models import Member, Organisation
from safehold.front.forms.playbooks import (
    PlaybookNameForm,
    PlaybookStepFormSet,
    initial_steps,
)
from safehold.front.helpers import current_member, show_action_errors
from safehold.incidents.models import IncidentKind, Playbook
from safehold.incidents.playbook_actions import (
    MAX_STEPS,
    may_edit_playbooks,
    rename_playbook,
    save_playbook_steps,
)
from safehold.incidents.playbooks import playbook_for

GET_POST = ["GET", "HEAD", "POST"]
NAMES_PREFIX = "names"


def _editor(request: HttpRequest) -> tuple[Member, Organisation]:
    """Return the signed-in coordinator or admin and their organisation, or raise
    Http404 for anyone else."""
    member = current_member(request)
    if not may_edit_playbooks(member, member.organisation_id) or member.organisation is None:
        raise Http404
    return member, member.organisation


def _playbook(organisation: Organisation, kind: str) -> Playbook:
    if kind not in IncidentKind.values:
        raise Http404
    return playbook_for(organisation, kind)


def playbook_name(playbook: Playbook) -> str:
    """Return the playbook's name in the language of the page."""
    return playbook.name_ru if (get_language() or "").startswith("ru") else playbook.name_en


@dataclass(frozen=True)
class PlaybookRow:
    kind: str
    kind_label: str
    name: str
    step_count: int


@require_safe
def playbook_list(request: HttpRequest) -> HttpResponse:
    """One row per kind of incident: the organisation's playbook and its number of steps."""
    _member, organisation = _editor(request)
    rows = []
    for kind in IncidentKind:
        playbook = playbook_for(organisation, kind)  # its steps come with it
        count = len(playbook.steps.all())
        rows.append(PlaybookRow(kind.value, str(kind.label), playbook_name(playbook), count))
    return render(request, "front/playbooks/list.html", {"rows": rows, "section": "playbooks"})


def _page(
    request: HttpRequest,
    playbook: Playbook,
    *,
    formset: PlaybookStepFormSet | None = None,
    names_form: PlaybookNameForm | None = None,
) -> HttpResponse:
    steps = playbook.steps.all()  # fetched in order with the playbook
    context = {
        "playbook": playbook,
        "name": playbook_name(playbook),
        "kind_label": IncidentKind(playbook.kind).label,
        "formset": formset or PlaybookStepFormSet(initial=initial_steps(steps)),
        "names_form": names_form
        or PlaybookNameForm(
            initial={"name_en": playbook.name_en, "name_ru": playbook.name_ru},
            prefix=NAMES_PREFIX,
        ),
        "max_steps": MAX_STEPS,
        "section": "playbooks",
    }
    return render(request, "front/playbooks/edit.html", context)


@require_http_methods(GET_POST)
def playbook_edit(request: HttpRequest, kind: str) -> HttpResponse:
    member, organisation = _editor(request)
    playbook = _playbook(organisation, kind)
    if request.method != "POST":
        return _page(request, playbook)
    # No initial data: which rows were shown filled comes from the posted INITIAL_FORMS,
    # and PlaybookStepFormSet.steps() keeps those rows whether or not they changed.
    formset = PlaybookStepFormSet(request.POST)
    if formset.is_valid():
        try:
            save_playbook_steps(playbook, formset.steps(), actor=member)
        except ValidationError as error:
            formset.add_action_error(error)
        else:
            messages.success(
                request,
                _("The playbook was saved. Incidents already open keep their tasks."),
            )
            return redirect("playbook_edit", kind=playbook.kind)
    return _page(request, playbook, formset=formset)


@require_POST
def playbook_rename(request: HttpRequest, kind: str) -> HttpResponse:
    member, organisation = _editor(request)
    playbook = _playbook(organisation, kind)
    form = PlaybookNameForm(request.POST, prefix=NAMES_PREFIX)
    if form.is_valid():
        try:
            changed = rename_playbook(
                playbook,
                actor=member,
                name_en=form.cleaned_data["name_en"],
                name_ru=form.cleaned_data["name_ru"],
            )
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            if changed:
                messages.success(request, _("The playbook was renamed."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("playbook_edit", kind=playbook.kind)
    return _page(request, playbook, names_form=form)
