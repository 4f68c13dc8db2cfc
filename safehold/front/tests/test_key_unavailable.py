"""A missing master key gives a clear 503 page and a log line without values."""

from __future__ import annotations

import logging

import pytest

from safehold.crypto.envelope import reset_keyring
from safehold.testing import login

pytestmark = pytest.mark.django_db


def test_it_explains_a_missing_key_with_503(world, settings, tmp_path, caplog):
    client = login(world.coordinator)
    settings.SAFEHOLD_KEY_FILE = tmp_path / "missing.key"
    reset_keyring()
    with caplog.at_level(logging.ERROR, logger="safehold.front.middleware"):
        response = client.get(f"/persons/{world.person.pk}/")
    assert response.status_code == 503
    assert b"The encryption key is not available" in response.content
    assert b"ask your administrator" in response.content.lower()
    assert b"missing.key" not in response.content
    assert response["Cache-Control"] == "no-store"
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "KeyUnavailable" in logged
    assert "missing.key" not in logged
    assert "Ruslan" not in logged
