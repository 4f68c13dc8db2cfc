"""Forms of a person's SMS and Telegram settings: own words, unlinking an account.

They parse input only; `safehold.inbound.actions` decides how many words are allowed
and which ones clash.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

# Commas (also the fullwidth one a phone keyboard may offer) or line breaks; not spaces,
# because a word may be several ("нужна помощь").
_SEPARATORS = re.compile(r"[,\uFF0C\r\n]+")
# Room for three words of 40 letters and their separators; anything longer is refused
# here rather than handed to the parser.
MAX_WORDS_INPUT = 300


def split_words(text: str) -> list[str]:
    """Return the words of `text`, separated by commas or line breaks, blanks dropped."""
    return [word.strip() for word in _SEPARATORS.split(text) if word.strip()]


class WordListField(forms.CharField):
    """Up to a few words, one per line or separated by commas, cleaned to a list."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", MAX_WORDS_INPUT)
        kwargs.setdefault(
            "widget",
            forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[str]:  # type: ignore[override]
        return split_words(super().clean(value) or "")

    def prepare_value(self, value: Any) -> Any:
        # The saved words come back as a list; show them one per line.
        if isinstance(value, list | tuple):
            return "\n".join(str(word) for word in value)
        return value


class OwnWordsForm(forms.Form):
    """The person's own words; empty fields leave only the built-in words."""

    checkin_words = WordListField(
        label=_("Own check-in words"),
        help_text=_(
            "Up to three, one per line or separated by commas. The built-in words keep working too."
        ),
    )
    panic_words = WordListField(
        label=_("Own panic words"),
        help_text=_("Up to three. A message containing one raises an alert, as SOS does."),
    )


class UnlinkForm(forms.Form):
    """Which linked Telegram account of the person to unlink."""

    sender = forms.UUIDField(widget=forms.HiddenInput)
