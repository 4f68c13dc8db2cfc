"""What coordinators and admins change in the inbound channels: a person's own words,
Telegram link codes, members' phones. One transaction and one audit entry each; the
audit never holds a word, a code or a number."""

from __future__ import annotations

import datetime
import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safehold.accounts.models import Member
from safehold.alerts.actions import CODE_ALPHABET
from safehold.audit.chain import record
from safehold.cases.models import Person
from safehold.crypto.envelope import blind_index
from safehold.inbound.models import AddressKind, LinkCode, PersonWords, Sender
from safehold.inbound.parser import (
    ACK_WORDS,
    CHECKIN_WORDS,
    PANIC_WORDS,
    STATUS_WORDS,
    normalise_word,
)

MAX_OWN_WORDS = 3
MAX_WORD_LENGTH = 40
LINK_CODE_PURPOSE = "inbound-link-code"
LINK_CODE_LENGTH = 8
LINK_CODE_LIFETIME = datetime.timedelta(hours=24)


def _normalised(words: list[str], field: str) -> list[str]:
    cleaned = [w.strip() for w in words if isinstance(w, str) and w.strip()]
    if len(cleaned) > MAX_OWN_WORDS:
        raise ValidationError({field: _("Choose at most three words.")})
    for word in cleaned:
        if len(word) > MAX_WORD_LENGTH or not normalise_word(word):
            raise ValidationError({field: _("A word is letters only, at most 40 of them.")})
    return cleaned


@transaction.atomic
def set_own_words(
    person: Person, *, actor: Member | None, checkin_words: list[str], panic_words: list[str]
) -> PersonWords:
    """Set the person's own check-in and panic words; raise ValidationError if they clash.

    A check-in word may not read as a panic word or a command, or the other way round:
    a message must never mean two things.
    """
    checkin = _normalised(checkin_words, "checkin_words")
    panic = _normalised(panic_words, "panic_words")
    built_in_panic = {normalise_word(w) for w in PANIC_WORDS}
    commands = {normalise_word(w) for w in (*ACK_WORDS, *STATUS_WORDS)}
    checkin_forms = {normalise_word(w) for w in checkin}
    panic_forms = {normalise_word(w) for w in panic}
    if checkin_forms & (built_in_panic | panic_forms | commands):
        raise ValidationError(
            {"checkin_words": _("A check-in word must not read like a call for help.")}
        )
    if panic_forms & ({normalise_word(w) for w in CHECKIN_WORDS} | commands):
        raise ValidationError(
            {"panic_words": _("A panic word must not read like a check-in or a command.")}
        )
    words, _created = PersonWords.objects.select_for_update().get_or_create(person=person)
    words.checkin_words, words.panic_words = checkin, panic
    words.updated_at = timezone.now()
    words.save()
    record(
        "inbound.words_set",
        actor=actor,
        target=person,
        details={"checkin_words": len(checkin), "panic_words": len(panic)},
    )
    return words


@transaction.atomic
def issue_link_code(
    *, actor: Member | None, person: Person | None = None, member: Member | None = None
) -> str:
    """Return a one-time code that links a Telegram account to a person or member.

    Shown once; only its keyed digest is kept. It works for 24 hours.
    """
    owner = person if person is not None else member
    if owner is None or owner.organisation_id is None:
        raise ValueError("a link code is for a person or a member of an organisation")
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(LINK_CODE_LENGTH))
    LinkCode.objects.create(
        organisation_id=owner.organisation_id,
        code_index=blind_index(LINK_CODE_PURPOSE, code),
        person=person,
        member=member,
        expires_at=timezone.now() + LINK_CODE_LIFETIME,
    )
    record("inbound.link_code_issued", actor=actor, target=owner, details={})
    return code


@transaction.atomic
def unlink_telegram(person: Person, *, actor: Member, sender_id: uuid.UUID) -> int | None:
    """Unlink one Telegram account from `person`; return how many unused link codes of
    the person stopped working, or None if the account was not linked to them.

    Unused codes go too: an account is unlinked when a phone is lost or seized, and a
    code still waiting in that phone's messages would link it again.
    """
    deleted, _rows = Sender.objects.filter(
        pk=sender_id, person=person, kind=AddressKind.TELEGRAM
    ).delete()
    if not deleted:
        return None
    now = timezone.now()
    revoked = LinkCode.objects.filter(
        person=person, used_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    record(
        "inbound.telegram_unlinked",
        actor=actor,
        target=person,
        details={"sender_id": str(sender_id), "link_codes_revoked": revoked},
    )
    return revoked
