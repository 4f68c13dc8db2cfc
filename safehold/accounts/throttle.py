"""Login throttling per account and per address, never a global lock-out.

Hand-written rather than django-axes: axes stores usernames and IP addresses in the
clear and locks accounts; we keep only keyed digests and slow attempts down instead.

Every attempt is charged before the password is checked, in one locked transaction, so
parallel guesses cannot all slip past the check; a successful login gives the charge
back.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from safehold.accounts.models import LoginThrottle
from safehold.crypto.envelope import blind_index

FREE_FAILURES = 5
BASE_DELAY = datetime.timedelta(seconds=2)
MAX_DELAY = datetime.timedelta(minutes=15)
FORGET_AFTER = datetime.timedelta(hours=24)


def address_key(address: str) -> str:
    """Return the unit an address is throttled by: the IPv4 address, or the IPv6 /64.

    One IPv6 subscriber usually holds a whole /64; keying by /128 would let them rotate.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _keys(email: str, address: str) -> tuple[str, str]:
    return (
        blind_index("login-throttle", "account:" + email.strip().casefold()),
        blind_index("login-throttle", "address:" + address_key(address)),
    )


def delay_after(failures: int) -> datetime.timedelta:
    """Return how long to wait after `failures` consecutive failures (doubling, capped)."""
    if failures < FREE_FAILURES:
        return datetime.timedelta(0)
    return min(BASE_DELAY * (2 ** (failures - FREE_FAILURES)), MAX_DELAY)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int = 0


def _locked_rows(keys: tuple[str, ...], now: datetime.datetime) -> list[LoginThrottle]:
    rows = []
    for key in sorted(keys):  # a fixed order, so two requests never deadlock
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(
            key=key, defaults={"last_failure_at": now, "blocked_until": now}
        )
        if now - row.last_failure_at > FORGET_AFTER:
            row.failures = 0
        rows.append(row)
    return rows


@transaction.atomic
def begin_attempt(email: str, address: str, now: datetime.datetime | None = None) -> Verdict:
    """Charge one attempt to the account and the address, or refuse it while they wait."""
    now = now or timezone.now()
    rows = _locked_rows(_keys(email, address), now)
    latest = max(row.blocked_until for row in rows)
    if latest > now:
        return Verdict(False, max(1, int((latest - now).total_seconds() + 0.999)))
    for row in rows:
        row.failures += 1
        row.last_failure_at = now
        row.blocked_until = now + delay_after(row.failures)
        row.save()
    return Verdict(True)


@transaction.atomic
def record_success(email: str, address: str, now: datetime.datetime | None = None) -> None:
    """Forget the account's failures and give the address back this attempt's charge."""
    now = now or timezone.now()
    account, place = _keys(email, address)
    LoginThrottle.objects.filter(key=account).delete()
    for row in LoginThrottle.objects.select_for_update().filter(key=place):
        row.failures = max(0, row.failures - 1)
        row.blocked_until = row.last_failure_at + delay_after(row.failures)
        row.save()
