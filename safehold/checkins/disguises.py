"""The faces a person's secret page can wear: a title, an icon and everyday words.

Whoever looks over the person's shoulder, or at the phone's history later, must see a
harmless little app. So no disguise names Safehold, check-ins, alarms or danger; the
button that raises a panic gets a neutral label the person learns by heart, and the
page is still a big red button to a shaking hand.

The catalogue is code, not data: every word is translated, and a coordinator only
chooses one of these by its key.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DisguiseKind(models.TextChoices):
    NOTES = "notes", _("Notes")
    SHOPPING = "shopping", _("Shopping list")
    WEATHER = "weather", _("Weather")
    RECIPES = "recipes", _("Recipes")


class PageLanguage(models.TextChoices):
    # "browser" follows the phone's Accept-Language, as the rest of the site does.
    BROWSER = "browser", _("The phone's language")
    ENGLISH = "en", _("English")
    RUSSIAN = "ru", _("Russian")


@dataclass(frozen=True)
class Disguise:
    """The words and icon of one face of the page. Every label is translated lazily."""

    kind: str
    title: StrOrPromise
    # A small standalone SVG document; it references nothing, so it loads nothing.
    icon_svg: str
    code_label: StrOrPromise
    save_label: StrOrPromise
    # The panic button: neutral words, but large and red on the page.
    send_label: StrOrPromise
    # Shown after a check-in (either PIN) and after the panic button, alike.
    done_message: StrOrPromise
    retry_message: StrOrPromise

    @property
    def icon_uri(self) -> str:
        """Return the icon as a data: URI, for the favicon and the page alike.

        Base64 rather than percent-encoding so the SVG's namespace string never reads
        like an address in the page (it is an identifier, never fetched).
        """
        encoded = base64.b64encode(self.icon_svg.encode()).decode("ascii")
        return f"data:image/svg+xml;base64,{encoded}"


def _svg(body: str) -> str:
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">{body}</svg>'


DISGUISES: dict[str, Disguise] = {
    DisguiseKind.NOTES: Disguise(
        kind=DisguiseKind.NOTES,
        title=_("Notes"),
        icon_svg=_svg(
            '<rect x="2" y="1" width="12" height="14" rx="2" fill="#f5c542"/>'
            '<path d="M5 5h6M5 8h6M5 11h4" stroke="#7a5b00" stroke-width="1.4"/>'
        ),
        code_label=_("Code"),
        save_label=_("Save"),
        send_label=_("Send to family"),
        done_message=_("Saved."),
        retry_message=_("Not saved. Check the code and try again."),
    ),
    DisguiseKind.SHOPPING: Disguise(
        kind=DisguiseKind.SHOPPING,
        title=_("Shopping list"),
        icon_svg=_svg(
            '<rect x="1" y="1" width="14" height="14" rx="3" fill="#2f9e44"/>'
            '<path d="M4 5.5l1.5 1.5L8 4.5M9.5 6h3M4 10.5h8.5" stroke="#fff" '
            'stroke-width="1.4" fill="none"/>'
        ),
        code_label=_("Item code"),
        save_label=_("Add"),
        send_label=_("Clear the list"),
        done_message=_("Added."),
        retry_message=_("Not added. Check the item code and try again."),
    ),
    DisguiseKind.WEATHER: Disguise(
        kind=DisguiseKind.WEATHER,
        title=_("Weather"),
        icon_svg=_svg(
            '<circle cx="6" cy="6" r="4" fill="#fab005"/>'
            '<path d="M4 14h8a3 3 0 0 0 0-6 4 4 0 0 0-7.6 1.2A2.4 2.4 0 0 0 4 14z" '
            'fill="#adb5bd"/>'
        ),
        code_label=_("Postcode"),
        save_label=_("Show"),
        send_label=_("Share the forecast"),
        done_message=_("Updated."),
        retry_message=_("Nothing found. Check the postcode and try again."),
    ),
    DisguiseKind.RECIPES: Disguise(
        kind=DisguiseKind.RECIPES,
        title=_("Recipes"),
        icon_svg=_svg(
            '<path d="M1 8h14a7 6 0 0 1-14 0z" fill="#e8590c"/>'
            '<path d="M5 2v4M8 1v5M11 2v4" stroke="#868e96" stroke-width="1.2"/>'
        ),
        code_label=_("Recipe number"),
        save_label=_("Save"),
        send_label=_("Send to a friend"),
        done_message=_("Saved to favourites."),
        retry_message=_("Not found. Check the recipe number and try again."),
    ),
}


def disguise_for(kind: str) -> Disguise:
    """Return the disguise called `kind`, or the default (Notes) for an unknown key.

    A key dropped from the catalogue must not break a person's page.
    """
    return DISGUISES.get(kind, DISGUISES[DisguiseKind.NOTES])


def language_for(choice: str) -> str | None:
    """Return the language code the page must use, or None to follow the browser."""
    return None if choice not in (PageLanguage.ENGLISH, PageLanguage.RUSSIAN) else choice
