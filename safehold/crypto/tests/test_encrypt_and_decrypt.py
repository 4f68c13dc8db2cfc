"""Sealing bytes with envelope.encrypt and opening them with envelope.decrypt."""

from __future__ import annotations

import base64

import pytest
from django.db import transaction

from safehold.crypto.envelope import (
    TOKEN_PREFIX,
    constant_time_equals,
    decrypt,
    encrypt,
    new_data_key,
    random_token,
    reset_keyring,
    sha256_hex,
)
from safehold.crypto.keys import DecryptionError
from safehold.crypto.models import DataKey

AAD = b"cases.case.notes:7d9c1b0e-0000-4000-8000-000000000001"
SECRET = b"Safe house at 12 Rua das Flores, knock twice"


def _raw(token: str) -> bytes:
    body = token[len(TOKEN_PREFIX) :]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def _token(raw: bytes) -> str:
    return TOKEN_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@pytest.mark.django_db
def test_it_returns_the_plaintext_it_sealed() -> None:
    token = encrypt(SECRET, aad=AAD)

    assert decrypt(token, aad=AAD) == SECRET


@pytest.mark.django_db
@pytest.mark.parametrize("plaintext", [b"", "Ольга Петрова".encode(), bytes(range(256)) * 40])
def test_it_seals_empty_unicode_and_long_plaintext(plaintext: bytes) -> None:
    assert decrypt(encrypt(plaintext, aad=AAD), aad=AAD) == plaintext


@pytest.mark.django_db
def test_a_token_is_versioned_ascii_without_the_plaintext() -> None:
    token = encrypt(SECRET, aad=AAD)

    assert token.startswith(TOKEN_PREFIX)
    assert token.isascii()
    assert b"Flores" not in token.encode()


@pytest.mark.django_db
def test_sealing_the_same_plaintext_twice_gives_different_tokens() -> None:
    assert encrypt(SECRET, aad=AAD) != encrypt(SECRET, aad=AAD)


@pytest.mark.django_db
def test_it_still_opens_tokens_after_the_caches_are_dropped() -> None:
    token = encrypt(SECRET, aad=AAD)
    reset_keyring()

    assert decrypt(token, aad=AAD) == SECRET


@pytest.mark.django_db
@pytest.mark.parametrize(
    "other_aad",
    [
        b"cases.case.notes:7d9c1b0e-0000-4000-8000-000000000002",  # another row
        b"cases.case.address:7d9c1b0e-0000-4000-8000-000000000001",  # another field
        b"",
    ],
)
def test_it_refuses_a_token_presented_with_other_associated_data(other_aad: bytes) -> None:
    token = encrypt(SECRET, aad=AAD)

    with pytest.raises(DecryptionError, match="another record or field"):
        decrypt(token, aad=other_aad)


@pytest.mark.django_db
def test_it_refuses_a_token_with_any_byte_flipped() -> None:
    raw = _raw(encrypt(SECRET, aad=AAD))

    for position in range(len(raw)):
        altered = bytearray(raw)
        altered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            decrypt(_token(bytes(altered)), aad=AAD)


@pytest.mark.django_db
def test_it_refuses_a_token_with_any_character_changed() -> None:
    token = encrypt(b"short", aad=AAD)

    # Includes the last character, whose low bits a lenient decoder would ignore.
    for position in range(len(TOKEN_PREFIX), len(token)):
        replacement = "B" if token[position] != "B" else "C"
        altered = token[:position] + replacement + token[position + 1 :]
        with pytest.raises(DecryptionError):
            decrypt(altered, aad=AAD)


@pytest.mark.django_db
def test_it_refuses_truncated_and_malformed_tokens() -> None:
    token = encrypt(SECRET, aad=AAD)
    candidates = [
        "",
        TOKEN_PREFIX,
        token[:-1],
        token[:30],
        token + "A",
        token + "=",
        token.replace(TOKEN_PREFIX, "sh2:"),
        token[len(TOKEN_PREFIX) :],
        TOKEN_PREFIX + "!!!!" + token[len(TOKEN_PREFIX) + 4 :],
        TOKEN_PREFIX + " " + token[len(TOKEN_PREFIX) :],
    ]

    for candidate in candidates:
        with pytest.raises(DecryptionError):
            decrypt(candidate, aad=AAD)


@pytest.mark.django_db
def test_refusals_never_reveal_the_plaintext_or_the_token() -> None:
    token = encrypt(SECRET, aad=AAD)

    with pytest.raises(DecryptionError) as refusal:
        decrypt(token, aad=b"elsewhere")

    message = str(refusal.value)
    assert "Flores" not in message
    assert token[len(TOKEN_PREFIX) :][:12] not in message
    assert refusal.value.__cause__ is None


@pytest.mark.django_db
def test_it_takes_bytes_not_text() -> None:
    with pytest.raises(TypeError):
        encrypt("plain text", aad=AAD)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        encrypt(SECRET, aad="cases.case.notes:1")  # type: ignore[arg-type]


@pytest.mark.django_db
def test_a_new_data_key_seals_new_writes_while_old_tokens_stay_readable() -> None:
    old_token = encrypt(SECRET, aad=AAD)
    old_key_id = _raw(old_token)[:16]

    new_id = new_data_key()
    new_token = encrypt(SECRET, aad=AAD)

    assert _raw(new_token)[:16] == new_id.bytes != old_key_id
    assert decrypt(old_token, aad=AAD) == SECRET
    assert decrypt(new_token, aad=AAD) == SECRET
    assert DataKey.objects.filter(purpose="data", is_active=True).count() == 1
    assert DataKey.objects.filter(purpose="data").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_data_key_from_a_rolled_back_transaction_is_never_used_again() -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        encrypt(SECRET, aad=AAD)
        raise Abort

    assert not DataKey.objects.exists()
    token = encrypt(SECRET, aad=AAD)
    reset_keyring()
    assert decrypt(token, aad=AAD) == SECRET


def test_sha256_hex_matches_the_published_test_vector() -> None:
    assert sha256_hex(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_constant_time_equals_compares_text_and_bytes() -> None:
    assert constant_time_equals("pïn-1234", "pïn-1234")
    assert constant_time_equals(b"abc", "abc")
    assert not constant_time_equals("1234", "1235")
    assert not constant_time_equals("1234", "12345")


def test_random_tokens_are_url_safe_and_unique() -> None:
    tokens = {random_token() for _ in range(100)}

    assert len(tokens) == 100
    assert all(len(token) >= 43 and token.isascii() for token in tokens)
    assert len(random_token(8)) == 11
