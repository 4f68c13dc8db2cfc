"""The check-in service: every channel (web page, JSON API, SMS, Telegram) calls it.

Equal work for the duress PIN: a check-in computes the keyed digest of the typed PIN
once, compares it in constant time with both stored digests, and then runs the very
same statements whether it matched the normal or the duress PIN; only the value of
the stored `outcome` differs, and the answer is equal. The alerts worker finds
unprocessed duress check-ins afterwards, so the request never writes more for one.

Whoever holds the person's phone cannot cancel an alert: this service only records
check-ins and moves the deadline; it offers no way to touch an alert, and a later
normal check-in leaves a duress row as it is.

Wrong PINs slow the next attempt down instead of locking the person out, because a
lock-out is exactly what a captor wants: the real person, later, could no longer
check in or send the duress PIN. The first two wrong PINs in a row cost nothing (a
slip of the finger); from the third on, each one makes the next attempt wait 2 s,
then 4, 8, 16, capped at 30 s. At 30 s a try, guessing a random 4-digit PIN takes
about 40 hours on average, and the third wrong PIN in a row has already flagged a
possible coercion for the worker to alert on.

PINs and link tokens are never logged, stored or returned; only their digests are
kept.
"""

from __future__ import annotations

import datetime
import logging
import math
import secrets
from dataclasses import dataclass
from typing import Literal

from django.db import transaction

from safehold.cases.models import Person
from safehold.checkins import hot_path
from safehold.checkins.models import Channel, Checkin, CheckinSecret, Outcome
from safehold.checkins.schedule_math import after_checkin, overdue_at
from safehold.crypto import envelope
from safehold.lib.ids import new_id

logger = logging.getLogger(__name__)

PIN_INDEX_PURPOSE = "checkin-pin"
LINK_INDEX_PURPOSE = "checkin-link"
# Wrong PINs in a row that raise a "possible coercion" flag.
ATTACK_THRESHOLD = 3
# Wrong PINs in a row that cost no delay, then the first delay, doubling up to the cap.
FREE_FAILURES = 2
FIRST_DELAY = datetime.timedelta(seconds=2)
MAX_DELAY = datetime.timedelta(seconds=30)
# Longer strings are no link we ever issued; refuse them before hashing.
_MAX_TOKEN_LENGTH = 200
_MAX_REQUEST_ID_LENGTH = 64

Status = Literal["accepted", "wrong_pin", "slow_down"]


@dataclass(frozen=True)
class CheckinResult:
    """The answer to a check-in; equal for the normal and the duress PIN."""

    status: Status
    retry_after_seconds: int = 0
    next_deadline: datetime.datetime | None = None


def pin_digest(person_id: object, pin: str) -> str:
    """Return the keyed digest a PIN of this person is stored and compared as."""
    return envelope.blind_index(PIN_INDEX_PURPOSE, f"{person_id}:{pin}")


def pair_key(first: int, second: int) -> str:
    """Return how a pair of PIN positions (1-based) is named: "2,4"."""
    return f"{first},{second}"


def pair_digest(person_id: object, first: int, second: int, pin: str) -> str:
    """Return the keyed digest of the PIN's digits at two positions (1-based)."""
    return pin_digest(person_id, f"pair:{first},{second}:{pin[first - 1]}{pin[second - 1]}")


def link_digest(token: str) -> str:
    """Return the keyed digest a personal check-in link is found by."""
    return envelope.blind_index(LINK_INDEX_PURPOSE, token)


def find_secret_by_link(token: str) -> CheckinSecret | None:
    """Return the secret whose personal link is `token`, or None."""
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    # Ids only, without the ORM: the hot path of every check-in; the rest of the row is
    # read under lock later.
    found = hot_path.find_secret_id(link_digest(token))
    if found is None:
        return None
    return CheckinSecret(id=found[0], person_id=found[1])


def find_secret_for_person(person: Person) -> CheckinSecret | None:
    """Return the person's check-in secret (for channels that know the person by phone)."""
    return CheckinSecret.objects.only("id", "person_id").filter(person=person).first()


def issue_challenge(person: Person) -> tuple[int, int] | None:
    """Ask for two PIN digits at positions chosen afresh; return them, or None.

    For check-ins by SMS: the person texts only those two digits, so a seized phone's
    sent messages never show the whole PIN. None if the person has no PINs.
    """
    secret = CheckinSecret.objects.filter(person=person).first()
    if secret is None or not secret.pair_digests:
        return None
    choices = [key for key in secret.pair_digests if key != secret.challenge]
    key = secrets.choice(choices or list(secret.pair_digests))
    CheckinSecret.objects.filter(pk=secret.pk).update(challenge=key)
    first, second = (int(part) for part in key.split(","))
    return first, second


def slow_down_delay(failures: int) -> datetime.timedelta:
    """Return how long to wait after `failures` wrong PINs in a row (see the module)."""
    if failures <= FREE_FAILURES:
        return datetime.timedelta(0)
    return min(FIRST_DELAY * 2 ** (failures - FREE_FAILURES - 1), MAX_DELAY)


def check_in(
    secret: CheckinSecret, pin: str, *, channel: str, request_id: str, now: datetime.datetime
) -> CheckinResult:
    """Verify `pin` for the secret's person and record the check-in; return the answer.

    A repeated `request_id` changes nothing and answers like the first request. Raise
    ValueError for an unknown channel or a request id that is empty or too long.
    """
    if channel not in Channel.values:
        raise ValueError("unknown check-in channel")
    if not request_id or len(request_id) > _MAX_REQUEST_ID_LENGTH:
        raise ValueError("a request id has 1 to 64 characters")
    with transaction.atomic():
        locked = hot_path.lock_secret(secret.pk)
        earlier = hot_path.earlier_checkin(locked.person_id, request_id)
        if earlier is not None:
            return _replayed(earlier, locked, now)
        if locked.not_before is not None and now < locked.not_before:
            return CheckinResult("slow_down", retry_after_seconds=_seconds(locked.not_before - now))
        candidate, normal, duress = _expected(locked, pin)
        # Both comparisons always run, and neither result decides whether the other runs.
        is_normal = envelope.constant_time_equals(candidate, normal)
        is_duress = envelope.constant_time_equals(candidate, duress)
        if is_normal or is_duress:
            outcome = Outcome.DURESS if is_duress else Outcome.OK
            return _accepted(locked, outcome, channel=channel, request_id=request_id, now=now)
        return _refused(locked, channel=channel, request_id=request_id, now=now)


def _expected(secret: hot_path.LockedSecret, pin: str) -> tuple[str, str, str]:
    """Return the candidate's digest and the two it is compared with.

    Two digits answer the pending challenge (see issue_challenge); anything else is a
    whole PIN. Either way one digest is computed and two compared.
    """
    pair = secret.pair_digests.get(secret.challenge) if secret.challenge else None
    if pair is not None and len(pin) == 2 and pin.isdigit():
        first, second = (int(part) for part in secret.challenge.split(","))
        digits = "_" * (first - 1) + pin[0] + "_" * (second - first - 1) + pin[1]
        return pair_digest(secret.person_id, first, second, digits), pair[0], pair[1]
    return pin_digest(secret.person_id, pin), secret.pin_digest, secret.duress_digest


def _accepted(
    secret: hot_path.LockedSecret,
    outcome: str,
    *,
    channel: str,
    request_id: str,
    now: datetime.datetime,
) -> CheckinResult:
    """Record an accepted check-in. The same statements run for `ok` and `duress`."""
    schedule = hot_path.lock_schedule(secret.person_id)
    move = None
    if schedule is not None:
        move = after_checkin(schedule.spec, pending=schedule.next_deadline, now=now)
    known = [c for c in secret.known_channels.split(",") if c]
    is_unusual = bool(known) and channel not in known
    hot_path.insert_checkin(
        checkin_id=new_id(),
        person_id=secret.person_id,
        at=now,
        channel=channel,
        request_id=request_id,
        outcome=outcome,
        deadline_met=move.answered if move else None,
        next_deadline=move.next_deadline if move else None,
        is_unusual=is_unusual,
    )
    if schedule is not None and move is not None:
        hot_path.move_deadline(
            schedule.id,
            now=now,
            next_deadline=move.next_deadline,
            overdue_at=overdue_at(move.next_deadline, schedule.grace),
        )
    channels = ",".join(sorted({*known, channel}))
    hot_path.after_accepting(secret.id, known_channels=channels)
    return CheckinResult("accepted", next_deadline=move.next_deadline if move else None)


def _refused(
    secret: hot_path.LockedSecret, *, channel: str, request_id: str, now: datetime.datetime
) -> CheckinResult:
    failures = secret.failures + 1
    delay = slow_down_delay(failures)
    Checkin.objects.create(
        person_id=secret.person_id,
        at=now,
        channel=channel,
        request_id=request_id,
        outcome=Outcome.WRONG_PIN,
    )
    changes: dict[str, object] = {
        "failures": failures,
        "last_failure_at": now,
        "not_before": now + delay if delay else None,
    }
    # Exactly at the threshold: once per run of wrong PINs, since a right PIN resets
    # the count. A new flag also clears the worker's mark, so it alerts again.
    if failures == ATTACK_THRESHOLD:
        changes.update(attack_flagged_at=now, attack_alerted_at=None)
        logger.warning("check-in secret %s: %d wrong PINs in a row", secret.id, ATTACK_THRESHOLD)
    CheckinSecret.objects.filter(pk=secret.id).update(**changes)
    return CheckinResult("wrong_pin", retry_after_seconds=_seconds(delay))


def _replayed(
    earlier: hot_path.EarlierCheckin, secret: hot_path.LockedSecret, now: datetime.datetime
) -> CheckinResult:
    """Answer a repeated request from what the first one stored, changing nothing."""
    if earlier.outcome == Outcome.WRONG_PIN:
        wait = secret.not_before - now if secret.not_before is not None else None
        return CheckinResult("wrong_pin", retry_after_seconds=_seconds(wait))
    return CheckinResult("accepted", next_deadline=earlier.next_deadline)


def _seconds(delta: datetime.timedelta | None) -> int:
    if delta is None or delta <= datetime.timedelta(0):
        return 0
    return math.ceil(delta.total_seconds())
