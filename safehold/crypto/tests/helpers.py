"""Raw SQL helpers: read and write stored tokens the way someone with database access would."""

from __future__ import annotations

from typing import Any

from django.db import connection


def raw_column(model: type[Any], column: str, pk: Any) -> str | None:
    """Return the value stored in `column` for row `pk`, bypassing the ORM's fields."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s",
            [model._meta.pk.get_db_prep_value(pk, connection)],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def write_raw_column(model: type[Any], column: str, pk: Any, value: str | None) -> None:
    """Store `value` in `column` for row `pk` directly, as an attacker with SQL access would."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {connection.ops.quote_name(column)} = %s WHERE id = %s",
            [value, model._meta.pk.get_db_prep_value(pk, connection)],
        )
