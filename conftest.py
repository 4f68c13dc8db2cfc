"""Test set-up shared by every app: a fresh key file per test and the personas."""

from __future__ import annotations

import pytest

pytest_plugins = ["safehold.testing", "safehold.testing_servers"]


@pytest.fixture(autouse=True)
def _key_file(tmp_path_factory: pytest.TempPathFactory, settings) -> object:  # type: ignore[no-untyped-def]
    """Give every test the same master key file and an empty key cache."""
    from safehold.crypto.envelope import reset_keyring
    from safehold.crypto.keys import KeyFileSource

    path = tmp_path_factory.getbasetemp() / "safehold-test.key"
    if not path.exists():
        KeyFileSource(path).init()
    settings.SAFEHOLD_KEY_FILE = path
    reset_keyring()
    yield path
    reset_keyring()
