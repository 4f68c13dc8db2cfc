"""Login throttling per account and per address, never a global lock-out.

Hand-written rather than django-axes: axes stores usernames and IP addresses in the
clear and locks accounts; we keep only keyed digests and slow attempts down instead.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from safehold.accounts.models import LoginThrottle
from safehold.crypto.envelope import blind_index

FREE_FAILURES = 5
BASE_DELAY = datetime.timedelta(seconds=2)
MAX_DELAY = datetime.timedelta(minutes=15)
FORGET_AFTER = datetime.timedelta(hours=24)


def _keys(email: str, address: str) -> list[str]:
    return [
        blind_index("login-throttle", "account:" + email.strip().casefold()),
        blind_index("login-throttle", "address:" + address),
    ]


def delay_after(failures: int) -> datetime.timedelta:
    """Return how long to wait after `failures` consecutive failures (doubling, capped)."""
    if failures < FREE_FAILURES:
        return datetime.timedelta(0)
    return min(BASE_DELAY * (2 ** (failures - FREE_FAILURES)), MAX_DELAY)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int = 0


def check(email: str, address: str, now: datetime.datetime | None = None) -> Verdict:
    """Return whether a login attempt may be tried now for this e-mail and address."""
    now = now or timezone.now()
    blocked = LoginThrottle.objects.filter(key__in=_keys(email, address), blocked_until__gt=now)
    latest = max((row.blocked_until for row in blocked), default=None)
    if latest is None:
        return Verdict(True)
    return Verdict(False, max(1, int((latest - now).total_seconds() + 0.999)))


@transaction.atomic
def record_failure(email: str, address: str, now: datetime.datetime | None = None) -> None:
    now = now or timezone.now()
    for key in _keys(email, address):
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(
            key=key, defaults={"last_failure_at": now, "blocked_until": now}
        )
        if now - row.last_failure_at > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        row.blocked_until = now + delay_after(row.failures)
        row.save()


def record_success(email: str, address: str) -> None:
    """Forget the account's failures; the address keeps its record (it may be guessing)."""
    LoginThrottle.objects.filter(key=_keys(email, address)[0]).delete()
