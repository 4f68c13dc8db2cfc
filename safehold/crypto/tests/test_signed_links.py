"""Signed link tokens: one purpose each, expiring, and refused when touched."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from safehold.crypto.envelope import reset_keyring, sign_link, unsign_link
from safehold.crypto.keys import KeyFileSource

pytestmark = pytest.mark.django_db

DAY = 86_400


def test_a_token_gives_back_its_value_for_its_purpose_only() -> None:
    token = sign_link("ack", "0f" * 16)

    assert unsign_link("ack", token, max_age_seconds=DAY) == "0f" * 16
    assert unsign_link("checkin", token, max_age_seconds=DAY) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: "1" + t[1:],  # another value
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # another signature
        lambda t: t.replace(".", ".f", 1),  # another issue time
        lambda t: t.rsplit(".", 1)[0],  # no signature
        lambda t: "",
        lambda t: "." * 3,
        lambda t: t + "é",
        lambda t: t * 10,
    ],
)
def test_an_altered_token_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    token = sign_link("ack", "0f" * 16)

    assert unsign_link("ack", tamper(token), max_age_seconds=DAY) is None


def test_a_token_expires() -> None:
    old = sign_link("ack", "ab", issued_at=time.time() - DAY - 1)
    fresh = sign_link("ack", "ab", issued_at=time.time() - DAY + 60)

    assert unsign_link("ack", old, max_age_seconds=DAY) is None
    assert unsign_link("ack", fresh, max_age_seconds=DAY) == "ab"


def test_a_token_from_the_far_future_is_refused() -> None:
    future = sign_link("ack", "ab", issued_at=time.time() + 3600)

    assert unsign_link("ack", future, max_age_seconds=DAY) is None


def test_tokens_survive_a_restart_but_not_another_master_key(
    key_file: Path, tmp_path: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    token = sign_link("ack", "ab")
    reset_keyring()
    assert unsign_link("ack", token, max_age_seconds=DAY) == "ab"

    # Another installation (its own key file and database keys) cannot read it.
    from safehold.crypto.models import DataKey

    DataKey.objects.all().delete()
    other = tmp_path / "other.key"
    KeyFileSource.init(other)
    settings.SAFEHOLD_KEY_FILE = other
    reset_keyring()
    assert unsign_link("ack", token, max_age_seconds=DAY) is None


def test_values_that_could_be_confused_with_the_format_are_refused() -> None:
    for bad in ["", "a.b", "é"]:
        with pytest.raises(ValueError):
            sign_link("ack", bad)
