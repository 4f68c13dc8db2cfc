"""A member's own notification channels: add, remove, reorder and test them.

Callers fetch the channel through its owner first (a member manages only their own).
Audit details hold ids, the scheme and positions only: never the URL or the label,
which carry addresses, phone numbers and tokens.
"""

from __future__ import annotations

import datetime
import math
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from safehold.accounts.models import Member
from safehold.alerts.models import Channel
from safehold.audit.chain import record
from safehold.audit.models import AuditEntry
from safehold.transports.apprise_channel import (
    InvalidChannelURL,
    deliver,
    validate_channel_url,
)
from safehold.transports.base import FailureKind, Message, TransportError

MAX_CHANNELS = 10
MAX_URL_LENGTH = 2000
MAX_LABEL_LENGTH = 60
# Positions are rewritten in two passes (see _renumber); no member has this many.
_PARKING = 1000
# A test message is sent while the member waits for the page: a slow channel must not
# keep them (or a web worker) waiting longer than this.
TEST_MESSAGE_TIMEOUT_SECONDS = 10
# How long after one test of a channel the next is refused without sending.
TEST_MESSAGE_INTERVAL = datetime.timedelta(seconds=30)
# And how many tests one member may send per window, whichever channels: each test
# tells the member how a connection to a host of their choosing failed, which must not
# become a way to scan the server's network.
TESTS_PER_MEMBER = 5
TEST_MEMBER_WINDOW = datetime.timedelta(minutes=10)

# Our own words for validate_channel_url's problem codes, translated like the rest.
CHANNEL_URL_MESSAGES = {
    "empty": _("Enter a channel address."),
    "unknown_service": _(
        "This address is not recognised. Check the service name before “://”, "
        "for example mailto://, tgram:// or ntfy://."
    ),
    "local_service": _("This kind of channel acts on the server itself and cannot be used."),
    "local_file": _("A channel address may not refer to files on the server."),
    "unavailable_service": _("This kind of channel is not available on this server."),
    "malformed": _("This channel address is incomplete or malformed."),
}


def channel_url_problem(url: str) -> str:
    """Return the scheme of a usable channel URL; raise ValidationError saying why not."""
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError({"url": _("This channel address is too long.")})
    try:
        return validate_channel_url(url)
    except InvalidChannelURL as problem:
        message = CHANNEL_URL_MESSAGES.get(problem.code, CHANNEL_URL_MESSAGES["malformed"])
        raise ValidationError({"url": message}, code=problem.code) from None


@transaction.atomic
def add_channel(member: Member, url: str, label: str = "", *, actor: Member | None) -> Channel:
    """Add a channel at the end of `member`'s list and return it.

    Raise ValidationError if the URL cannot be used, the label is too long or the
    member already has MAX_CHANNELS channels.
    """
    url = url.strip() if isinstance(url, str) else ""
    label = label.strip() if isinstance(label, str) else ""
    if len(label) > MAX_LABEL_LENGTH:
        raise ValidationError(
            {"label": _("Keep the label to %(count)s characters.") % {"count": MAX_LABEL_LENGTH}}
        )
    scheme = channel_url_problem(url)
    channels = _locked_channels(member)
    if len(channels) >= MAX_CHANNELS:
        raise ValidationError(
            _("You already have %(count)s channels. Remove one first."),
            params={"count": MAX_CHANNELS},
        )
    _renumber(channels)
    channel = Channel.objects.create(
        member=member, position=len(channels) + 1, url=url, scheme=scheme, label=label
    )
    record(
        "channel.added",
        actor=actor,
        target=channel,
        details={"channel": str(channel.pk), "scheme": scheme, "position": channel.position},
        organisation_id=member.organisation_id,
    )
    return channel


@transaction.atomic
def remove_channel(channel: Channel, *, actor: Member | None) -> None:
    """Delete `channel`; the member's other channels close up behind it."""
    member = channel.member
    channels = _locked_channels(member)
    record(
        "channel.removed",
        actor=actor,
        target=channel,
        details={"channel": str(channel.pk), "scheme": channel.scheme},
        organisation_id=member.organisation_id,
    )
    Channel.objects.filter(pk=channel.pk).delete()
    _renumber([c for c in channels if c.pk != channel.pk])


@transaction.atomic
def move_channel(channel: Channel, *, up: bool, actor: Member | None) -> bool:
    """Swap `channel` with its neighbour above (`up`) or below; return False at the edge."""
    channels = _locked_channels(channel.member)
    index = next((i for i, c in enumerate(channels) if c.pk == channel.pk), None)
    if index is None:
        return False
    other = index - 1 if up else index + 1
    if not 0 <= other < len(channels):
        return False
    channels[index], channels[other] = channels[other], channels[index]
    _renumber(channels)
    record(
        "channel.moved",
        actor=actor,
        target=channel,
        details={"channel": str(channel.pk), "position": other + 1},
        organisation_id=channel.member.organisation_id,
    )
    channel.position = other + 1
    return True


@dataclass(frozen=True)
class ChannelTestResult:
    """What became of a test message: sent, refused as too soon, or failed with `failure`.

    `retry_in_seconds` says, when `is_too_soon`, how long until the channel may be tested
    again.
    """

    is_sent: bool = False
    is_too_soon: bool = False
    failure: FailureKind | None = None
    retry_in_seconds: int = 0

    @property
    def outcome(self) -> str:
        """Return "sent", "too_soon" or the failure kind, as audited."""
        if self.is_sent:
            return "sent"
        if self.is_too_soon:
            return "too_soon"
        return str(self.failure or FailureKind.FAILED)


def send_test_message(channel: Channel, *, actor: Member | None) -> ChannelTestResult:
    """Send a short test message to `channel` now and return what became of it.

    Never raise for a failed delivery: the failure's kind is in the result. Return a
    too-soon result without sending if the channel was tested within
    TEST_MESSAGE_INTERVAL. Every send, failed or not, is audited as "channel.tested".
    """
    now = timezone.now()
    last_tested = _last_tested_at(channel, since=now - TEST_MESSAGE_INTERVAL)
    if last_tested is not None:
        wait = (last_tested + TEST_MESSAGE_INTERVAL - now).total_seconds()
        return ChannelTestResult(is_too_soon=True, retry_in_seconds=max(1, math.ceil(wait)))
    recent = _tests_by(actor, since=now - TEST_MEMBER_WINDOW)
    if len(recent) >= TESTS_PER_MEMBER:
        wait = (recent[TESTS_PER_MEMBER - 1] + TEST_MEMBER_WINDOW - now).total_seconds()
        return ChannelTestResult(is_too_soon=True, retry_in_seconds=max(1, math.ceil(wait)))
    try:
        # Not inside a transaction: the send may take seconds and must not hold the
        # database's write lock meanwhile.
        deliver(channel.url, _test_message(channel), timeout_seconds=TEST_MESSAGE_TIMEOUT_SECONDS)
    except TransportError as error:
        result = ChannelTestResult(failure=_failure_kind(error))
    else:
        result = ChannelTestResult(is_sent=True)
    record(
        "channel.tested",
        actor=actor,
        target=channel,
        details={"channel": str(channel.pk), "scheme": channel.scheme, "outcome": result.outcome},
        organisation_id=channel.member.organisation_id,
    )
    return result


def _last_tested_at(channel: Channel, *, since: datetime.datetime) -> datetime.datetime | None:
    # The audit log already holds every test, with its time, in every process and across
    # restarts, so it is the rate limit's memory: no new table, and a per-process cache
    # would let each worker process send its own. Two submits racing through the same
    # few seconds can both send; that costs one extra test message, which is cheaper
    # than holding a lock across a network call.
    return (
        AuditEntry.objects.filter(
            action="channel.tested",
            object_type=Channel._meta.label_lower,
            object_id=str(channel.pk),
            at__gt=since,
        )
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


def _tests_by(actor: Member | None, *, since: datetime.datetime) -> list[datetime.datetime]:
    """Return when `actor` sent tests since `since`, newest first."""
    if actor is None:
        return []
    return list(
        AuditEntry.objects.filter(action="channel.tested", actor_id=actor.pk, at__gt=since)
        .order_by("-at")
        .values_list("at", flat=True)[:TESTS_PER_MEMBER]
    )


def _test_message(channel: Channel) -> Message:
    # Nothing about the member, anyone else or the organisation, not even the product's
    # name: whoever reads the channel's screen learns only that something was tested.
    with translation.override(channel.member.language or "en"):
        title = gettext("Test message")
        body = gettext(
            "This is a test message. It shows that alerts can reach you through this "
            "channel. No action is needed."
        )
    return Message(title=title, body=body, idempotency_key=f"sh-test-{uuid.uuid4().hex}")


def _failure_kind(error: TransportError) -> FailureKind:
    try:
        return FailureKind(error.kind)
    except ValueError:
        return FailureKind.FAILED


def _locked_channels(member: Member) -> list[Channel]:
    # Locking the member's rows serialises two tabs reordering the same list.
    return list(Channel.objects.select_for_update().filter(member=member).order_by("position"))


def _renumber(channels: list[Channel]) -> None:
    """Give `channels` the positions 1, 2, 3… in list order.

    (member, position) is unique and checked row by row, so rows are first parked out
    of the way, then put in place; only rows that move are written.
    """
    moving = [(i + 1, c) for i, c in enumerate(channels) if c.position != i + 1]
    for wanted, channel in moving:
        Channel.objects.filter(pk=channel.pk).update(position=_PARKING + wanted)
    for wanted, channel in moving:
        Channel.objects.filter(pk=channel.pk).update(position=wanted)
        channel.position = wanted
