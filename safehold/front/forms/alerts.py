"""Forms about alerts, notification channels, escalation ladders and duty rosters."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from safehold.accounts.models import Member, Role
from safehold.alerts.channel_actions import MAX_LABEL_LENGTH, MAX_URL_LENGTH
from safehold.alerts.ladder import Rung, Target
from safehold.alerts.models import AlertState, Resolution, TargetKind
from safehold.alerts.policy_actions import MAX_POSITION, MAX_STEPS, StepInput
from safehold.checkins.models import DEFAULT_TIMEZONE
from safehold.front.forms.checkins import LocalDateTimeField, minutes_field, timezone_choices
from safehold.front.forms.fields import MemberField
from safehold.front.forms.formsets import StepsFormSet


class AlertFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("Any state")), *AlertState.choices],
        required=False,
    )


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=_("How did it end?"), choices=Resolution.choices)
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        required=False,
        help_text=_("Stored encrypted. Do not write names, phones or places unless needed."),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
    )
    stand_down = forms.BooleanField(
        label=_("Tell everyone who was notified to stand down"),
        required=False,
        initial=True,
    )


class ChannelForm(forms.Form):
    url = forms.CharField(
        label=_("Address (Apprise URL)"),
        max_length=MAX_URL_LENGTH,
        help_text=_(
            "For example mailto://user:password@example.org?to=me@example.org, "
            "tgram://bot-token/chat-id or ntfy://ntfy.sh/your-topic."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    label = forms.CharField(
        label=_("Label"),
        max_length=MAX_LABEL_LENGTH,
        required=False,
        help_text=_("For example: work phone, Signal. Shown only to you."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class MoveChannelForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])


class MembersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        member: Member = obj
        return member.label


class StepForm(forms.Form):
    """One rung of the ladder: who is told, and how long to wait before the next."""

    position = forms.IntegerField(
        label=_("Position"),
        min_value=1,
        max_value=MAX_POSITION,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    wait_minutes = minutes_field(
        _("Wait before the next step (minutes)"),
        required=True,
        help_text=_("From 1 minute to 24 hours."),
    )
    coordinator = forms.BooleanField(label=_("The person's coordinator"), required=False)
    on_duty = forms.BooleanField(label=_("Whoever is on duty"), required=False)
    roles = forms.MultipleChoiceField(
        label=_("Everyone with the role"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    members = MembersField(
        label=_("Named members"),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, members: QuerySet[Member], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members  # type: ignore[attr-defined]

    def step(self) -> StepInput:
        """Return the cleaned step for `save_policy`."""
        data = self.cleaned_data
        targets: list[Target] = []
        if data.get("coordinator"):
            targets.append(Target(TargetKind.COORDINATOR))
        if data.get("on_duty"):
            targets.append(Target(TargetKind.ON_DUTY))
        targets.extend(Target(TargetKind.ROLE, role=role) for role in data.get("roles") or ())
        targets.extend(
            Target(TargetKind.MEMBER, member_id=member.pk) for member in data.get("members") or ()
        )
        return StepInput(data["position"], data["wait_minutes"], tuple(targets))


BaseStepFormSet = forms.formset_factory(
    StepForm,
    formset=StepsFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_STEPS,
    validate_max=True,
    absolute_max=MAX_STEPS + 5,
)


class StepFormSet(BaseStepFormSet):  # type: ignore[valid-type,misc]
    def __init__(self, *args: Any, members: QuerySet[Member], **kwargs: Any) -> None:
        self.members = members
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "members": self.members}


def initial_steps(rungs: tuple[Rung, ...] | list[Rung]) -> list[dict[str, Any]]:
    """Return formset initial data for a ladder (the saved one or the default)."""
    rows = []
    for rung in rungs:
        kinds = {target.kind for target in rung.targets}
        rows.append(
            {
                "position": rung.position,
                "wait_minutes": int(rung.wait.total_seconds() // 60),
                "coordinator": TargetKind.COORDINATOR in kinds,
                "on_duty": TargetKind.ON_DUTY in kinds,
                "roles": [t.role for t in rung.targets if t.kind == TargetKind.ROLE and t.role],
                "members": [
                    t.member_id
                    for t in rung.targets
                    if t.kind == TargetKind.MEMBER and isinstance(t.member_id, uuid.UUID)
                ],
            }
        )
    return rows


class PolicyForm(forms.Form):
    repeat_from = forms.IntegerField(
        label=_("After the last step, start again from the step at position"),
        min_value=1,
        max_value=MAX_POSITION,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class ShiftForm(forms.Form):
    member = MemberField(label=_("Member"), queryset=Member.objects.none())
    timezone = forms.ChoiceField(
        label=_("Time zone of these times"), choices=timezone_choices, initial=DEFAULT_TIMEZONE
    )
    starts_at = LocalDateTimeField(label=_("From"))
    ends_at = LocalDateTimeField(label=_("Until"))

    def __init__(self, *args: Any, members: QuerySet[Member], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members  # type: ignore[attr-defined]
        # The times are read in the zone chosen on the same form.
        zone = self.data.get(self.add_prefix("timezone")) if self.is_bound else None
        if zone in dict(timezone_choices()):
            for name in ("starts_at", "ends_at"):
                field = self.fields[name]
                assert isinstance(field, LocalDateTimeField)
                field.zone = str(zone)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The shift must end after it starts."))
        return cleaned
