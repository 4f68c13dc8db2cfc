"""A compartment's escalation policy and duty roster, as coordinators change them.

Callers check that the actor may edit the compartment first. Each function runs in one
transaction and writes one audit entry holding ids, counts and times only.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safehold.accounts.models import Compartment, Member, Role
from safehold.alerts.ladder import Target
from safehold.alerts.models import DutyShift, EscalationPolicy, EscalationStep, TargetKind
from safehold.audit.chain import record

MAX_STEPS = 10
MAX_POSITION = 99
MIN_WAIT_MINUTES = 1
MAX_WAIT_MINUTES = 24 * 60
MAX_TARGETS = 30
MAX_SHIFT = datetime.timedelta(days=31)


@dataclass(frozen=True)
class StepInput:
    """One step as a coordinator wrote it; `position` orders the steps."""

    position: int
    wait_minutes: int
    targets: tuple[Target, ...]


def compartment_members(compartment: Compartment) -> QuerySet[Member]:
    """Return the active members of `compartment`: who may be named or put on duty."""
    return Member.objects.filter(
        compartments=compartment, organisation_id=compartment.organisation_id, is_active=True
    )


@transaction.atomic
def save_policy(
    compartment: Compartment,
    steps: Sequence[StepInput],
    *,
    repeat_from: int,
    actor: Member | None,
) -> EscalationPolicy:
    """Replace the compartment's ladder with `steps` and return the policy.

    Steps are stored in `position` order and numbered 1, 2, 3…; `repeat_from` names
    one of the given positions. Raise ValidationError on a bad ladder.
    """
    ordered = _clean_steps(compartment, steps, repeat_from)
    # One writer per compartment at a time: two coordinators saving at once must not
    # interleave their steps.
    Compartment.objects.select_for_update().get(pk=compartment.pk)
    policy, created = EscalationPolicy.objects.get_or_create(compartment=compartment)
    policy.steps.all().delete()
    EscalationStep.objects.bulk_create(
        EscalationStep(
            policy=policy,
            position=number,
            wait_minutes=step.wait_minutes,
            targets=[target.to_json() for target in step.targets],
        )
        for number, step in enumerate(ordered, start=1)
    )
    policy.repeat_from = next(
        number for number, step in enumerate(ordered, start=1) if step.position == repeat_from
    )
    policy.updated_at = timezone.now()
    policy.save()
    record(
        "escalation.policy_saved",
        actor=actor,
        target=policy,
        details={
            "compartment": str(compartment.pk),
            "created": created,
            "steps": len(ordered),
            "repeat_from": policy.repeat_from,
        },
        organisation_id=compartment.organisation_id,
    )
    return policy


def _clean_steps(
    compartment: Compartment, steps: Sequence[StepInput], repeat_from: int
) -> list[StepInput]:
    """Return the steps in order, or raise ValidationError naming every problem."""
    problems: list[str] = []
    if not steps:
        problems.append(_("Give the ladder at least one step."))
    elif len(steps) > MAX_STEPS:
        problems.append(_("A ladder has at most %(count)s steps.") % {"count": MAX_STEPS})
    positions = [step.position for step in steps]
    if len(set(positions)) != len(positions):
        problems.append(_("Two steps have the same position. Give each step its own number."))
    members = {str(pk) for pk in compartment_members(compartment).values_list("pk", flat=True)}
    for step in steps:
        problems.extend(_step_problems(step, members))
    errors: dict[str, list[str]] = {}
    if problems:
        errors["steps"] = problems
    if repeat_from not in positions:
        errors["repeat_from"] = [_("Choose the position of one of the steps.")]
    if errors:
        raise ValidationError(errors)
    return sorted(steps, key=lambda step: step.position)


def _step_problems(step: StepInput, members: set[str]) -> list[str]:
    words = {"position": step.position}
    problems = []
    if not 1 <= step.position <= MAX_POSITION:
        problems.append(_("A step's position is a number from 1 to 99."))
    if not MIN_WAIT_MINUTES <= step.wait_minutes <= MAX_WAIT_MINUTES:
        problems.append(
            _("Step %(position)s: wait between 1 minute and 24 hours before the next step.") % words
        )
    if not step.targets:
        problems.append(_("Step %(position)s tells nobody. Choose who is told.") % words)
    elif len(step.targets) > MAX_TARGETS:
        problems.append(_("Step %(position)s names too many people.") % words)
    for target in step.targets:
        if not _is_valid_target(target, members):
            problems.append(
                _("Step %(position)s names someone who is not in this compartment.") % words
            )
            break
    return problems


def _is_valid_target(target: Target, members: set[str]) -> bool:
    if target.compartment_id is not None:
        # This page sets ladders for the compartment's own persons only.
        return False
    if target.kind in (TargetKind.COORDINATOR, TargetKind.ON_DUTY):
        return target.member_id is None and target.role is None
    if target.kind == TargetKind.ROLE:
        return target.role in Role.values and target.member_id is None
    if target.kind == TargetKind.MEMBER:
        return str(target.member_id) in members and target.role is None
    return False


@transaction.atomic
def add_shift(
    compartment: Compartment,
    member: Member,
    *,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    actor: Member | None,
    now: datetime.datetime | None = None,
) -> DutyShift:
    """Put `member` on duty for `compartment` from `starts_at` until `ends_at`.

    Raise ValidationError if the member is not an active member of the compartment,
    the shift does not end after it starts, is already over or lasts over 31 days.
    """
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if not compartment_members(compartment).filter(pk=member.pk).exists():
        errors["member"] = _("Choose a member of this compartment.")
    if _is_naive(starts_at) or _is_naive(ends_at):
        errors["starts_at"] = _("Give the time with its time zone.")
    elif ends_at <= starts_at:
        errors["ends_at"] = _("The shift must end after it starts.")
    elif ends_at <= now:
        errors["ends_at"] = _("This shift would already be over.")
    elif ends_at - starts_at > MAX_SHIFT:
        errors["ends_at"] = _("A shift lasts at most 31 days.")
    if errors:
        raise ValidationError(errors)
    shift = DutyShift.objects.create(
        compartment=compartment, member=member, starts_at=starts_at, ends_at=ends_at
    )
    record(
        "escalation.shift_added",
        actor=actor,
        target=shift,
        details={
            "compartment": str(compartment.pk),
            "member": str(member.pk),
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
        organisation_id=compartment.organisation_id,
    )
    return shift


@transaction.atomic
def remove_shift(shift: DutyShift, *, actor: Member | None) -> None:
    """Take a shift off the roster."""
    compartment = shift.compartment
    record(
        "escalation.shift_removed",
        actor=actor,
        target=shift,
        details={"compartment": str(compartment.pk), "member": str(shift.member_id)},
        organisation_id=compartment.organisation_id,
    )
    shift.delete()


def _is_naive(moment: datetime.datetime) -> bool:
    return moment.tzinfo is None or moment.utcoffset() is None
