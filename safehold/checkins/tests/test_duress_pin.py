"""The duress PIN answers exactly like the normal PIN and does exactly the same work."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safehold.checkins.models import Channel, Checkin, Outcome, Schedule
from safehold.checkins.service import CheckinResult, check_in
from safehold.checkins.tests.helpers import DURESS_PIN, MINUTES, NOW, PIN, ready_to_check_in
from safehold.crypto import envelope
from safehold.testing import World, make_person

pytestmark = pytest.mark.django_db

_QUOTED = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
_SAVEPOINT = re.compile(r"\bs\d+_x\d+\b")


def normalised(sql: str) -> str:
    """Return `sql` with every parameter value (and savepoint name) replaced by `?`."""
    return _NUMBER.sub("?", _QUOTED.sub("?", _SAVEPOINT.sub("?", sql)))


@dataclass
class Work:
    result: CheckinResult
    statements: list[str]
    crypto: list[str]


@pytest.fixture
def crypto_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record every keyed digest computed and every constant-time comparison made."""
    calls: list[str] = []
    real_digest, real_compare = envelope.blind_index, envelope.constant_time_equals

    def counted_digest(purpose: str, value: str) -> str:
        calls.append("digest")
        return real_digest(purpose, value)

    def counted_compare(a: str | bytes, b: str | bytes) -> bool:
        calls.append("compare")
        return real_compare(a, b)

    monkeypatch.setattr(envelope, "blind_index", counted_digest)
    monkeypatch.setattr(envelope, "constant_time_equals", counted_compare)
    yield calls


@pytest.fixture
def measure(world: World, crypto_calls: list[str]) -> Callable[[str], Work]:
    """Check in a fresh, identically prepared person with `pin`; return what it cost."""

    def run(pin: str) -> Work:
        person = make_person(world.compartment)
        secret = ready_to_check_in(person, actor=world.coordinator)[0]
        crypto_calls.clear()
        with CaptureQueriesContext(connection) as queries:
            result = check_in(
                secret, pin, channel=Channel.WEB, request_id="req-1", now=NOW + 10 * MINUTES
            )
        statements = [normalised(q["sql"]) for q in queries.captured_queries]
        return Work(result, statements, list(crypto_calls))

    return run


def test_the_duress_pin_gets_an_equal_answer(measure: Callable[[str], Work]) -> None:
    normal, duress = measure(PIN), measure(DURESS_PIN)
    assert duress.result == normal.result
    assert normal.result == CheckinResult("accepted", next_deadline=NOW + 70 * MINUTES)


def test_the_duress_pin_runs_the_same_statements(measure: Callable[[str], Work]) -> None:
    normal, duress = measure(PIN), measure(DURESS_PIN)
    assert len(normal.statements) == len(duress.statements)
    assert normal.statements == duress.statements
    writes = [s for s in normal.statements if s.lstrip().startswith(("INSERT", "UPDATE"))]
    assert len(writes) == 3  # the check-in row, the deadline, the failure counter


def test_the_duress_pin_computes_one_digest_and_both_comparisons(
    measure: Callable[[str], Work],
) -> None:
    normal, duress = measure(PIN), measure(DURESS_PIN)
    assert normal.crypto == duress.crypto == ["digest", "compare", "compare"]


def test_only_the_stored_outcome_differs(world: World) -> None:
    rows = []
    for pin in (PIN, DURESS_PIN):
        person = make_person(world.compartment)
        secret = ready_to_check_in(person, actor=world.coordinator)[0]
        check_in(secret, pin, channel=Channel.API, request_id="req-1", now=NOW + 10 * MINUTES)
        checkin = Checkin.objects.filter(person=person).values().get()
        schedule = Schedule.objects.filter(person=person).values().get()
        for row in (checkin, schedule):
            for name in ("id", "person_id", "created_at", "updated_at"):
                row.pop(name, None)
        rows.append((checkin, schedule))
    (normal, normal_schedule), (duress, duress_schedule) = rows
    assert normal_schedule == duress_schedule
    assert (normal.pop("outcome"), duress.pop("outcome")) == (Outcome.OK, Outcome.DURESS)
    assert normal == duress


def test_the_normalisation_still_tells_different_statements_apart() -> None:
    assert normalised("UPDATE t SET a = 'ok' WHERE id = 7") == normalised(
        "UPDATE t SET a = 'duress' WHERE id = 12"
    )
    assert normalised("UPDATE t SET a = 1") != normalised("UPDATE t SET a = 1, b = 2")
