"""Small pieces shared by the views: masking, action errors on forms, htmx checks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from safehold.accounts.models import Member
from safehold.front.forms.persons import RevealForm

# What a sensitive value looks like until someone reveals it. Always the same length,
# so the mask does not even tell whether a value is long, short or missing.
MASK = "••••••"


def show_action_errors(
    form: forms.Form,
    error: ValidationError,
    *,
    rename: Mapping[str, str] | None = None,
    default_field: str | None = None,
) -> None:
    """Put a ValidationError raised by an action on `form`, under the matching fields.

    Keys the form does not have (`rename` may map them first) become errors of the
    whole form; an error without keys goes to `default_field`, else the whole form.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(default_field, error.error_list)
        return
    for key, errors in error.error_dict.items():
        name = (rename or {}).get(key, key)
        form.add_error(name if name in form.fields else None, errors)


def is_htmx(request: HttpRequest) -> bool:
    """Return whether htmx sent the request (not a history restore, which wants a page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def current_member(request: HttpRequest) -> Member:
    """Return the signed-in member; the login middleware lets no visitor reach a view."""
    user = request.user
    if not isinstance(user, Member):
        raise PermissionDenied
    return user


def page_of(request: HttpRequest, items: Any, per_page: int = 50) -> Page:
    """Return the requested page of `items`; a bad page number gives the nearest page."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def posted(request: HttpRequest) -> Any:
    """Return the form data of a POST (even an empty one), or None to leave a form unbound."""
    return request.POST if request.method == "POST" else None


Revealed = TypeVar("Revealed")


def reveal_with_reason(
    request: HttpRequest, reveal: Callable[[str], Revealed]
) -> tuple[Revealed | None, RevealForm]:
    """Run `reveal(reason)` if the posted reason form is valid; return what it revealed
    (None if refused) and the form, carrying any error, for the detail page."""
    form = RevealForm(request.POST)
    revealed = None
    if form.is_valid():
        try:
            revealed = reveal(form.cleaned_data["reason"])
        except ValidationError as error:
            show_action_errors(form, error, default_field="reason")
    return revealed, form
