"""Fixtures for the crypto tests: a fresh key file per test and a sample model's table.

These tests rotate, damage and replace key files, so each gets a file of its own
instead of the one the whole suite shares.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from safehold.crypto.envelope import reset_keyring
from safehold.crypto.keys import KeyFileSource
from safehold.crypto.tests.sample_models import Dossier


@pytest.fixture(autouse=True)
def key_file(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Point SAFEHOLD_KEY_FILE at a new key file and start with empty key caches."""
    path = tmp_path / "keys" / "safehold.key"
    KeyFileSource.init(path)
    reset_keyring()
    settings.SAFEHOLD_KEY_FILE = path
    yield path
    reset_keyring()


@pytest.fixture(scope="session")
def dossier_table(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Create the sample model's table once, outside any test transaction."""
    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            editor.create_model(Dossier)
    yield
    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            editor.delete_model(Dossier)


@pytest.fixture
def dossiers(dossier_table: None, db: None) -> type[Dossier]:
    """Return the sample model, its table rolled back after the test."""
    return Dossier


@pytest.fixture
def committed_dossiers(dossier_table: None, transactional_db: None) -> Iterator[type[Dossier]]:
    """Return the sample model for tests that commit; its rows are deleted afterwards."""
    yield Dossier
    # The test database flush does not know this table, so empty it here.
    Dossier.objects.all().delete()
