"""Responder profiles, availability and the organisation's list of responders."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from safehold.front.forms.fields import LinesField
from safehold.incidents.models import Availability, ResponderKind, ResponderProfile
from safehold.incidents.responder_actions import LANGUAGES, MAX_PLACE_LENGTH, MAX_PLACES

# Bounds the text only so absurd input fails early; the action checks each place.
_MAX_PLACES_TEXT = 5000


def _places(label: Any) -> LinesField:
    return LinesField(
        label=label, max_lines=MAX_PLACES, max_length=_MAX_PLACES_TEXT, required=False
    )


class ResponderProfileForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=_("Responds as"),
        choices=ResponderKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    availability = forms.ChoiceField(
        label=_("Can go now"),
        choices=Availability.choices,
        initial=Availability.AVAILABLE,
        widget=forms.RadioSelect,
    )
    cities = _places(_("Cities"))
    regions = _places(_("Regions"))
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=LANGUAGES,
        required=False,
        help_text=_(
            "Among responders equally close, those who speak the person's language are asked first."
        ),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built here, in the language of the request: a lazy text formatted at import
        # would stay in the language of the process.
        limits = {"lines": MAX_PLACES, "length": MAX_PLACE_LENGTH}
        self.fields["cities"].help_text = (
            gettext(
                "One per line, at most %(lines)s, each up to %(length)s characters. Responders "
                "in the city of an incident are asked first. Stored encrypted; only the "
                "organisation's coordinators see them."
            )
            % limits
        )
        self.fields["regions"].help_text = (
            gettext("One per line, at most %(lines)s. Responders in the region are asked next.")
            % limits
        )


def profile_initial(profile: ResponderProfile | None) -> dict[str, Any]:
    """Return the profile form's initial data: the saved profile, if any."""
    if profile is None:
        return {}
    return {
        "kinds": list(profile.kinds),
        "availability": profile.availability,
        "cities": "\n".join(profile.cities or []),
        "regions": "\n".join(profile.regions or []),
        "languages": list(profile.languages),
    }


class AvailabilityForm(forms.Form):
    """One click on the profile page: a button per availability, named `availability`."""

    availability = forms.ChoiceField(label=_("Can go now"), choices=Availability.choices)


class ResponderFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Responds as"),
        choices=[("", _("Any kind")), *ResponderKind.choices],
        required=False,
    )
    availability = forms.ChoiceField(
        label=_("Availability"),
        choices=[("", _("Any availability")), *Availability.choices],
        required=False,
    )
