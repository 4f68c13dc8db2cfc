"""Checking in without ever texting the whole PIN, and noticing an unusual channel."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safehold.checkins.models import AWAITING_ALERT, Channel, Checkin, CheckinSecret, Outcome
from safehold.checkins.service import check_in, issue_challenge
from safehold.checkins.tests.helpers import (
    DURESS_PIN,
    MINUTES,
    NOW,
    PIN,
    ready_to_check_in,
)
from safehold.testing import World

pytestmark = pytest.mark.django_db


def digits_at(pin: str, positions: tuple[int, int]) -> str:
    return pin[positions[0] - 1] + pin[positions[1] - 1]


def answer(secret: CheckinSecret, digits: str, request_id: str, channel: str = Channel.SMS):  # type: ignore[no-untyped-def]
    return check_in(secret, digits, channel=channel, request_id=request_id, now=NOW + 10 * MINUTES)


def test_two_digits_at_the_asked_positions_check_in(world: World) -> None:
    secret = ready_to_check_in(world.person, actor=world.coordinator)[0]
    positions = issue_challenge(world.person)
    assert positions is not None and positions[0] < positions[1] <= len(PIN)

    result = answer(secret, digits_at(PIN, positions), "r1")

    assert result.status == "accepted"
    assert Checkin.objects.get(person=world.person).outcome == Outcome.OK


def test_the_duress_digits_answer_alike_and_raise_the_alarm(world: World) -> None:
    secret = ready_to_check_in(world.person, actor=world.coordinator)[0]
    positions = issue_challenge(world.person)
    assert positions is not None

    result = answer(secret, digits_at(DURESS_PIN, positions), "r1")

    assert result.status == "accepted"
    assert Checkin.objects.get(person=world.person).outcome == Outcome.DURESS


def test_an_answer_works_once_and_other_digits_do_not(world: World) -> None:
    secret = ready_to_check_in(world.person, actor=world.coordinator)[0]
    positions = issue_challenge(world.person)
    assert positions is not None
    right = digits_at(PIN, positions)
    wrong = str((int(right) + 1) % 100).zfill(2)

    assert answer(secret, wrong, "r1").status == "wrong_pin"
    assert answer(secret, right, "r2").status == "accepted"
    # The challenge is spent: the same two digits again are a wrong PIN.
    assert answer(secret, right, "r3").status == "wrong_pin"


def test_two_digits_without_a_challenge_are_never_enough(world: World) -> None:
    secret = ready_to_check_in(world.person, actor=world.coordinator)[0]

    assert answer(secret, PIN[:2], "r1").status == "wrong_pin"


def test_each_challenge_asks_for_other_positions(world: World) -> None:
    ready_to_check_in(world.person, actor=world.coordinator)
    asked = [issue_challenge(world.person) for _ in range(6)]

    assert all(a != b for a, b in itertools.pairwise(asked))


def test_the_stored_pairs_reveal_no_digit(world: World) -> None:
    secret = ready_to_check_in(world.person, actor=world.coordinator)[0]
    stored = CheckinSecret.objects.get(pk=secret.pk)

    assert len(stored.pair_digests) == len(PIN) * (len(PIN) - 1) // 2
    for normal, duress in stored.pair_digests.values():
        assert len(normal) == len(duress) == 64 and normal != duress
    assert PIN not in str(stored.pair_digests)


def test_a_check_in_by_a_channel_never_used_is_unusual(world: World) -> None:
    secret = ready_to_check_in(world.person, actor=world.coordinator)[0]
    check_in(secret, PIN, channel=Channel.WEB, request_id="r1", now=NOW)
    check_in(secret, PIN, channel=Channel.WEB, request_id="r2", now=NOW + 60 * MINUTES)
    check_in(secret, PIN, channel=Channel.TELEGRAM, request_id="r3", now=NOW + 120 * MINUTES)
    check_in(secret, PIN, channel=Channel.TELEGRAM, request_id="r4", now=NOW + 180 * MINUTES)

    flags = list(Checkin.objects.order_by("at").values_list("is_unusual", flat=True))
    # The very first channel sets the habit; the first Telegram check-in stands out.
    assert flags == [False, False, True, False]
    assert Checkin.objects.filter(AWAITING_ALERT).count() == 1


def test_the_worker_finds_work_through_the_small_index(world: World) -> None:
    with CaptureQueriesContext(connection) as queries:
        list(Checkin.objects.awaiting_alert())
    [query] = queries.captured_queries
    plan_sql = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(plan_sql + query["sql"].replace("%s", "NULL"))
        plan = " ".join(str(row) for row in cursor.fetchall())
    if connection.vendor == "sqlite":
        assert "checkin_awaiting_alert" in plan
