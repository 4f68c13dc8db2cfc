"""A sleeping worker wakes as soon as someone calls wake_workers(): by NOTIFY on
PostgreSQL, by a datagram on a socket in the data directory on SQLite."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection

from safehold.alerts.worker import WAKE_CHANNEL, Worker, wake_workers

pytestmark = pytest.mark.django_db(transaction=True)  # LISTEN takes effect on commit


def _notify_from_another_session() -> None:
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        other.execute(f"NOTIFY {WAKE_CHANNEL}")


def test_a_notify_ends_the_sleep() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite the worker polls")
    worker = Worker(name="sleeper")
    assert worker._sleep(0.05) is False  # starts listening; nothing to hear yet
    timer = threading.Timer(0.3, _notify_from_another_session)
    timer.start()
    try:
        # Without the notification this would sleep the full minute and return False.
        assert worker._sleep(60) is True
    finally:
        timer.cancel()
        worker.pool.shutdown()


def test_on_sqlite_a_poke_on_the_socket_ends_the_sleep(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL wakes workers with NOTIFY")
    settings.DATA_DIR = tmp_path
    worker = Worker(name="sleeper")
    assert worker._sleep(0.05) is False  # binds the socket; nothing to hear yet
    timer = threading.Timer(0.3, wake_workers)
    timer.start()
    try:
        started = time.monotonic()
        assert worker._sleep(60) is True
        assert time.monotonic() - started < 30  # woken, not timed out
    finally:
        timer.cancel()
        worker.pool.shutdown()


def test_waking_with_no_worker_listening_is_harmless(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path
    wake_workers()  # nobody bound the socket: nothing happens, nothing raises
