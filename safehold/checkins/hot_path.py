"""The check-in's statements, written out rather than built by the ORM.

Every check-in runs these; building each statement through the query compiler cost
more than running it (about 0.5 ms a statement against 0.05 ms). Reads go through
`raw()`, so Django still converts column values to Python; writes adapt their values
with the model fields, so both SQLite and PostgreSQL get what they expect. Table and
column names come from the models, never from input.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.db.models import Field, Model

from safehold.checkins.models import Checkin, CheckinSecret, Schedule


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(_field(model, name).column)


def _value(model: type[Model], name: str, value: Any) -> Any:
    return _field(model, name).get_db_prep_save(value, connection)


def _for_update() -> str:
    # SQLite has no row locks; its IMMEDIATE transactions already hold the write lock.
    return " FOR UPDATE" if connection.vendor == "postgresql" else ""


def _first(model: type[Model], sql: str, params: list[Any]) -> Any:
    return next(iter(model._default_manager.raw(sql, params)), None)


def lock_secret(secret_id: uuid.UUID) -> CheckinSecret:
    """Return the secret, locked for this transaction."""
    sql = f"SELECT * FROM {_table(CheckinSecret)} WHERE {_column(CheckinSecret, 'id')} = %s"
    found = _first(CheckinSecret, sql + _for_update(), [_value(CheckinSecret, "id", secret_id)])
    if found is None:
        raise CheckinSecret.DoesNotExist
    return found  # type: ignore[no-any-return]


def earlier_checkin(person_id: uuid.UUID, request_id: str) -> Checkin | None:
    sql = (
        f"SELECT * FROM {_table(Checkin)} WHERE {_column(Checkin, 'person')} = %s"
        f" AND {_column(Checkin, 'request_id')} = %s"
    )
    return _first(Checkin, sql, [_value(Checkin, "person", person_id), request_id])  # type: ignore[no-any-return]


def lock_schedule(person_id: uuid.UUID) -> Schedule | None:
    sql = f"SELECT * FROM {_table(Schedule)} WHERE {_column(Schedule, 'person')} = %s"
    return _first(Schedule, sql + _for_update(), [_value(Schedule, "person", person_id)])  # type: ignore[no-any-return]


def insert(model: type[Model], values: dict[str, Any]) -> None:
    """Insert one row of `model` with the given field values (id included)."""
    columns = ", ".join(_column(model, name) for name in values)
    marks = ", ".join(["%s"] * len(values))
    params = [_value(model, name, value) for name, value in values.items()]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_table(model)} ({columns}) VALUES ({marks})", params)


def update(model: type[Model], row_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Set the given field values on one row of `model`."""
    assignments = ", ".join(f"{_column(model, name)} = %s" for name in values)
    params = [_value(model, name, value) for name, value in values.items()]
    params.append(_value(model, "id", row_id))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(model)} SET {assignments} WHERE {_column(model, 'id')} = %s", params
        )


def find_secret_id(link_index: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """Return (secret id, person id) for a link digest, or None."""
    sql = (
        f"SELECT {_column(CheckinSecret, 'id')}, {_column(CheckinSecret, 'person')}"
        f" FROM {_table(CheckinSecret)} WHERE {_column(CheckinSecret, 'link_index')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [link_index])
        row = cursor.fetchone()
    if row is None:
        return None
    return _as_uuid(row[0]), _as_uuid(row[1])


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
