"""SMS and Telegram: a person's own words and linked Telegram accounts, and the intake
list of cries for help from unknown senders.

A person's settings page shows viewers only how many own words are set; the words,
the linked accounts and every change need EDIT on the person. A Telegram link code,
like a personal check-in link, is shown in the one response that created it and
nowhere else: never in a URL, a log or the audit.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST, require_safe

from safehold.access.models import Need
from safehold.accounts.models import Member
from safehold.cases.gatekeepers import can, get_person_for, persons_for
from safehold.cases.models import Person
from safehold.front.forms.inbound import OwnWordsForm, UnlinkForm
from safehold.front.helpers import current_member, page_of, show_action_errors
from safehold.inbound.actions import issue_link_code, set_own_words, unlink_telegram
from safehold.inbound.models import (
    AddressKind,
    Gateway,
    GatewayKind,
    Handling,
    InboundMessage,
    PersonWords,
    Sender,
)

WORD_FIELDS = ("words-checkin_words", "words-panic_words")


@dataclass(frozen=True)
class LinkedAccount:
    """A linked Telegram account as the page shows it: when, never which."""

    sender_id: uuid.UUID
    linked_at: datetime.datetime


def _linked_accounts(person: Person) -> list[LinkedAccount]:
    # Only ids and dates: the chat id is never read, so never decrypted.
    rows = (
        Sender.objects.filter(person=person, kind=AddressKind.TELEGRAM)
        .order_by("created_at")
        .values_list("pk", "created_at")
    )
    return [LinkedAccount(sender_id=pk, linked_at=at) for pk, at in rows]


def _page(
    request: HttpRequest,
    person: Person,
    *,
    new_code: str = "",
    words_form: forms.Form | None = None,
) -> HttpResponse:
    """Render the person's SMS and Telegram page; a bound `words_form` shows its errors."""
    can_edit = can(current_member(request), person, Need.EDIT)
    words = PersonWords.objects.filter(person=person).first()
    checkin_words = list(words.checkin_words) if words else []
    panic_words = list(words.panic_words) if words else []
    context: dict[str, Any] = {
        "person": person,
        "can_edit": can_edit,
        "checkin_count": len(checkin_words),
        "panic_count": len(panic_words),
        "new_code": new_code,
    }
    if can_edit:
        # Only those who may change the words see them: a captor who learns a panic
        # word can avoid it.
        initial = {"checkin_words": checkin_words, "panic_words": panic_words}
        context["words_form"] = words_form or OwnWordsForm(initial=initial, prefix="words")
        context["linked"] = _linked_accounts(person)
        context["has_telegram_bot"] = Gateway.objects.filter(
            organisation_id=person.organisation_id, kind=GatewayKind.TELEGRAM, is_active=True
        ).exists()
    return render(request, "front/inbound/person.html", context)


def _done(request: HttpRequest, person: Person, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("person_inbound", person_id=person.pk)


def _editable_person(request: HttpRequest, person_id: Any) -> tuple[Member, Person]:
    member = current_member(request)
    return member, get_person_for(member, person_id, Need.EDIT)


@require_safe
def person_inbound(request: HttpRequest, person_id: Any) -> HttpResponse:
    person = get_person_for(current_member(request), person_id, Need.VIEW)
    return _page(request, person)


@sensitive_variables("form")
@sensitive_post_parameters(*WORD_FIELDS)
@require_POST
def person_inbound_words(request: HttpRequest, person_id: Any) -> HttpResponse:
    """Set the person's own check-in and panic words; clashes come back as field errors."""
    member, person = _editable_person(request, person_id)
    form = OwnWordsForm(request.POST, prefix="words")
    if form.is_valid():
        try:
            set_own_words(
                person,
                actor=member,
                checkin_words=form.cleaned_data["checkin_words"],
                panic_words=form.cleaned_data["panic_words"],
            )
        except ValidationError as error:
            show_action_errors(form, error)
        else:
            return _done(request, person, _("The person's own words were saved."))
    return _page(request, person, words_form=form)


@sensitive_variables("code")
@require_POST
def person_inbound_link_code(request: HttpRequest, person_id: Any) -> HttpResponse:
    """Create a one-time Telegram link code and show it in this response only."""
    member, person = _editable_person(request, person_id)
    code = issue_link_code(actor=member, person=person)
    return _page(request, person, new_code=code)


@require_POST
def person_inbound_unlink(request: HttpRequest, person_id: Any) -> HttpResponse:
    member, person = _editable_person(request, person_id)
    form = UnlinkForm(request.POST)
    if not form.is_valid():
        raise Http404
    revoked = unlink_telegram(person, actor=member, sender_id=form.cleaned_data["sender"])
    if revoked is None:
        messages.info(request, _("This Telegram account was already unlinked."))
        return redirect("person_inbound", person_id=person.pk)
    if revoked:
        return _done(
            request,
            person,
            _("The Telegram account was unlinked. Link codes not yet used no longer work."),
        )
    return _done(request, person, _("The Telegram account was unlinked."))


@dataclass(frozen=True)
class IntakeRow:
    message: InboundMessage
    channel: str
    # None when the member may not reveal the person's sensitive fields: shown masked.
    text: str | None


@require_safe
def intake_list(request: HttpRequest) -> HttpResponse:
    """Cries for help from unknown senders, newest first, for the cases the member sees.

    The text is shown only to members who may reveal the person's sensitive fields, and
    only theirs is decrypted.
    """
    member = current_member(request)
    intake = (
        InboundMessage.objects.filter(
            handling=Handling.INTAKE, person__in=persons_for(member, Need.VIEW)
        )
        .select_related("gateway", "person", "alert")
        .order_by("-received_at", "-pk")
    )
    page = page_of(request, intake)
    listed: list[InboundMessage] = list(page.object_list)
    revealable = set(
        persons_for(member, Need.REVEAL)
        .filter(pk__in={message.person_id for message in listed})
        .values_list("pk", flat=True)
    )
    rows = [
        IntakeRow(
            message=message,
            channel=str(message.gateway.get_kind_display()),
            # Encrypted fields open on first access: a masked text is never decrypted.
            text=(message.text or "") if message.person_id in revealable else None,
        )
        for message in listed
    ]
    context = {"page": page, "rows": rows, "section": "intake"}
    return render(request, "front/inbound/intake.html", context)
