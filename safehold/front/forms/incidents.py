"""Incidents: opening, moving, closing, notes, dispatch, evidence and export."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from safehold.cases.models import Person
from safehold.incidents.actions import MAX_DEBRIEF, MAX_NOTE
from safehold.incidents.models import IncidentKind, IncidentOutcome, IncidentState, ResponderKind
from safehold.records.evidence import MAX_DESCRIPTION
from safehold.records.evidence import MAX_NOTE as MAX_STATEMENT
from safehold.shelters.models import SafeHouse


class CodenameField(forms.ModelChoiceField):
    """A person or a safe house, listed by codename: never by a name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.codename)


class OpenIncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=IncidentKind.choices)
    person = CodenameField(label=_("Person"), queryset=Person.objects.none(), required=False)
    safe_house = CodenameField(
        label=_("Safe house"), queryset=SafeHouse.objects.none(), required=False
    )

    def __init__(
        self,
        *args: Any,
        persons: QuerySet[Person],
        safe_houses: QuerySet[SafeHouse],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = persons  # type: ignore[attr-defined]
        self.fields["safe_house"].queryset = safe_houses  # type: ignore[attr-defined]


class MoveForm(forms.Form):
    state = forms.ChoiceField(
        label=_("New state"),
        choices=[(s.value, s.label) for s in IncidentState if s != IncidentState.CLOSED],
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=IncidentOutcome.choices)
    debrief = forms.CharField(
        label=_("Debrief"),
        max_length=MAX_DEBRIEF,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What happened, and what the network should learn from it."),
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), max_length=MAX_NOTE, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_call = forms.BooleanField(label=_("This was a phone call"), required=False)


class DispatchForm(forms.Form):
    kind = forms.ChoiceField(label=_("Send a"), choices=ResponderKind.choices)
    responder = forms.UUIDField(widget=forms.HiddenInput, required=False)
    timeout_minutes = forms.IntegerField(
        label=_("Minutes to answer"),
        min_value=2,
        max_value=120,
        initial=15,
        help_text=_("Silence for longer asks the next responder."),
    )


class EvidenceForm(forms.Form):
    """A file, or a written statement, as evidence: both are hashed on arrival.

    Sizes are checked by the evidence actions, whose messages land on these fields.
    """

    file = forms.FileField(
        label=_("File"), required=False, help_text=_("A photo or a document, up to 20 MB.")
    )
    description = forms.CharField(
        label=_("Description"), max_length=MAX_DESCRIPTION, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    text = forms.CharField(
        label=_("Or a written statement"), max_length=MAX_STATEMENT, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What a witness saw, say: kept as evidence, with its own hash."),
    )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("file")) == bool(data.get("text", "").strip()):
            raise forms.ValidationError(_("Add either a file or a written statement."))
        return data


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(
        label=_("Format"), choices=[("pdf", "PDF"), ("html", "HTML")], initial="pdf"
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    respondent_state = forms.RegexField(
        label=_("Respondent state"),
        regex=r"^[A-Za-z]{2}$",
        initial="RU",
        help_text=_("Two letters, for example RU, TR or GE."),
        error_messages={"invalid": _("Two letters, for example RU.")},
    )
    removal_destination = forms.CharField(
        label=_("Removal to (if any)"), max_length=200, required=False
    )
    removal_date = forms.CharField(label=_("Removal date"), max_length=40, required=False)
    removal_time = forms.CharField(label=_("Removal time"), max_length=40, required=False)
