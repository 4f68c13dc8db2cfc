"""Blind indexes: keyed digests that find a record without storing the value."""

from __future__ import annotations

import re

import pytest

from safehold.crypto.envelope import blind_index, new_data_key, reset_keyring
from safehold.crypto.models import DataKey

pytestmark = pytest.mark.django_db


def test_the_same_purpose_and_value_always_give_the_same_digest() -> None:
    first = blind_index("login-email", "ana@example.org")
    reset_keyring()

    assert blind_index("login-email", "ana@example.org") == first


def test_digests_differ_per_purpose_and_per_value() -> None:
    digests = {
        blind_index("login-email", "ana@example.org"),
        blind_index("contact-email", "ana@example.org"),
        blind_index("login-email", "Ana@example.org"),
        blind_index("login-email", "ana@example.org "),
    }

    assert len(digests) == 4


def test_a_digest_is_hex_and_reveals_nothing_of_the_value() -> None:
    digest = blind_index("phone", "+351912345678")

    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert "912345678" not in digest


def test_purpose_and_value_cannot_be_shifted_into_each_other() -> None:
    assert blind_index("a", "b\x00c") != blind_index("a\x01b", "c")
    with pytest.raises(ValueError):
        blind_index("a\x00b", "c")
    with pytest.raises(ValueError):
        blind_index("", "c")


def test_it_uses_its_own_key_that_new_data_keys_leave_alone() -> None:
    before = blind_index("login-email", "ana@example.org")

    new_data_key()
    new_data_key()
    reset_keyring()

    assert blind_index("login-email", "ana@example.org") == before
    assert DataKey.objects.filter(purpose="index").count() == 1
    assert DataKey.objects.get(purpose="index").is_active
