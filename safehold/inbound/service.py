"""What Safehold does with one message that came in by SMS or Telegram.

Every gateway's webhook, once it has proven where a delivery came from, hands the
delivery here. The sender decides what a message may mean:

- a protected person (a phone on their case, or a linked Telegram account) may check
  in ("OK 1234", through the same check-in service as the web page, duress PIN
  included) or raise a panic ("SOS", "помогите", their own word);
- a member may acknowledge an alert ("ACK K7QX2MP") or ask for their open alerts
  ("STATUS");
- an unknown sender who cries for help becomes a new intake case, and the duty
  coordinator is alerted; anything else from an unknown sender is dropped without an
  answer, so nobody learns that the number belongs to Safehold.

A provider that retries a delivery finds it recorded and changes nothing. A reply
never repeats a PIN, and a duress check-in gets exactly the reply of a normal one.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from safehold.accounts.models import Member
from safehold.alerts.actions import (
    NewAlert,
    PanicReport,
    acknowledge_alert,
    mask_long_digits,
    new_codes,
    open_alerts,
    open_panic,
)
from safehold.alerts.gatekeepers import alerts_for, get_alert_for
from safehold.alerts.messages import kind_words
from safehold.alerts.models import Alert, AlertKind, AlertState
from safehold.alerts.replies import queue_reply
from safehold.alerts.targets import Subject
from safehold.alerts.worker import wake_workers
from safehold.cases.actions import PersonDetails, open_case, phone_index
from safehold.cases.models import Person, PersonPhone
from safehold.checkins.models import Channel as CheckinChannel
from safehold.checkins.service import check_in, find_secret_for_person, issue_challenge
from safehold.crypto.envelope import blind_index
from safehold.inbound.actions import LINK_CODE_PURPOSE
from safehold.inbound.models import (
    AddressKind,
    Gateway,
    GatewayKind,
    Handling,
    InboundMessage,
    LinkCode,
    PersonWords,
    Sender,
)
from safehold.inbound.parser import (
    CHECKIN_WORDS,
    Intent,
    looks_like_cry_for_help,
    normalise_word,
    parse,
)
from safehold.lib.phones import normalise_phone

log = logging.getLogger(__name__)

DELIVERY_INDEX_PURPOSE = "inbound-delivery"
SENDER_INDEX_PURPOSE = "inbound-sender"
MAX_TEXT = 2000


@dataclass(frozen=True)
class Delivery:
    """One message as a gateway delivered it, after its origin was proven."""

    gateway: Gateway
    delivery_id: str  # the provider's own id for this delivery (MessageSid, update_id…)
    sender: str  # a phone number as the gateway gave it, or a Telegram chat id
    text: str
    received_at: datetime.datetime
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Received:
    handling: str
    is_repeat: bool = False


@dataclass(frozen=True)
class _Who:
    person: Person | None = None
    member: Member | None = None
    address: str = ""  # normalised: E.164 or a chat id


def receive(delivery: Delivery) -> Received:
    """Act on one delivery, once; queue the reply, if any, for the worker."""
    text = delivery.text[:MAX_TEXT] if isinstance(delivery.text, str) else ""
    delivery_index = blind_index(
        DELIVERY_INDEX_PURPOSE, f"{delivery.gateway.pk}:{delivery.delivery_id}"
    )
    try:
        with transaction.atomic():
            record = InboundMessage.objects.create(
                gateway=delivery.gateway,
                delivery_index=delivery_index,
                received_at=delivery.received_at,
                handling=Handling.IGNORED,
            )
            who = _identify(delivery)
            handling, reply = _act(delivery, record, who, text)
    except IntegrityError:
        # The provider retried a delivery we already recorded: nothing changes.
        existing = InboundMessage.objects.filter(
            gateway=delivery.gateway, delivery_index=delivery_index
        ).first()
        return Received(existing.handling if existing else Handling.IGNORED, is_repeat=True)
    if reply and who.address:
        _queue_reply(delivery.gateway, who.address, reply)
    transaction.on_commit(wake_workers)
    return Received(handling)


def _identify(delivery: Delivery) -> _Who:
    gateway = delivery.gateway
    organisation_id = gateway.organisation_id
    if gateway.kind == GatewayKind.TELEGRAM:
        address, kind = delivery.sender.strip(), AddressKind.TELEGRAM
    else:
        try:
            address = normalise_phone(delivery.sender)
        except ValidationError:
            return _Who()
        kind = AddressKind.PHONE
        phone = (
            PersonPhone.objects.select_related("person")
            .filter(organisation_id=organisation_id, number_index=phone_index(address))
            .first()
        )
        if phone is not None:
            return _Who(person=phone.person, address=address)
    sender = (
        Sender.objects.select_related("person", "member")
        .filter(
            organisation_id=organisation_id,
            kind=kind,
            address_index=blind_index(SENDER_INDEX_PURPOSE, f"{kind}:{address}"),
        )
        .first()
    )
    if sender is None:
        return _Who(address=address)
    if sender.member is not None and not sender.member.is_active:
        return _Who(address=address)
    return _Who(person=sender.person, member=sender.member, address=address)


def _act(delivery: Delivery, record: InboundMessage, who: _Who, text: str) -> tuple[str, str]:
    """Return (handling, reply text or "") and update the record."""
    channel = (
        CheckinChannel.TELEGRAM
        if delivery.gateway.kind == GatewayKind.TELEGRAM
        else CheckinChannel.SMS
    )
    if who.person is not None:
        return _from_person(delivery, record, who.person, text, channel)
    if who.member is not None:
        return _from_member(record, who.member, text)
    return _from_stranger(delivery, record, who, text)


def _from_person(
    delivery: Delivery, record: InboundMessage, person: Person, text: str, channel: str
) -> tuple[str, str]:
    record.person = person
    own = PersonWords.objects.filter(person=person).first()
    parsed = parse(
        text,
        checkin_words=own.checkin_words if own else (),
        panic_words=own.panic_words if own else (),
    )
    language = "ru"
    if parsed.intent == Intent.PANIC:
        alert = open_panic(
            person,
            PanicReport(
                channel=channel,
                received_at=delivery.received_at,
                text=text,
                latitude=delivery.latitude,
                longitude=delivery.longitude,
            ),
        )
        _save(record, Handling.PANIC, text=text, alert=alert)
        return Handling.PANIC, _say(language, _("Received."))
    if parsed.intent == Intent.CHECKIN:
        secret = find_secret_for_person(person)
        if secret is None:
            _save(record, Handling.IGNORED)
            return Handling.IGNORED, ""
        result = check_in(
            secret,
            parsed.digits,
            channel=channel,
            request_id=f"{delivery.gateway.kind}:{delivery.delivery_id}"[:64],
            now=delivery.received_at,
        )
        _save(record, Handling.CHECKIN)
        if result.status == "accepted":
            return Handling.CHECKIN, _say(language, _("Check-in received. Thank you."))
        return Handling.CHECKIN, _say(language, _("Not accepted. Check the PIN and try again."))
    if _is_checkin_word_alone(text, own.checkin_words if own else ()):
        # "OK" alone asks for a challenge: two digits at new positions, so that the
        # phone's sent messages never hold the whole PIN.
        positions = issue_challenge(person)
        _save(record, Handling.CHECKIN)
        if positions is None:
            return Handling.CHECKIN, ""
        first, second = positions
        return Handling.CHECKIN, _say(
            language,
            _("Reply OK and digits %(first)s and %(second)s of your code."),
            first=first,
            second=second,
        )
    _save(record, Handling.IGNORED)
    return Handling.IGNORED, ""


def _is_checkin_word_alone(text: str, own_words: Sequence[str]) -> bool:
    word = normalise_word(text)
    return bool(word) and word in {normalise_word(w) for w in (*CHECKIN_WORDS, *own_words)}


def _from_member(record: InboundMessage, member: Member, text: str) -> tuple[str, str]:
    record.member = member
    parsed = parse(text)
    language = member.language or "ru"
    if parsed.intent == Intent.ACK:
        try:
            alert = get_alert_for(member, code=parsed.code)
        except Http404:
            _save(record, Handling.ACK)
            return Handling.ACK, _say(
                language, _("No alert with this code is yours to acknowledge.")
            )
        acknowledged = acknowledge_alert(alert, actor=member, via="sms")
        _save(record, Handling.ACK, alert=alert)
        if acknowledged:
            return Handling.ACK, _say(language, _("Acknowledged: %(code)s."), code=alert.code)
        return Handling.ACK, _say(
            language, _("%(code)s was already acknowledged."), code=alert.code
        )
    if parsed.intent == Intent.STATUS:
        _save(record, Handling.STATUS)
        return Handling.STATUS, _status_text(member, language)
    _save(record, Handling.IGNORED)
    return Handling.IGNORED, ""


def _status_text(member: Member, language: str) -> str:
    open_alerts_ = list(
        alerts_for(member)
        .filter(state=AlertState.OPEN)
        .select_related("person")
        .order_by("-created_at")[:10]
    )
    with translation.override(language):
        if not open_alerts_:
            return str(_("No open alerts."))
        lines = [f"{alert.code} {kind_words(alert.kind)}: {alert.about}" for alert in open_alerts_]
        return "\n".join([str(_("Open alerts:")), *lines])


def _from_stranger(
    delivery: Delivery, record: InboundMessage, who: _Who, text: str
) -> tuple[str, str]:
    gateway = delivery.gateway
    if gateway.kind == GatewayKind.TELEGRAM and _link_account(gateway, who.address, text):
        _save(record, Handling.LINKED)
        return Handling.LINKED, _say("ru", _("This account is now linked."))
    if not who.address or not looks_like_cry_for_help(text):
        # No reply: an answer would tell a stranger that this number is Safehold's.
        _save(record, Handling.IGNORED)
        return Handling.IGNORED, ""
    person = _open_intake_case(gateway, who.address)
    record.person = person
    [alert_id] = open_alerts(
        [NewAlert(Subject.of(person), AlertKind.INTAKE)], now=delivery.received_at
    )
    alert = Alert.objects.get(pk=alert_id)
    alert.context = {
        "messages": [
            {
                "channel": gateway.kind,
                "received_at": delivery.received_at.isoformat(),
                "text": mask_long_digits(text)[:1000],
            }
        ]
    }
    alert.save(update_fields=["context"])
    _save(record, Handling.INTAKE, text=text, alert=alert)
    return Handling.INTAKE, _say("ru", _("Received. Someone will contact you."))


def _open_intake_case(gateway: Gateway, address: str) -> Person:
    """Open a new intake case for an unknown sender, keeping the address to answer."""
    codename = f"SOS-{new_codes(1)[0]}"
    person = open_case(
        PersonDetails(codename=codename, compartment=gateway.intake_compartment),
        actor=None,
        organisation=gateway.organisation,
        phones=[address] if gateway.kind != GatewayKind.TELEGRAM else [],
    )
    if gateway.kind == GatewayKind.TELEGRAM:
        add_sender(person=person, kind=AddressKind.TELEGRAM, address=address)
    return person


def add_sender(
    *, kind: str, address: str, person: Person | None = None, member: Member | None = None
) -> Sender:
    """Let `address` (a phone in E.164 or a Telegram chat id) speak for a person or member."""
    organisation_id = person.organisation_id if person is not None else None
    if member is not None:
        organisation_id = member.organisation_id
    if organisation_id is None:
        raise ValueError("a sender speaks for a person or a member of an organisation")
    return Sender.objects.create(
        organisation_id=organisation_id,
        kind=kind,
        address=address,
        address_index=blind_index(SENDER_INDEX_PURPOSE, f"{kind}:{address}"),
        person=person,
        member=member,
    )


def _link_account(gateway: Gateway, chat_id: str, text: str) -> bool:
    """Link a Telegram chat to whoever holds the one-time code in `text`."""
    words = text.replace("/start", " ").split()
    if len(words) != 1 or not chat_id:
        return False
    code = LinkCode.objects.filter(
        organisation_id=gateway.organisation_id,
        code_index=blind_index(LINK_CODE_PURPOSE, words[0].strip().upper()),
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).first()
    if code is None:
        return False
    add_sender(kind=AddressKind.TELEGRAM, address=chat_id, person=code.person, member=code.member)
    code.used_at = timezone.now()
    code.save(update_fields=["used_at"])
    return True


def _save(
    record: InboundMessage, handling: str, *, text: str | None = None, alert: Alert | None = None
) -> None:
    record.handling = handling
    record.alert = alert
    if text is not None:
        record.text = mask_long_digits(text)
    record.save()


def _say(language: str, text: Promise | str, **words: object) -> str:
    """Return `text` in `language`: a reply goes out in its reader's language."""
    with translation.override(language):
        return str(text) % words if words else str(text)


def _queue_reply(gateway: Gateway, address: str, text: str) -> None:
    # The recipient goes at the end of the path, before any options of the URL.
    base, mark, options = gateway.reply_url.partition("?")
    if not base:
        return
    queue_reply(f"{base.rstrip('/')}/{address}{mark}{options}", text)
