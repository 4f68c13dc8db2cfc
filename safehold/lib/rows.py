"""Rows as plain tuples, for the paths where model instances cost more than the work.

A burst of missed check-ins becomes thousands of alerts, notifications and delivery
attempts at once, and every check-in runs a handful of statements. Building a model
instance or compiling a query per row cost more than the database work itself, so
these paths write plain tuples: one prepared INSERT per table and batch (COPY on
PostgreSQL), updates by lists of ids, and reads converted by hand. Columns are named
by model field, so the models stay the single description of the tables.

Ids are random UUIDs written as 32 hex digits, which both databases store as they
store Django's UUIDField (SQLite as text, PostgreSQL parsing it as uuid).
"""

from __future__ import annotations

import datetime
import os
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models

# SQLite allows 32,766 parameters per statement; stay well below.
_IDS_PER_STATEMENT = 5000


def new_hex_ids(count: int) -> list[str]:
    """Return `count` random version-4 UUIDs as 32 hex digits, cheaply in bulk."""
    raw = os.urandom(16 * count).hex()
    ids = []
    for start in range(0, 32 * count, 32):
        h = raw[start : start + 32]
        ids.append(f"{h[:12]}4{h[13:16]}{'89ab'[int(h[16], 16) & 3]}{h[17:]}")
    return ids


def hex_id(value: uuid.UUID | str) -> str:
    """Return an id read from either database as 32 hex digits."""
    return value.hex if isinstance(value, uuid.UUID) else value.replace("-", "")


def db_time(value: datetime.datetime | str | None) -> Any:
    """Return `value` as this database takes it in a raw statement.

    A string is a time read from this database by a raw statement, and goes back as is.
    """
    if value is None or isinstance(value, str):
        return value
    return connection.ops.adapt_datetimefield_value(value)


def from_db_time(value: datetime.datetime | str | None) -> datetime.datetime | None:
    """Return a time read by a raw statement as an aware datetime.

    SQLite gives naive UTC (or text, for a column without a declared type).
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


def as_uuid(value: uuid.UUID | str) -> uuid.UUID:
    """Return an id read by a raw statement (hex text on SQLite) as a UUID."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=value)


def table(model: type[models.Model]) -> str:
    """Return the quoted table name of `model`, for raw statements."""
    return connection.ops.quote_name(model._meta.db_table)


def columns(model: type[models.Model], fields: Sequence[str]) -> str:
    """Return the quoted column names of `fields`, comma-separated, for raw statements."""
    return ", ".join(connection.ops.quote_name(c) for c in _columns(model, fields))


def _columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    return [str(model._meta.get_field(name).column) for name in fields]  # type: ignore[union-attr]


def insert_many(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (values in `fields` order, ids as hex, times from db_time)."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _columns(model, fields))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY streams the rows in one round trip; an INSERT per row is ten times slower.
            # It runs on psycopg's own cursor, so its errors are turned into Django's here
            # (a clash must reach callers as IntegrityError, as from any other insert).
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from the models
            cursor.executemany(insert, rows)


def update_by_ids(
    model: type[models.Model], assignments: dict[str, Any], ids: Iterable[str]
) -> int:
    """Set `assignments` (field -> value, or an SQL fragment via `Raw`) on rows `ids`."""
    ids = list(ids)
    if not ids:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)  # type: ignore[union-attr]
    sets, values = [], []
    for name, value in assignments.items():
        column = connection.ops.quote_name(_columns(model, [name])[0])
        if isinstance(value, Raw):
            sets.append(f"{column} = {value.sql}")
        else:
            sets.append(f"{column} = %s")
            values.append(value)
    changed = 0
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            chunk = ids[start : start + _IDS_PER_STATEMENT]
            params: list[Any]
            if connection.vendor == "postgresql":
                where, params = f"{pk} = ANY(%s::uuid[])", [chunk]
            else:
                where, params = f"{pk} IN ({', '.join(['%s'] * len(chunk))})", chunk
            update = f"UPDATE {table} SET {', '.join(sets)} WHERE {where}"  # noqa: S608 - names from the models
            cursor.execute(update, values + params)
            changed += cursor.rowcount
    return changed


class Raw:
    """An SQL expression over the row's own columns, for update_by_ids."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
