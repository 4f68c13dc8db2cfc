"""Safe houses, their status and who stays in them."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehold.accounts.models import Compartment
from safehold.cases.models import Person
from safehold.front.forms.fields import CompartmentField, date_field, secret_text
from safehold.shelters.models import SafeHouseStatus

MAX_CAPACITY = 500


class SafeHouseForm(forms.Form):
    """A safe house; on edit the address, instructions and notes start blank (kept)."""

    codename = forms.CharField(
        label=_("Codename"),
        max_length=60,
        help_text=_("A made-up name that says nothing about the place."),
    )
    compartment = CompartmentField()
    city = forms.CharField(label=_("City"), max_length=100)
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=MAX_CAPACITY,
        help_text=_("How many people can stay at once."),
    )
    address = secret_text(_("Address"), max_length=2000, rows=2)
    access_instructions = secret_text(_("Access instructions"), max_length=5000, rows=3)
    notes = secret_text(_("Notes"), max_length=20000, rows=4)

    def __init__(
        self, *args: Any, compartments: QuerySet[Compartment], is_edit: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compartment"].queryset = compartments  # type: ignore[attr-defined]
        if is_edit:
            for name in ("address", "access_instructions", "notes"):
                self.fields[name].help_text = _("Leave empty to keep what is recorded.")
        else:
            self.fields["address"].required = True

    def clean_codename(self) -> str:
        return str(self.cleaned_data["codename"]).strip()


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=SafeHouseStatus.choices)
    reason = forms.CharField(
        label=_("Why does the status change?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current

    def clean_status(self) -> str:
        status = str(self.cleaned_data["status"])
        if status == self.current:
            raise forms.ValidationError(_("The safe house already has this status."))
        return status


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.codename)


class PlacementForm(forms.Form):
    person = PersonField(label=_("Person"), queryset=Person.objects.none())
    start_date = date_field(_("From"), required=True)
    end_date = date_field(_("Until"), help_text=_("Leave empty if the end is not known."))

    def __init__(self, *args: Any, persons: QuerySet[Person], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"start_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = persons  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: datetime.date | None = cleaned.get("start_date")
        end: datetime.date | None = cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The stay cannot end before it starts."))
        return cleaned


class EndPlacementForm(forms.Form):
    end_date = date_field(_("Last day"), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"end_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
