"""A compartment's escalation ladder and duty roster.

Members who may view the compartment's records see both; its coordinators and admins
change them. Responders reach single cases through grants only, so they see neither
(the roster names their colleagues).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from safehold.access.models import Need
from safehold.access.policy import ROLE_CEILING, editable_compartments
from safehold.accounts.models import Compartment, Member, Role
from safehold.alerts.actions import ladder_for
from safehold.alerts.ladder import Rung, Target
from safehold.alerts.models import DutyShift, EscalationPolicy, TargetKind
from safehold.alerts.policy_actions import (
    add_shift,
    compartment_members,
    remove_shift,
    save_policy,
)
from safehold.checkins.models import DEFAULT_TIMEZONE
from safehold.front.forms.alerts import PolicyForm, ShiftForm, StepFormSet, initial_steps
from safehold.front.helpers import current_member, show_action_errors


def visible_compartments(member: Member) -> QuerySet[Compartment]:
    """Return the compartments whose ladder and roster `member` may see."""
    if (
        not member.is_active
        or member.organisation_id is None
        or ROLE_CEILING.get(member.role, 0) < Need.VIEW
    ):
        return Compartment.objects.none()
    return member.compartments.filter(organisation_id=member.organisation_id)


def _compartment(member: Member, compartment_id: Any, *, edit: bool) -> Compartment:
    """Return the compartment, or raise Http404 alike for missing and forbidden."""
    allowed = editable_compartments(member) if edit else visible_compartments(member)
    try:
        return allowed.get(pk=compartment_id)
    except (Compartment.DoesNotExist, ValueError) as missing:
        raise Http404 from missing


@dataclass(frozen=True)
class StepRow:
    position: int
    wait: str
    targets: list[str]
    is_repeat_start: bool


def describe_target(target: Target, labels: dict[object, str]) -> str:
    """Return who a ladder target names, in words."""
    if target.kind == TargetKind.COORDINATOR:
        return _("The person's coordinator")
    if target.kind == TargetKind.ON_DUTY:
        return _("Whoever is on duty")
    if target.kind == TargetKind.ROLE and target.role in Role.values:
        return _("Everyone with the role “%(role)s”") % {"role": Role(target.role).label}
    if target.kind == TargetKind.MEMBER and target.member_id in labels:
        return labels[target.member_id]
    return _("A former member of this compartment")


def _step_rows(
    compartment: Compartment, rungs: tuple[Rung, ...], repeat_from: int
) -> list[StepRow]:
    ids = {t.member_id for rung in rungs for t in rung.targets if t.member_id}
    labels: dict[object, str] = {
        member.pk: member.label for member in compartment_members(compartment).filter(pk__in=ids)
    }
    return [
        StepRow(
            position=rung.position,
            wait=_("%(count)s min") % {"count": int(rung.wait.total_seconds() // 60)},
            targets=[describe_target(target, labels) for target in rung.targets],
            is_repeat_start=rung.position == repeat_from,
        )
        for rung in sorted(rungs, key=lambda rung: rung.position)
    ]


@dataclass(frozen=True)
class ShiftRow:
    shift: DutyShift
    is_now: bool


@require_safe
def escalation_index(request: HttpRequest) -> HttpResponse:
    """List the compartments whose ladder and roster the member may see."""
    member = current_member(request)
    compartments = visible_compartments(member).order_by("name")
    editable = set(editable_compartments(member).values_list("pk", flat=True))
    rows = [(c, c.pk in editable) for c in compartments]
    return render(request, "front/escalation/index.html", {"rows": rows})


def _page(
    request: HttpRequest,
    compartment: Compartment,
    *,
    steps_formset: forms.BaseFormSet | None = None,
    policy_form: PolicyForm | None = None,
    shift_form: ShiftForm | None = None,
) -> HttpResponse:
    member = current_member(request)
    can_edit = editable_compartments(member).filter(pk=compartment.pk).exists()
    rungs, repeat_from = ladder_for(compartment.pk)
    policy = EscalationPolicy.objects.filter(compartment=compartment).first()
    now = timezone.now()
    shifts = (
        DutyShift.objects.filter(compartment=compartment, ends_at__gt=now)
        .select_related("member")
        .order_by("starts_at")
    )
    context: dict[str, Any] = {
        "compartment": compartment,
        "can_edit": can_edit,
        "is_default": policy is None or not policy.steps.exists(),
        "policy": policy,
        "steps": _step_rows(compartment, rungs, repeat_from),
        "shifts": [ShiftRow(s, s.starts_at <= now < s.ends_at) for s in shifts],
        "zone": DEFAULT_TIMEZONE,
    }
    if can_edit:
        members = compartment_members(compartment)
        context.update(
            steps_formset=steps_formset
            or StepFormSet(initial=initial_steps(rungs), members=members),
            policy_form=policy_form
            or PolicyForm(initial={"repeat_from": repeat_from}, prefix="policy"),
            shift_form=shift_form or ShiftForm(members=members, prefix="shift"),
        )
    return render(request, "front/escalation/policy.html", context)


@require_safe
def escalation_policy(request: HttpRequest, compartment_id: Any) -> HttpResponse:
    compartment = _compartment(current_member(request), compartment_id, edit=False)
    return _page(request, compartment)


@require_POST
def escalation_save(request: HttpRequest, compartment_id: Any) -> HttpResponse:
    member = current_member(request)
    compartment = _compartment(member, compartment_id, edit=True)
    # No initial data: which rows were shown filled comes from the posted INITIAL_FORMS,
    # and StepFormSet.steps() keeps those rows whether or not they changed.
    formset = StepFormSet(request.POST, members=compartment_members(compartment))
    policy_form = PolicyForm(request.POST, prefix="policy")
    formset_valid = formset.is_valid()
    if policy_form.is_valid() and formset_valid:
        try:
            save_policy(
                compartment,
                formset.steps(),
                repeat_from=policy_form.cleaned_data["repeat_from"],
                actor=member,
            )
        except ValidationError as error:
            show_action_errors(policy_form, error)
        else:
            messages.success(request, _("The escalation ladder was saved."))
            return redirect("escalation_policy", compartment_id=compartment.pk)
    return _page(request, compartment, steps_formset=formset, policy_form=policy_form)


@require_POST
def escalation_shift_add(request: HttpRequest, compartment_id: Any) -> HttpResponse:
    member = current_member(request)
    compartment = _compartment(member, compartment_id, edit=True)
    form = ShiftForm(request.POST, members=compartment_members(compartment), prefix="shift")
    if form.is_valid():
        data = form.cleaned_data
        try:
            add_shift(
                compartment,
                data["member"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                actor=member,
            )
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            messages.success(request, _("The shift was added to the roster."))
            return redirect("escalation_policy", compartment_id=compartment.pk)
    return _page(request, compartment, shift_form=form)


@require_POST
def escalation_shift_remove(
    request: HttpRequest, compartment_id: Any, shift_id: Any
) -> HttpResponse:
    member = current_member(request)
    compartment = _compartment(member, compartment_id, edit=True)
    try:
        shift = DutyShift.objects.select_related("compartment").get(
            pk=shift_id, compartment=compartment
        )
    except (DutyShift.DoesNotExist, ValueError) as missing:
        raise Http404 from missing
    remove_shift(shift, actor=member)
    messages.success(request, _("The shift was removed from the roster."))
    return redirect("escalation_policy", compartment_id=compartment.pk)
