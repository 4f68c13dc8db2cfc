"""Forms of a person's check-in page: schedule, PINs, pause, heightened mode and the
disguise of the personal page.

They parse input only; `safehold.checkins.actions` decides what is allowed and says
what is wrong. PINs are never rendered back into a page.
"""

from __future__ import annotations

import datetime
import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehold.checkins.disguises import DISGUISES, PageLanguage
from safehold.checkins.models import DEFAULT_TIMEZONE
from safehold.checkins.schedule_math import ScheduleKind

MAX_MINUTES_INPUT = 10**6
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


@cache
def timezone_choices() -> tuple[tuple[str, str], ...]:
    """Return every IANA time zone as (name, name), sorted, for a select."""
    return tuple((name, name) for name in sorted(zoneinfo.available_timezones()))


def minutes_field(label: Any, *, required: bool = False, **kwargs: Any) -> forms.IntegerField:
    # Bounded here only so absurd numbers fail as form errors; the actions set the limits.
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=0,
        max_value=MAX_MINUTES_INPUT,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        **kwargs,
    )


class DateTimeLocalInput(forms.DateTimeInput):
    """A native date-and-time picker without a zone; the form says which zone it means."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock date and time read in `zone` (not the server's), returned aware.

    A time that does not exist in the zone or exists twice (a clock change) is refused
    with Django's own message rather than guessed.
    """

    widget = DateTimeLocalInput
    input_formats = [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def __init__(self, *, zone: str = DEFAULT_TIMEZONE, **kwargs: Any) -> None:
        self.zone = zone
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime.datetime | None:
        with timezone.override(zoneinfo.ZoneInfo(self.zone)):
            return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(zoneinfo.ZoneInfo(self.zone)):
            return super().prepare_value(value)


class ScheduleForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of schedule"),
        choices=ScheduleKind.choices,
        initial=ScheduleKind.INTERVAL,
        widget=forms.RadioSelect,
    )
    interval_minutes = minutes_field(
        _("Interval (minutes)"),
        help_text=_("For “every interval”: how often to check in, from 5 minutes to 7 days."),
    )
    daily_times = forms.CharField(
        label=_("Times of day"),
        max_length=300,
        required=False,
        help_text=_("For “at fixed times”: HH:MM in the person's time zone, e.g. 09:00, 21:00."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"), choices=timezone_choices, initial=DEFAULT_TIMEZONE
    )
    grace_minutes = minutes_field(
        _("Grace (minutes)"),
        required=True,
        initial=30,
        help_text=_("How long after a deadline the check-in counts as missed and alerts start."),
    )

    def clean_daily_times(self) -> list[str]:
        text = str(self.cleaned_data.get("daily_times") or "")
        return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def pin_field(label: Any, help_text: Any) -> forms.CharField:
    # Never pre-filled (render_value=False), never remembered, a number pad on phones.
    return forms.CharField(
        label=label,
        max_length=64,
        help_text=help_text,
        widget=forms.PasswordInput(
            render_value=False,
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
        ),
    )


class PinsForm(forms.Form):
    pin = pin_field(_("PIN"), _("4 to 8 digits. The person types it to check in."))
    duress_pin = pin_field(
        _("Duress PIN"),
        _(
            "4 to 8 digits, different from the PIN. It looks like a normal check-in "
            "but raises a top-severity alert."
        ),
    )


class PauseForm(forms.Form):
    until = LocalDateTimeField(label=_("Paused until"))

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["until"]
        assert isinstance(field, LocalDateTimeField)
        field.zone = zone
        field.help_text = _(
            "In the person's time zone (%(zone)s). Check-ins resume by themselves."
        ) % {"zone": zone}


class HeightenedForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Heightened mode"),
        choices=[("on", _("On")), ("off", _("Off"))],
        widget=forms.RadioSelect,
    )
    interval_minutes = minutes_field(
        _("Heightened interval (minutes)"),
        help_text=_("A shorter period while the risk is high. Empty keeps the last one used."),
    )

    def is_on(self) -> bool:
        return self.cleaned_data["mode"] == "on"


def disguise_choices() -> list[tuple[str, str]]:
    """Return each disguise with the words of its red button, in the current language.

    The coordinator has to teach the person which button calls for help, so the choice
    names it.
    """
    return [
        (
            key,
            _("%(title)s (the red button reads “%(button)s”)")
            % {"title": disguise.title, "button": disguise.send_label},
        )
        for key, disguise in DISGUISES.items()
    ]


class DisguiseForm(forms.Form):
    disguise = forms.ChoiceField(
        label=_("Disguise"),
        choices=disguise_choices,
        widget=forms.RadioSelect,
        help_text=_(
            "The title, icon and words of the personal page. None of them names the "
            "organisation or what the page is for."
        ),
    )
    page_language = forms.ChoiceField(
        label=_("Language of the page"),
        choices=PageLanguage.choices,
        widget=forms.RadioSelect,
    )


class NoFieldsForm(forms.Form):
    """A form that is only a button (issue a link, resume): CSRF is all it carries."""
