"""The check-in's statements, written out and read back as plain values.

Every check-in runs these. Building each statement through the query compiler cost
more than running it (about 0.5 ms a statement against 0.05 ms), and so did turning
rows into model instances, so the statements are composed once per database from the
models' own table and column names, and rows come back as small dataclasses. Table
and column names never come from input.
"""

from __future__ import annotations

import datetime
import functools
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection

from safehold.checkins.models import Checkin, CheckinSecret, Schedule
from safehold.checkins.schedule_math import ScheduleSpec
from safehold.lib.rows import as_uuid, columns, db_time, from_db_time, hex_id, table


@dataclass(frozen=True)
class LockedSecret:
    id: uuid.UUID
    person_id: uuid.UUID
    pin_digest: str
    duress_digest: str
    failures: int
    not_before: datetime.datetime | None
    challenge: str
    pair_digests: dict[str, list[str]]
    known_channels: str


@dataclass(frozen=True)
class EarlierCheckin:
    outcome: str
    next_deadline: datetime.datetime | None


@dataclass(frozen=True)
class LockedSchedule:
    id: uuid.UUID
    spec: ScheduleSpec
    grace: datetime.timedelta
    next_deadline: datetime.datetime


_SECRET = (
    "id", "person", "pin_digest", "duress_digest", "failures", "not_before", "challenge",
    "pair_digests", "known_channels",
)  # fmt: skip
_SCHEDULE = (
    "id", "kind", "interval_minutes", "daily_times", "timezone", "grace_minutes",
    "is_heightened", "heightened_interval_minutes", "paused_until", "next_deadline",
)  # fmt: skip
_CHECKIN = (
    "id", "person", "at", "channel", "request_id", "outcome", "deadline_met",
    "next_deadline", "is_unusual", "processed_at",
)  # fmt: skip


@functools.cache
def _statements(vendor: str) -> dict[str, str]:
    # SQLite has no row locks; its IMMEDIATE transactions already hold the write lock.
    lock = " FOR UPDATE" if vendor == "postgresql" else ""
    q = connection.ops.quote_name
    secret, schedule, checkin = table(CheckinSecret), table(Schedule), table(Checkin)
    return {
        "find": f"SELECT {q('id')}, {q('person_id')} FROM {secret} WHERE {q('link_index')} = %s",
        "secret": f"SELECT {columns(CheckinSecret, _SECRET)} FROM {secret} WHERE {q('id')} = %s"
        + lock,
        "earlier": f"SELECT {q('outcome')}, {q('next_deadline')} FROM {checkin}"
        f" WHERE {q('person_id')} = %s AND {q('request_id')} = %s",
        "schedule": f"SELECT {columns(Schedule, _SCHEDULE)} FROM {schedule}"
        f" WHERE {q('person_id')} = %s" + lock,
        "insert_checkin": f"INSERT INTO {checkin} ({columns(Checkin, _CHECKIN)})"
        f" VALUES ({', '.join(['%s'] * len(_CHECKIN))})",
        "move_deadline": f"UPDATE {schedule} SET {q('last_checkin_at')} = %s,"
        f" {q('next_deadline')} = %s, {q('overdue_at')} = %s, {q('updated_at')} = %s"
        f" WHERE {q('id')} = %s",
        "after_accepting": f"UPDATE {secret} SET {q('failures')} = 0,"
        f" {q('not_before')} = NULL, {q('challenge')} = '', {q('known_channels')} = %s"
        f" WHERE {q('id')} = %s",
    }


def _run(name: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(_statements(connection.vendor)[name], params)
        return cursor.fetchall() if cursor.description else []


def find_secret_id(link_index: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """Return (secret id, person id) for a link digest, or None."""
    rows = _run("find", [link_index])
    return (as_uuid(rows[0][0]), as_uuid(rows[0][1])) if rows else None


def lock_secret(secret_id: uuid.UUID) -> LockedSecret:
    """Return the secret, locked for this transaction."""
    rows = _run("secret", [hex_id(secret_id)])
    if not rows:
        raise CheckinSecret.DoesNotExist
    id_, person_id, pin, duress, failures, not_before, challenge, pairs, known = rows[0]
    if isinstance(pairs, str):
        pairs = json.loads(pairs)
    return LockedSecret(
        as_uuid(id_),
        as_uuid(person_id),
        pin,
        duress,
        failures,
        from_db_time(not_before),
        challenge,
        pairs or {},
        known,
    )


def earlier_checkin(person_id: uuid.UUID, request_id: str) -> EarlierCheckin | None:
    rows = _run("earlier", [hex_id(person_id), request_id])
    return EarlierCheckin(rows[0][0], from_db_time(rows[0][1])) if rows else None


def lock_schedule(person_id: uuid.UUID) -> LockedSchedule | None:
    rows = _run("schedule", [hex_id(person_id)])
    if not rows:
        return None
    (id_, kind, interval, daily_times, zone, grace, heightened, heightened_interval,
     paused_until, next_deadline) = rows[0]  # fmt: skip
    if isinstance(daily_times, str):
        daily_times = json.loads(daily_times)
    spec = Schedule(
        kind=kind,
        interval_minutes=interval,
        daily_times=daily_times,
        timezone=zone,
        grace_minutes=grace,
        is_heightened=bool(heightened),
        heightened_interval_minutes=heightened_interval,
        paused_until=from_db_time(paused_until),
    ).spec()
    deadline = from_db_time(next_deadline)
    assert deadline is not None
    return LockedSchedule(as_uuid(id_), spec, datetime.timedelta(minutes=grace), deadline)


def insert_checkin(
    *,
    checkin_id: uuid.UUID,
    person_id: uuid.UUID,
    at: datetime.datetime,
    channel: str,
    request_id: str,
    outcome: str,
    deadline_met: datetime.datetime | None,
    next_deadline: datetime.datetime | None,
    is_unusual: bool,
) -> None:
    _run(
        "insert_checkin",
        [
            hex_id(checkin_id), hex_id(person_id), db_time(at), channel, request_id, outcome,
            db_time(deadline_met), db_time(next_deadline), is_unusual, None,
        ],
    )  # fmt: skip


def move_deadline(
    schedule_id: uuid.UUID,
    *,
    now: datetime.datetime,
    next_deadline: datetime.datetime,
    overdue_at: datetime.datetime,
) -> None:
    at = db_time(now)
    _run(
        "move_deadline",
        [at, db_time(next_deadline), db_time(overdue_at), at, hex_id(schedule_id)],
    )


def after_accepting(secret_id: uuid.UUID, *, known_channels: str) -> None:
    """Reset the slow-down, spend the challenge, and remember the channel."""
    _run("after_accepting", [known_channels, hex_id(secret_id)])
