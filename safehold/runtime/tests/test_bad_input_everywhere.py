"""Arbitrary form input to every page never causes a 500 or breaks the audit chain."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safehold.audit.chain import verify_chain
from safehold.testing import World, fill_route, login, url_routes

pytestmark = pytest.mark.django_db

FIELDS = [
    "codename", "compartment", "risk_level", "coordinator", "legal_name", "aliases",
    "date_of_birth", "origin", "city", "languages", "notes", "phones", "to_stage", "reason",
    "number", "label", "name", "relation", "phone", "kind", "country", "status", "issued_on",
    "expires_on", "deadline", "deadline_note", "capacity", "region", "address",
    "access_instructions", "person", "start_date", "end_date", "q", "stage", "language",
    "schedule-kind", "schedule-interval_minutes", "schedule-daily_times", "schedule-timezone",
    "pins-pin", "pins-duress_pin", "pause-until", "resolve-resolution", "resolve-note", "url",
    "direction", "policy-repeat_from", "steps-0-position", "steps-0-wait_minutes",
    "shift-starts_at", "shift-ends_at", "shift-member", "state", "pin", "request_id",
]  # fmt: skip
NASTY = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=5).map(lambda s: s * 3000),
    st.sampled_from(["\x00", "-1", "99999999999999999999", "2026-02-30", "0000-00-00", "NaN",
                     "00000000-0000-0000-0000-000000000000", "' OR 1=1 --", "<script>x</script>",
                     "+79161234567", "intake", "burned", "high", "ru"]),
)  # fmt: skip


@pytest.fixture(scope="module")
def routes() -> list[str]:
    return [route for route, pattern in url_routes() if pattern.name != "logout"]


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_input_to_any_page_is_answered_without_a_crash(
    world: World, record_ids: dict[str, str], routes: list[str], data: st.DataObject
) -> None:
    client = login(world.coordinator)
    route = data.draw(st.sampled_from(routes))
    form = data.draw(st.dictionaries(st.sampled_from(FIELDS), NASTY, max_size=8))
    method = data.draw(st.sampled_from(["post", "get"]))
    response = getattr(client, method)(fill_route(route, record_ids), form)
    assert response.status_code < 500, (route, form)
    assert verify_chain().is_intact
