"""Form fields and widgets used across the interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from safehold.accounts.models import Compartment, Member

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DateInput(forms.DateInput):
    """A native date picker; it sends and shows ISO dates whatever the language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(label: StrOrPromise, *, required: bool = False, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DateInput(), **kwargs)


def secret_text(
    label: StrOrPromise, *, max_length: int, rows: int = 0, required: bool = False, **kwargs: Any
) -> forms.CharField:
    """Return a field for a sensitive value: never pre-filled, never remembered by browsers."""
    attrs = {"autocomplete": "off", "spellcheck": "false"}
    widget: forms.Widget = (
        forms.Textarea(attrs={**attrs, "rows": rows}) if rows else forms.TextInput(attrs=attrs)
    )
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=widget, **kwargs
    )


class LinesField(forms.CharField):
    """Text with one entry per line, cleaned to a list without blank lines."""

    def __init__(self, *, max_lines: int = 20, **kwargs: Any) -> None:
        self.max_lines = max_lines
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().clean(value)
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if len(lines) > self.max_lines:
            raise forms.ValidationError(
                _("Enter at most %(count)s lines."), params={"count": self.max_lines}
            )
        return lines


class CompartmentField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Compartment.objects.none())
        kwargs.setdefault("label", _("Compartment"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class MemberField(forms.ModelChoiceField):
    """Choose a colleague, listed by the name colleagues know them by."""

    def label_from_instance(self, obj: Any) -> str:
        member: Member = obj
        return member.label
