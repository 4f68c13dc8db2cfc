"""What an admin changes in an organisation's inbound channels: its gateways and its
members' phones. One transaction and one audit entry each; the audit holds ids and
kinds only, never a secret, a URL or a number.

Callers find the organisation, compartment, member or sender first; these functions
trust that the actor was allowed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from safehold.accounts.models import Compartment, Member, Organisation
from safehold.alerts.channel_actions import (
    CHANNEL_URL_MESSAGES,
    MAX_LABEL_LENGTH,
    channel_url_problem,
)
from safehold.audit.chain import record
from safehold.cases.actions import PhoneConflict, phone_index
from safehold.cases.models import PersonPhone
from safehold.crypto.webhooks import telegram_secret_is_valid
from safehold.inbound.models import AddressKind, Gateway, GatewayKind, Sender
from safehold.inbound.service import add_sender
from safehold.lib.phones import normalise_phone

MAX_PUBLIC_URL_LENGTH = 500
# Where each kind's provider must deliver; printed for whoever configures the provider.
WEBHOOK_PATHS: dict[str, str] = {
    GatewayKind.TWILIO: "/hooks/sms/twilio",
    GatewayKind.ANDROID: "/hooks/sms/android",
    GatewayKind.TELEGRAM: "/hooks/telegram",
}
# The reply URL must reach the person the way they wrote in: an SMS answered through
# any other service would carry their number to a third party.
REPLY_SCHEMES: dict[str, tuple[str, ...]] = {
    GatewayKind.TWILIO: ("twilio",),
    GatewayKind.ANDROID: ("smsgate", "smsgates"),
    GatewayKind.TELEGRAM: ("tgram",),
}
# A recipient of the right form for each kind, appended only to validate the reply URL
# exactly as replies will use it.
_SAMPLE_RECIPIENTS: dict[str, str] = {
    GatewayKind.TWILIO: "+79161234567",
    GatewayKind.ANDROID: "+79161234567",
    GatewayKind.TELEGRAM: "123456789",
}
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})


@transaction.atomic
def add_gateway(
    organisation: Organisation,
    *,
    kind: str,
    label: str,
    secret: str,
    reply_url: str,
    intake_compartment: Compartment,
    public_url: str = "",
    actor: Member | None = None,
) -> Gateway:
    """Add an active gateway for `organisation` and return it.

    Raise ValidationError if the kind, label, secret, public or reply URL cannot be
    used, or the intake compartment belongs to another organisation.
    """
    if kind not in GatewayKind.values:
        raise ValidationError({"kind": _("Choose a gateway kind: Twilio, Android or Telegram.")})
    label = _checked_label(label)
    secret = secret.strip() if isinstance(secret, str) else ""
    public_url = public_url.strip() if isinstance(public_url, str) else ""
    reply_url = reply_url.strip() if isinstance(reply_url, str) else ""
    _check_secret(kind, secret)
    _check_public_url(kind, public_url)
    _check_reply_url(kind, reply_url)
    if intake_compartment.organisation_id != organisation.pk:
        raise ValidationError(
            {"intake_compartment": _("Choose a compartment of this organisation.")}
        )
    _check_secret_unused(kind, secret, public_url)
    gateway = Gateway.objects.create(
        organisation=organisation,
        kind=kind,
        label=label,
        secret=secret,
        public_url=public_url,
        reply_url=reply_url,
        intake_compartment=intake_compartment,
    )
    record(
        "inbound.gateway_added",
        actor=actor,
        target=gateway,
        details={
            "gateway": str(gateway.pk),
            "kind": kind,
            "intake_compartment": str(intake_compartment.pk),
            "replies": bool(reply_url),
        },
    )
    return gateway


@transaction.atomic
def disable_gateway(gateway: Gateway, *, actor: Member | None) -> bool:
    """Stop accepting messages through `gateway`; return False if it was already off."""
    current = Gateway.objects.select_for_update().get(pk=gateway.pk)
    if not current.is_active:
        gateway.is_active = False
        return False
    Gateway.objects.filter(pk=gateway.pk).update(is_active=False)
    gateway.is_active = False
    record(
        "inbound.gateway_disabled",
        actor=actor,
        target=gateway,
        details={"gateway": str(gateway.pk), "kind": gateway.kind},
    )
    return True


def _checked_label(label: str) -> str:
    label = label.strip() if isinstance(label, str) else ""
    if not label:
        raise ValidationError({"label": _("Enter a label.")})
    if len(label) > MAX_LABEL_LENGTH:
        raise ValidationError(
            {"label": _("Keep the label to %(count)s characters.") % {"count": MAX_LABEL_LENGTH}}
        )
    return label


# The Android gateway's key and the Telegram secret are ours to choose: a short one
# could be guessed, and with it anyone could forge check-ins and panics. (Twilio's
# auth token is Twilio's, 32 characters.)
MIN_SECRET_LENGTH = 16


def _check_secret(kind: str, secret: str) -> None:
    if not secret:
        raise ValidationError({"secret": _("Enter the gateway's secret.")})
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValidationError(
            {
                "secret": _(
                    "A gateway's secret has at least 16 characters; choose a long random one."
                )
            }
        )
    # Compared with itself, the webhook's own check says whether the secret has the
    # form setWebhook accepts: a secret it refuses would lock every message out.
    if kind == GatewayKind.TELEGRAM and not telegram_secret_is_valid(secret, secret):
        raise ValidationError(
            {
                "secret": _(
                    "A Telegram secret is 1 to 256 characters: letters A-Z and a-z, "
                    "digits, _ and -."
                )
            }
        )


def _check_public_url(kind: str, public_url: str) -> None:
    if not public_url:
        if kind == GatewayKind.TWILIO:
            raise ValidationError(
                {
                    "public_url": _(
                        "Twilio needs the public webhook URL exactly as configured in its console."
                    )
                }
            )
        return
    if not _is_usable_public_url(public_url):
        raise ValidationError(
            {
                "public_url": _(
                    "Enter the public webhook URL as https://host/path, without credentials, "
                    "query or fragment (http:// only for 127.0.0.1 or localhost)."
                )
            }
        )


def _is_usable_public_url(url: str) -> bool:
    if len(url) > MAX_PUBLIC_URL_LENGTH or not url.isascii() or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        if parts.port == 0:  # .port raises ValueError for a port out of range
            return False
    except ValueError:
        return False
    host = parts.hostname or ""
    if not host or "@" in parts.netloc or parts.query or parts.fragment or "?" in url:
        # The webhook appends the request's own query string to this URL before
        # checking Twilio's signature, so a query here would count twice.
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and host in _LOCAL_HOSTS)


def _check_reply_url(kind: str, reply_url: str) -> None:
    if not reply_url:
        return  # the gateway receives and never answers
    # The recipient is appended to the URL for each reply: a recipient already in it
    # would receive every answer too, and a query would swallow the appended one.
    try:
        path = urlsplit(reply_url).path
    except ValueError:  # a malformed IPv6 host, say
        raise ValidationError({"reply_url": CHANNEL_URL_MESSAGES["malformed"]}) from None
    if path.strip("/") or "?" in reply_url or "#" in reply_url:
        raise ValidationError(
            {
                "reply_url": _(
                    "A reply URL names no recipient, path or query: the recipient is added "
                    "for each reply."
                )
            }
        )
    try:
        scheme = channel_url_problem(f"{reply_url.rstrip('/')}/{_SAMPLE_RECIPIENTS[kind]}")
    except ValidationError as problem:
        raise ValidationError({"reply_url": problem.messages}) from None
    if scheme not in REPLY_SCHEMES[kind]:
        raise ValidationError(
            {
                "reply_url": _(
                    "This kind of reply URL does not suit this gateway: use %(schemes)s."
                )
                % {"schemes": ", ".join(f"{s}://" for s in REPLY_SCHEMES[kind])}
            }
        )


def _check_secret_unused(kind: str, secret: str, public_url: str) -> None:
    """Refuse a secret another active gateway of the kind already proves itself with.

    The webhooks pick the first active gateway whose secret checks out, whichever its
    organisation: a second one with the same secret would never receive a message,
    or, once the first is disabled, receive another organisation's.
    """
    for other in Gateway.objects.filter(kind=kind, is_active=True).only(
        "id", "kind", "secret", "public_url"
    ):
        if other.secret == secret and (
            kind != GatewayKind.TWILIO or other.public_url == public_url
        ):
            raise ValidationError(
                {"secret": _("Another active gateway of this kind already uses this secret.")}
            )


def add_member_phone(member: Member, raw_phone: str, *, actor: Member | None) -> Sender:
    """Let `raw_phone` speak for `member` by SMS (ACK, STATUS) and return the sender.

    Raise ValidationError if it is not a phone number, or PhoneConflict (a
    ValidationError) if the organisation already knows it as a member's or a person's.
    """
    try:
        return _add_member_phone(member, raw_phone, actor=actor)
    except PhoneConflict:
        # As for a person's phones (cases.actions): the refusal tells whoever adds the
        # number that it is known, so each one is audited, after the refused change is
        # rolled back, where colleagues can see probing.
        record(
            "inbound.phone_conflict",
            actor=actor,
            target=member,
            details={"member": str(member.pk)},
        )
        raise


@transaction.atomic
def _add_member_phone(member: Member, raw_phone: str, *, actor: Member | None) -> Sender:
    organisation = member.organisation
    if organisation is None:
        raise ValueError("only a member of an organisation has an inbound phone")
    try:
        e164 = normalise_phone(raw_phone, organisation.default_phone_region)
    except ValidationError as error:
        raise ValidationError({"phone": error.messages}) from error
    conflict = PhoneConflict(
        {"phone": _("This phone number is already registered in this organisation.")}
    )
    if PersonPhone.objects.filter(
        organisation=organisation, number_index=phone_index(e164)
    ).exists():
        raise conflict
    try:
        # The database refuses a number another member already speaks from.
        with transaction.atomic():
            sender = add_sender(kind=AddressKind.PHONE, address=e164, member=member)
    except IntegrityError as clash:
        raise conflict from clash
    record(
        "inbound.member_phone_added",
        actor=actor,
        target=member,
        details={"sender": str(sender.pk), "kind": AddressKind.PHONE},
    )
    return sender


@transaction.atomic
def remove_sender(sender: Sender, *, actor: Member | None) -> None:
    """Stop `sender`'s phone or Telegram account from speaking for its person or member."""
    owner = sender.person if sender.person_id is not None else sender.member
    record(
        "inbound.sender_removed",
        actor=actor,
        target=owner if owner is not None else sender,
        details={"sender": str(sender.pk), "kind": sender.kind},
        organisation_id=sender.organisation_id,
    )
    Sender.objects.filter(pk=sender.pk).delete()
