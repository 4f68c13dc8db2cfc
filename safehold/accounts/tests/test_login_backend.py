"""Logging in by e-mail: an unknown account costs the same work as a wrong password."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import get_hasher, make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safehold.accounts import throttle
from safehold.testing import PASSWORD, World

pytestmark = pytest.mark.django_db


@pytest.fixture
def argon2_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Count the Argon2 computations (hashing or verifying) the login does."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    calls: Counter[str] = Counter()
    real_encode, real_verify = Argon2PasswordHasher.encode, Argon2PasswordHasher.verify

    def counted_encode(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["argon2"] += 1
        return real_encode(self, *args, **kwargs)

    def counted_verify(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["argon2"] += 1
        return real_verify(self, *args, **kwargs)

    monkeypatch.setattr(Argon2PasswordHasher, "encode", counted_encode)
    monkeypatch.setattr(Argon2PasswordHasher, "verify", counted_verify)
    yield calls


def test_passwords_are_hashed_with_argon2id(world: World) -> None:
    assert world.coordinator.password.startswith("argon2$argon2id$")
    assert make_password("x").startswith("argon2$argon2id$")
    assert get_hasher().algorithm == "argon2"


def test_login_is_case_insensitive_on_the_email(world: World) -> None:
    email = world.coordinator.email
    assert authenticate(username=email.upper(), password=PASSWORD) == world.coordinator


def test_unknown_account_and_wrong_password_do_the_same_work(
    world: World, argon2_calls: Counter[str]
) -> None:
    with CaptureQueriesContext(connection) as wrong_queries:
        assert authenticate(username=world.coordinator.email, password="wrong") is None
    wrong_hashes = argon2_calls["argon2"]
    argon2_calls.clear()
    with CaptureQueriesContext(connection) as unknown_queries:
        assert authenticate(username="nobody@example.org", password="wrong") is None
    assert argon2_calls["argon2"] == wrong_hashes == 1
    assert len(unknown_queries) == len(wrong_queries)


def test_an_inactive_member_cannot_log_in(world: World) -> None:
    world.coordinator.is_active = False
    world.coordinator.save()
    assert authenticate(username=world.coordinator.email, password=PASSWORD) is None


def test_throttling_slows_one_account_and_one_address_not_everyone(world: World) -> None:
    for _ in range(throttle.FREE_FAILURES):
        assert throttle.begin_attempt("a@example.org", "10.0.0.1").allowed
    assert not throttle.begin_attempt("a@example.org", "10.0.0.9").allowed  # same account
    assert not throttle.begin_attempt("b@example.org", "10.0.0.1").allowed  # same address
    assert throttle.begin_attempt("b@example.org", "10.0.0.2").allowed  # everyone else


def test_a_successful_login_gives_its_charge_back(world: World) -> None:
    for _ in range(throttle.FREE_FAILURES * 3):
        assert throttle.begin_attempt("user@example.org", "10.0.0.7").allowed
        throttle.record_success("user@example.org", "10.0.0.7")


def test_ipv6_addresses_are_throttled_by_their_64(world: World) -> None:
    for n in range(throttle.FREE_FAILURES):
        assert throttle.begin_attempt(f"u{n}@example.org", f"2001:db8:1:2::{n + 1}").allowed
    assert not throttle.begin_attempt("other@example.org", "2001:db8:1:2:ffff::9").allowed
    assert throttle.begin_attempt("other@example.org", "2001:db8:1:3::1").allowed


def test_throttle_delays_double_and_are_capped() -> None:
    delays = [throttle.delay_after(n).total_seconds() for n in range(1, 20)]
    assert delays[: throttle.FREE_FAILURES - 1] == [0] * (throttle.FREE_FAILURES - 1)
    assert delays[throttle.FREE_FAILURES - 1] == throttle.BASE_DELAY.total_seconds()
    assert delays[throttle.FREE_FAILURES] == 2 * throttle.BASE_DELAY.total_seconds()
    assert max(delays) == throttle.MAX_DELAY.total_seconds()


def test_the_throttle_stores_no_email_or_address(world: World) -> None:
    throttle.begin_attempt("secret.person@example.org", "203.0.113.7")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_loginthrottle")
        stored = repr(cursor.fetchall())
    assert "secret.person" not in stored
    assert "203.0.113" not in stored
