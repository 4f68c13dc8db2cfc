"""An organisation's playbooks, as its coordinators and admins change them.

An incident copies its playbook's steps into its own tasks when it opens, so nothing
here touches an incident already open. Each function runs in one transaction and
writes one audit entry holding ids and counts only: step titles may name places.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from safehold.access.policy import edits_organisation
from safehold.accounts.models import Member
from safehold.audit.chain import record
from safehold.incidents.models import OwnerRole, Playbook, PlaybookStep

MAX_STEPS = 30
MAX_POSITION = 999
MAX_TITLE = 300
MAX_NAME = 120
# A week: a task due later is not part of the first response.
MAX_DUE_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class StepInput:
    """One step as a coordinator wrote it; `position` orders the steps, and steps with
    the same position keep the order they were given in."""

    position: int
    title_en: str
    title_ru: str
    owner_role: str
    due_minutes: int | None = None


def may_edit_playbooks(actor: Member, organisation_id: uuid.UUID | None) -> bool:
    """Return whether `actor` may change the playbooks of the organisation."""
    return edits_organisation(actor, organisation_id)


def _check_may_edit(actor: Member, playbook: Playbook) -> None:
    if not may_edit_playbooks(actor, playbook.organisation_id):
        raise PermissionDenied


@transaction.atomic
def save_playbook_steps(playbook: Playbook, steps: Sequence[StepInput], *, actor: Member) -> None:
    """Replace the playbook's steps with `steps`, numbered 1, 2, 3… in position order.

    Raise PermissionDenied unless `actor` is a coordinator or admin of the playbook's
    organisation, and ValidationError naming every problem of the steps.
    """
    _check_may_edit(actor, playbook)
    ordered = _clean_steps(steps)
    # One writer per playbook at a time: two coordinators saving at once must not
    # interleave their steps.
    Playbook.objects.select_for_update().get(pk=playbook.pk)
    PlaybookStep.objects.filter(playbook=playbook).delete()
    PlaybookStep.objects.bulk_create(
        PlaybookStep(
            playbook=playbook,
            position=number,
            title_en=step.title_en,
            title_ru=step.title_ru,
            owner_role=step.owner_role,
            due_minutes=step.due_minutes,
        )
        for number, step in enumerate(ordered, start=1)
    )
    record(
        "playbook.steps_saved",
        actor=actor,
        target=playbook,
        details={"playbook": str(playbook.pk), "kind": playbook.kind, "steps": len(ordered)},
    )


def _clean_steps(steps: Sequence[StepInput]) -> list[StepInput]:
    """Return the steps stripped and in order, or raise ValidationError naming every problem."""
    problems: list[str] = []
    if not steps:
        problems.append(_("Give the playbook at least one step."))
    elif len(steps) > MAX_STEPS:
        problems.append(_("A playbook has at most %(count)s steps.") % {"count": MAX_STEPS})
    cleaned = [
        StepInput(
            step.position,
            step.title_en.strip(),
            step.title_ru.strip(),
            step.owner_role,
            step.due_minutes,
        )
        for step in steps
    ]
    for step in cleaned:
        problems.extend(_step_problems(step))
    if problems:
        raise ValidationError({"steps": problems})
    # sorted() is stable: equal positions keep the order the coordinator gave.
    return sorted(cleaned, key=lambda step: step.position)


def _step_problems(step: StepInput) -> list[str]:
    words = {"position": step.position}
    problems = []
    if not 1 <= step.position <= MAX_POSITION:
        problems.append(_("A step's position is a number from 1 to 999."))
    if not step.title_en or not step.title_ru:
        problems.append(_("Step %(position)s: write the title in English and in Russian.") % words)
    if len(step.title_en) > MAX_TITLE or len(step.title_ru) > MAX_TITLE:
        problems.append(
            _("Step %(position)s: a title has at most %(count)s characters.")
            % {**words, "count": MAX_TITLE}
        )
    if step.owner_role not in OwnerRole.values:
        problems.append(_("Step %(position)s: choose who does it from the list.") % words)
    if step.due_minutes is not None and not 1 <= step.due_minutes <= MAX_DUE_MINUTES:
        problems.append(
            _("Step %(position)s: the deadline is from 1 minute to 7 days (10080 minutes).") % words
        )
    return problems


@transaction.atomic
def rename_playbook(playbook: Playbook, *, actor: Member, name_en: str, name_ru: str) -> bool:
    """Give the playbook new names; return False if they did not change.

    Raise PermissionDenied as `save_playbook_steps` does, and ValidationError for an
    empty or too long name.
    """
    _check_may_edit(actor, playbook)
    names = {"name_en": name_en.strip(), "name_ru": name_ru.strip()}
    errors = {
        field: _("Write a name of at most %(count)s characters.") % {"count": MAX_NAME}
        for field, name in names.items()
        if not name or len(name) > MAX_NAME
    }
    if errors:
        raise ValidationError(errors)
    locked = Playbook.objects.select_for_update().get(pk=playbook.pk)
    if (locked.name_en, locked.name_ru) == (names["name_en"], names["name_ru"]):
        return False
    locked.name_en, locked.name_ru = names["name_en"], names["name_ru"]
    locked.save(update_fields=["name_en", "name_ru"])
    playbook.name_en, playbook.name_ru = locked.name_en, locked.name_ru
    record(
        "playbook.renamed",
        actor=actor,
        target=locked,
        details={"playbook": str(locked.pk), "kind": locked.kind},
    )
    return True
