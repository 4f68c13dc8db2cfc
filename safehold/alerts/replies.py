"""Answers to inbound messages, queued as rows and delivered by the worker.

A reply never carries a PIN, and a duress check-in gets the very reply a normal one
gets: the caller composes the text, this module only queues and sends it.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from safehold.alerts.models import NotificationStatus, Reply
from safehold.lib.ids import new_id
from safehold.transports.base import Message, TransportError

log = logging.getLogger("safehold.worker")

CLAIM_TTL = datetime.timedelta(seconds=60)
MAX_ATTEMPTS = 10
RETRY_BASE = datetime.timedelta(seconds=5)


def queue_reply(url: str, text: str) -> Reply:
    """Queue `text` for the Apprise `url` (gateway and recipient); the worker sends it."""
    reply_id = new_id()
    return Reply.objects.create(
        id=reply_id, url=url, text=text, idempotency_key=f"sh-reply-{reply_id.hex}"
    )


def deliver_due_replies(deliver, now: datetime.datetime, *, batch: int = 100) -> int:  # type: ignore[no-untyped-def]
    """Send due replies one by one (they are few); return how many were sent."""
    due = Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=NotificationStatus.SENDING, claimed_until__lt=now
    )
    with transaction.atomic():
        claimed = list(Reply.objects.filter(due).order_by("next_attempt_at")[:batch])
        Reply.objects.filter(pk__in=[r.pk for r in claimed]).update(
            status=NotificationStatus.SENDING,
            claimed_until=now + CLAIM_TTL,
            attempts=F("attempts") + 1,
        )
    sent = 0
    for reply in claimed:
        message = Message(
            title="", body=reply.text, idempotency_key=reply.idempotency_key, show_reference=False
        )
        try:
            deliver(reply.url, message, timeout_seconds=10.0)
        except TransportError as error:
            attempts = reply.attempts + 1
            failed = error.permanent or attempts >= MAX_ATTEMPTS
            log.warning("reply failed: reply=%s kind=%s attempt=%s", reply.pk, error.kind, attempts)
            Reply.objects.filter(pk=reply.pk).update(
                status=NotificationStatus.FAILED if failed else NotificationStatus.PENDING,
                claimed_until=None,
                last_error=error.kind,
                next_attempt_at=now + RETRY_BASE * 2 ** min(attempts, 6),
            )
            continue
        Reply.objects.filter(pk=reply.pk).update(
            status=NotificationStatus.SENT, sent_at=timezone.now(), claimed_until=None
        )
        sent += 1
    return sent
