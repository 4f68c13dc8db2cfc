"""No PIN and no link token is ever stored, audited or logged."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safehold.audit.models import AuditEntry
from safehold.checkins.actions import issue_link, set_pins
from safehold.checkins.models import Channel
from safehold.checkins.service import check_in, find_secret_by_link
from safehold.checkins.tests.helpers import (
    DURESS_PIN,
    MINUTES,
    NOW,
    PIN,
    WRONG_PIN,
    ready_to_check_in,
)
from safehold.testing import World

pytestmark = pytest.mark.django_db


def raw_dump() -> str:
    """Return every value of every table, read with a plain cursor."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


def exercise(world: World) -> list[str]:
    """Set PINs, issue links, check in every way; return every link token issued."""
    secret, first_token = ready_to_check_in(world.person, actor=world.coordinator)
    second_token = issue_link(world.person, actor=world.coordinator)
    set_pins(world.person, actor=world.coordinator, pin=PIN, duress_pin=DURESS_PIN)
    found = find_secret_by_link(second_token)
    assert found == secret
    for n, pin in enumerate([PIN, DURESS_PIN, WRONG_PIN, WRONG_PIN, WRONG_PIN, PIN]):
        at = NOW + n * MINUTES
        check_in(found, pin, channel=Channel.WEB, request_id=f"r{n}", now=at)
    return [first_token, second_token]


def test_the_database_holds_no_pin_and_no_link_token(world: World) -> None:
    tokens = exercise(world)
    dump = raw_dump()
    assert "Falcon" in dump  # the dump does read the tables
    for secret in [PIN, DURESS_PIN, WRONG_PIN, *tokens]:
        assert secret not in dump


def test_the_audit_details_hold_no_pin_and_no_link_token(world: World) -> None:
    tokens = exercise(world)
    entries = AuditEntry.objects.filter(object_id=str(world.person.pk))
    actions = [entry.action for entry in entries]
    assert "checkin.pins_set" in actions and "checkin.link_issued" in actions
    details = " ".join(str(entry.details) for entry in entries)
    for secret in [PIN, DURESS_PIN, *tokens]:
        assert secret not in details


def test_the_logs_hold_no_pin_and_no_link_token(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    # Captured queries switch on Django's SQL log, parameters included.
    with CaptureQueriesContext(connection):
        tokens = exercise(world)
    assert "django.db.backends" in {record.name for record in caplog.records}
    assert any("wrong PINs in a row" in record.getMessage() for record in caplog.records)
    for secret in [PIN, DURESS_PIN, WRONG_PIN, *tokens]:
        assert secret not in caplog.text
