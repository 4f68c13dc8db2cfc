"""What a notification says: only what a responder needs, nothing that identifies.

An opaque code, the kind of alert, the codename and a link. Never a name, a phone, an
address, or the word "duress": a captor may be reading the responder's screen too, or
the person's own phone if they are a trusted responder.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from safehold.alerts.links import ack_urls
from safehold.alerts.models import AlertKind, Purpose
from safehold.transports.base import Message


def kind_words(kind: str) -> str:
    # Deliberately not AlertKind's labels: a duress check-in reads as any urgent alert.
    words: dict[str, str] = {
        AlertKind.MISSED_CHECKIN: _("Missed check-in"),
        AlertKind.DURESS: _("Urgent alert"),
        AlertKind.PIN_ATTACK: _("Security alert"),
        AlertKind.PANIC: _("SOS"),
        AlertKind.MANUAL: _("Alert"),
        AlertKind.INTAKE: _("Call for help from a new contact"),
        AlertKind.UNUSUAL: _("Security alert"),
        AlertKind.TASK_OVERDUE: _("Incident task overdue"),
        AlertKind.DISPATCH: _("You are asked to respond"),
        AlertKind.DISPATCH_UNANSWERED: _("No responder accepted"),
    }
    return words.get(kind, _("Alert"))


@dataclass(frozen=True)
class Draft:
    """What composing one notification needs, read in bulk by the worker."""

    notification_id: str  # hex
    idempotency_key: str
    purpose: str
    language: str
    code: str
    kind: str
    codename: str


@functools.lru_cache(maxsize=128)
def _templates(language: str, purpose: str, kind: str) -> tuple[str, str]:
    """Return (title, body) with %(code)s, %(codename)s and %(link)s left to fill.

    Translating once per language and kind, not per message: a burst of alerts
    composes thousands of messages and switching languages each time cost more than
    the rest of composing.
    """
    with translation.override(language):
        words = {
            "code": "%(code)s",
            "codename": "%(codename)s",
            "kind": kind_words(kind).replace("%", "%%"),
            "link": "%(link)s",
        }
        if purpose == Purpose.STAND_DOWN:
            return (
                _("[%(code)s] Stand down: %(codename)s") % words,
                _("Alert %(code)s about %(codename)s is closed. No action is needed.") % words,
            )
        return (
            _("[%(code)s] %(kind)s: %(codename)s") % words,
            "\n".join(
                [
                    _("%(kind)s: %(codename)s") % words,
                    _("Acknowledge: %(link)s") % words,
                    _("Or reply: ACK %(code)s") % words,
                ]
            ),
        )


def compose_drafts(drafts: list[Draft]) -> list[Message]:
    """Return the message for each notification, in its member's language."""
    links = ack_urls([d.notification_id for d in drafts if d.purpose != Purpose.STAND_DOWN])
    next_link = iter(links)
    messages = []
    for draft in drafts:
        title, body = _templates(draft.language or "en", draft.purpose, draft.kind)
        link = "" if draft.purpose == Purpose.STAND_DOWN else next(next_link)
        values = {"code": draft.code, "codename": draft.codename, "link": link}
        messages.append(Message(title % values, body % values, draft.idempotency_key))
    return messages
