"""Playbooks: their names and the steps an incident copies into its tasks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _

from safehold.front.forms.formsets import StepsFormSet
from safehold.incidents.models import OwnerRole, PlaybookStep
from safehold.incidents.playbook_actions import (
    MAX_DUE_MINUTES,
    MAX_NAME,
    MAX_POSITION,
    MAX_STEPS,
    MAX_TITLE,
    StepInput,
)

# Empty steps offered under the saved ones, to add a step.
EXTRA_STEPS = 3


def _title(label: Any, language: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_TITLE,
        widget=forms.TextInput(attrs={"autocomplete": "off", "lang": language}),
    )


class PlaybookStepForm(forms.Form):
    """One step: what to do, who does it and by when."""

    position = forms.IntegerField(
        label=_("Position"),
        min_value=1,
        max_value=MAX_POSITION,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    title_en = _title(_("Title in English"), "en")
    title_ru = _title(_("Title in Russian"), "ru")
    owner_role = forms.ChoiceField(label=_("Who does it"), choices=OwnerRole.choices)
    due_minutes = forms.IntegerField(
        label=_("Due, in minutes after the incident opened"),
        min_value=1,
        max_value=MAX_DUE_MINUTES,
        required=False,
        help_text=_("Up to 10080 (7 days). Leave empty for a task without a deadline."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def step(self) -> StepInput:
        """Return the cleaned step for `save_playbook_steps`."""
        data = self.cleaned_data
        return StepInput(
            position=data["position"],
            title_en=data["title_en"],
            title_ru=data["title_ru"],
            owner_role=data["owner_role"],
            due_minutes=data["due_minutes"],
        )


BasePlaybookStepFormSet = forms.formset_factory(
    PlaybookStepForm,
    formset=StepsFormSet,
    extra=EXTRA_STEPS,
    can_delete=True,
    max_num=MAX_STEPS,
    validate_max=True,
    absolute_max=MAX_STEPS + EXTRA_STEPS,
)


class PlaybookStepFormSet(BasePlaybookStepFormSet):  # type: ignore[valid-type,misc]
    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = super().get_form_kwargs(index)
        if index is not None and index >= self.initial_form_count():
            # An empty step comes after the saved ones. Given the same way when the
            # page is shown and when it is sent, so an untouched empty step is unchanged.
            kwargs["initial"] = {"position": index + 1, "owner_role": OwnerRole.LEAD}
        return kwargs

    def add_action_error(self, error: ValidationError) -> None:
        """Show an error the action raised above the steps."""
        self.non_form_errors().extend(error.messages)


def initial_steps(steps: Iterable[PlaybookStep]) -> list[dict[str, Any]]:
    """Return formset initial data for the saved steps."""
    return [model_to_dict(step, fields=list(PlaybookStepForm.base_fields)) for step in steps]


class PlaybookNameForm(forms.Form):
    name_en = forms.CharField(
        label=_("Name in English"),
        max_length=MAX_NAME,
        widget=forms.TextInput(attrs={"autocomplete": "off", "lang": "en"}),
    )
    name_ru = forms.CharField(
        label=_("Name in Russian"),
        max_length=MAX_NAME,
        widget=forms.TextInput(attrs={"autocomplete": "off", "lang": "ru"}),
    )
