"""What the escalation ladder and the playbook editors share: a list of steps, each
one form, where saved steps can be deleted and empty ones are offered to add."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class StepsFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    """Steps under the "steps" prefix; each form has a `step()` returning its input."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "steps")
        super().__init__(*args, **kwargs)

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Delete this step")

    def steps(self) -> list[Any]:
        """Return the cleaned steps in the order shown, leaving out deleted ones and
        untouched empty ones."""
        kept = []
        for index, form in enumerate(self.forms):
            if self._should_delete_form(form):  # type: ignore[attr-defined]
                continue
            if index >= self.initial_form_count() and not form.has_changed():
                continue
            kept.append(form.step())  # type: ignore[attr-defined]
        return kept
