"""Several processes or threads sealing their first value at once share one data key."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from safehold.crypto.envelope import blind_index, decrypt, encrypt
from safehold.crypto.models import DataKey

WORKERS = 8


@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_use_creates_exactly_one_key_per_purpose() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database serialises these threads anyway")
    barrier = threading.Barrier(WORKERS)
    tokens: list[str] = []
    digests: list[str] = []
    failures: list[BaseException] = []

    def first_use() -> None:
        try:
            barrier.wait()
            tokens.append(encrypt(b"value", aad=b"x"))
            digests.append(blind_index("login-email", "ana@example.org"))
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first_use) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert DataKey.objects.filter(purpose="data").count() == 1
    assert DataKey.objects.filter(purpose="index").count() == 1
    assert len(set(digests)) == 1
    assert all(decrypt(token, aad=b"x") == b"value" for token in tokens)
