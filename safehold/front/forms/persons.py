"""Forms about protected persons: the case itself, its stage, phones and contacts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from safehold.accounts.models import Compartment, Member
from safehold.cases.models import RiskLevel, Stage
from safehold.front.dashboard import STATE_LABELS
from safehold.front.forms.fields import (
    CompartmentField,
    LinesField,
    MemberField,
    date_field,
    secret_text,
)
from safehold.lib.phones import normalise_phone

CODENAME_HELP = _(
    "A made-up name that points to nobody. It is shown in lists and used in searches."
)
KEEP_HELP = _("Leave empty to keep what is recorded.")
# The sensitive fields of a person: never shown in a form, empty means "keep".
SENSITIVE_PERSON_FIELDS = (
    "legal_name",
    "aliases",
    "date_of_birth",
    "origin",
    "city",
    "languages",
    "notes",
)


class PersonFilterForm(forms.Form):
    q = forms.CharField(label=_("Codename"), max_length=60, required=False)
    stage = forms.ChoiceField(
        label=_("Stage"), choices=[("", _("Any stage")), *Stage.choices], required=False
    )
    state = forms.ChoiceField(
        label=_("Check-in state"),
        choices=[("", _("Any state")), *STATE_LABELS.items()],
        required=False,
    )
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        required=False,
        help_text=_("Only cases you may reveal; each search by city is audited."),
    )


class PersonForm(forms.Form):
    """What a coordinator states about a person; `is_edit` leaves sensitive fields blank."""

    codename = forms.CharField(label=_("Codename"), max_length=60, help_text=CODENAME_HELP)
    compartment = CompartmentField()
    risk_level = forms.ChoiceField(
        label=_("Risk level"), choices=RiskLevel.choices, initial=RiskLevel.HIGH
    )
    coordinator = MemberField(
        label=_("Coordinator"), queryset=Member.objects.none(), required=False
    )
    legal_name = secret_text(_("Legal name"), max_length=300)
    aliases = LinesField(
        label=_("Other names"), max_length=2000, required=False, help_text=_("One per line.")
    )
    date_of_birth = date_field(_("Date of birth"))
    origin = secret_text(_("Origin"), max_length=300)
    city = secret_text(_("Current city"), max_length=200)
    languages = LinesField(
        label=_("Languages"), max_length=1000, required=False, help_text=_("One per line.")
    )
    notes = secret_text(_("Notes"), max_length=20000, rows=6)

    def __init__(
        self,
        *args: Any,
        compartments: QuerySet[Compartment],
        coordinators: QuerySet[Member],
        is_edit: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compartment"].queryset = compartments  # type: ignore[attr-defined]
        self.fields["coordinator"].queryset = coordinators  # type: ignore[attr-defined]
        if is_edit:
            for name in SENSITIVE_PERSON_FIELDS:
                self.fields[name].help_text = KEEP_HELP

    def clean_codename(self) -> str:
        return str(self.cleaned_data["codename"]).strip()


class NewPersonForm(PersonForm):
    phones = LinesField(
        label=_("Phone numbers"),
        max_length=1000,
        max_lines=10,
        required=False,
        help_text=_("One per line, with the country code, e.g. +7 916 123-45-67."),
    )

    def __init__(self, *args: Any, phone_region: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.phone_region = phone_region

    def clean_phones(self) -> list[str]:
        """Check each line now, so the form can say which one is wrong."""
        lines: list[str] = self.cleaned_data["phones"]
        problems = []
        for number, line in enumerate(lines, start=1):
            try:
                normalise_phone(line, self.phone_region)
            except forms.ValidationError as error:
                for message in error.messages:
                    problems.append(
                        forms.ValidationError(
                            _("Line %(line)s: %(problem)s"),
                            params={"line": number, "problem": message},
                        )
                    )
        if problems:
            raise forms.ValidationError(problems)
        return lines


class MoveStageForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("New stage"), choices=Stage.choices)
    reason = forms.CharField(
        label=_("Why does the case move?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PhoneForm(forms.Form):
    number = secret_text(_("Phone number"), max_length=40, required=True)
    label = forms.CharField(
        label=_("Label"),
        max_length=40,
        required=False,
        help_text=_("For example: own, work, spare. Do not write a name here."),
    )


class TrustedContactForm(forms.Form):
    name = secret_text(_("Name"), max_length=300, required=True)
    relation = secret_text(_("Relation"), max_length=300)
    phone = secret_text(_("Phone number"), max_length=40)
    notes = secret_text(_("Notes"), max_length=5000, rows=4)


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see this?"),
        max_length=500,
        help_text=_("Your reason is recorded with your name."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
