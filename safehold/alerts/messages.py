"""What a notification says: only what a responder needs, nothing that identifies.

An opaque code, the kind of alert, the codename and a link. Never a name, a phone, an
address, or the word "duress": a captor may be reading the responder's screen too, or
the person's own phone if they are a trusted responder.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from safehold.alerts.links import ack_url
from safehold.alerts.models import AlertKind, Notification, Purpose
from safehold.transports.base import Message


def kind_words(kind: str) -> str:
    # Deliberately not AlertKind's labels: a duress check-in reads as any urgent alert.
    words: dict[str, str] = {
        AlertKind.MISSED_CHECKIN: _("Missed check-in"),
        AlertKind.DURESS: _("Urgent alert"),
        AlertKind.PIN_ATTACK: _("Security alert"),
        AlertKind.PANIC: _("SOS"),
        AlertKind.MANUAL: _("Alert"),
    }
    return words.get(kind, _("Alert"))


def compose(notification: Notification) -> Message:
    """Return the message for `notification` in its member's language."""
    alert = notification.alert
    with translation.override(notification.member.language or "en"):
        words = {
            "code": alert.code,
            "kind": kind_words(alert.kind),
            "codename": alert.person.codename,
        }
        if notification.purpose == Purpose.STAND_DOWN:
            title = _("[%(code)s] Stand down: %(codename)s") % words
            body = _("Alert %(code)s about %(codename)s is closed. No action is needed.") % words
        else:
            title = _("[%(code)s] %(kind)s: %(codename)s") % words
            body = "\n".join(
                [
                    _("%(kind)s: %(codename)s") % words,
                    _("Acknowledge: %(link)s") % {"link": ack_url(notification.id)},
                    _("Or reply: ACK %(code)s") % words,
                ]
            )
    return Message(title=title, body=body, idempotency_key=notification.idempotency_key)
