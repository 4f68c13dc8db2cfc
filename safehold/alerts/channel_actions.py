"""A member's own notification channels: add, remove and reorder them.

Callers fetch the channel through its owner first (a member manages only their own).
Audit details hold ids, the scheme and positions only: never the URL or the label,
which carry addresses, phone numbers and tokens.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from safehold.accounts.models import Member
from safehold.alerts.models import Channel
from safehold.audit.chain import record
from safehold.transports.apprise_channel import InvalidChannelURL, validate_channel_url

MAX_CHANNELS = 10
MAX_URL_LENGTH = 2000
MAX_LABEL_LENGTH = 60
# Positions are rewritten in two passes (see _renumber); no member has this many.
_PARKING = 1000

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
