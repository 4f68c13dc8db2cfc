"""Walk every URL of the app as each kind of outsider: none of them gets a record.

Anonymous users, members of another organisation, members of another compartment and
responders without a grant must get no 200 from any page about a record, and the pages
they may open (their own lists, forms) must not mention the record.
"""

from __future__ import annotations

import pytest
from django.test import Client

from safehold.front.public import PUBLIC_URL_NAMES
from safehold.testing import World, fill_route, login, url_routes

pytestmark = pytest.mark.django_db


def _routes() -> list[tuple[str, str | None]]:
    return [
        (route, pattern.name)
        for route, pattern in url_routes()
        # Logging out would turn the rest of the walk into an anonymous one.
        if pattern.name not in PUBLIC_URL_NAMES | {"logout"}
    ]


def test_the_walk_covers_record_pages() -> None:
    with_records = [r for r, _ in _routes() if "<uuid:" in r]
    assert len(with_records) >= 10


@pytest.mark.parametrize("persona", ["anonymous", "outsider", "stranger", "responder"])
def test_no_outsider_gets_a_record_anywhere(
    world: World, record_ids: dict[str, str], persona: str
) -> None:
    client = Client() if persona == "anonymous" else login(getattr(world, persona))
    secrets = [
        world.person.codename,
        world.safe_house.codename,
        *(value for name, value in record_ids.items() if name != "kind"),
    ]
    checked = 0
    for route, name in _routes():
        path = fill_route(route, record_ids)
        for method in ("get", "post"):
            response = getattr(client, method)(path, {"reason": "x", "to_stage": "departed"})
            body = response.content.decode(errors="replace")
            where = f"{method.upper()} {path} ({name}) as {persona}"
            assert response.status_code != 500, where
            if "<uuid:" in route or persona == "anonymous":
                assert response.status_code != 200, where
            else:
                leaked = [s for s in secrets if s in body]
                assert not leaked, f"{where} shows {leaked}"
            checked += 1
    assert checked >= 20
    world.person.refresh_from_db()
    assert world.person.stage != "departed"


def test_the_walker_would_notice_a_leak(world: World, record_ids: dict[str, str]) -> None:
    # The control: the rightful coordinator does get 200 on the record pages.
    client = login(world.coordinator)
    path = fill_route("persons/<uuid:person_id>/", record_ids)
    response = client.get(path)
    assert response.status_code == 200
    assert world.person.codename in response.content.decode()


def test_public_routes_are_the_reviewed_few() -> None:
    assert PUBLIC_URL_NAMES == frozenset(
        {
            "login",
            "set_language",
            "checkin_page",
            "checkin_api",
            "alert_ack_link",
            "alert_ack_api",
            "checkin_sos",
            "panic_api",
            "hook_twilio_sms",
            "hook_android_sms",
            "hook_telegram",
        }
    )
