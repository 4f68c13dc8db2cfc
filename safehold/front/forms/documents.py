"""A person's passports, visas and claims."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from safehold.cases.models import DocumentKind, DocumentStatus
from safehold.front.forms.fields import date_field, secret_text

# Sensitive document fields: never shown in a form; empty on edit means "keep".
SENSITIVE_DOCUMENT_FIELDS = ("number", "deadline_note")


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    country = forms.CharField(
        label=_("Country"),
        min_length=2,
        max_length=2,
        help_text=_("Two-letter code, e.g. DE."),
        validators=[RegexValidator(r"^[A-Za-z]{2}$", _("Enter a two-letter country code."))],
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=DocumentStatus.choices, initial=DocumentStatus.NEEDED
    )
    number = secret_text(_("Document number"), max_length=100)
    issued_on = date_field(_("Issued on"))
    expires_on = date_field(_("Expires on"))
    deadline = date_field(_("Deadline"))
    deadline_note = secret_text(_("What is due"), max_length=2000, rows=2)

    def __init__(self, *args: Any, is_edit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_edit:
            for name in SENSITIVE_DOCUMENT_FIELDS:
                self.fields[name].help_text = _("Leave empty to keep what is recorded.")

    def clean_country(self) -> str:
        return str(self.cleaned_data["country"]).upper()

    def values(self, *, is_edit: bool) -> dict[str, Any]:
        """Return the cleaned values for `save_document`, leaving out blank secrets on edit."""
        values = dict(self.cleaned_data)
        if is_edit:
            for name in SENSITIVE_DOCUMENT_FIELDS:
                if not values[name]:
                    del values[name]
        return values
