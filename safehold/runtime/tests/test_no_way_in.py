"""Walk every URL of the app as each kind of outsider: none of them gets a record.

Anonymous users, members of another organisation, members of another compartment and
responders without a grant must get no 200 from any page about a record, and the pages
they may open (their own lists, forms) must not mention the record.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from safehold.cases.actions import save_document
from safehold.front.public import PUBLIC_URL_NAMES
from safehold.shelters.actions import place_person
from safehold.testing import World, login

pytestmark = pytest.mark.django_db


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _fill(route: str, ids: dict[str, str]) -> str:
    """Turn 'persons/<uuid:person_id>/' into a real path with the world's ids."""
    path = route
    for name, value in ids.items():
        path = path.replace(f"<uuid:{name}>", value)
    assert "<" not in path, f"the walker does not know how to fill {route!r}: add its parameter"
    return "/" + path


@pytest.fixture
def targets(world: World) -> dict[str, str]:
    document = save_document(
        world.person, {"kind": "passport", "country": "RU"}, actor=world.coordinator
    )
    placement = place_person(
        world.person, world.safe_house, actor=world.coordinator, start_date=datetime.date.today()
    )
    return {
        "person_id": str(world.person.pk),
        "safe_house_id": str(world.safe_house.pk),
        "document_id": str(document.pk),
        "placement_id": str(placement.pk),
    }


def _routes() -> list[tuple[str, str | None]]:
    return [
        (route, pattern.name)
        for route, pattern in _patterns(get_resolver())
        # Logging out would turn the rest of the walk into an anonymous one.
        if pattern.name not in PUBLIC_URL_NAMES | {"logout"}
    ]


def test_the_walk_covers_record_pages() -> None:
    with_records = [r for r, _ in _routes() if "<uuid:" in r]
    assert len(with_records) >= 10


@pytest.mark.parametrize("persona", ["anonymous", "outsider", "stranger", "responder"])
def test_no_outsider_gets_a_record_anywhere(
    world: World, targets: dict[str, str], persona: str
) -> None:
    client = Client() if persona == "anonymous" else login(getattr(world, persona))
    secrets = [world.person.codename, world.safe_house.codename, *targets.values()]
    checked = 0
    for route, name in _routes():
        path = _fill(route, targets)
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


def test_the_walker_would_notice_a_leak(world: World, targets: dict[str, str]) -> None:
    # The control: the rightful coordinator does get 200 on the record pages.
    client = login(world.coordinator)
    path = _fill("persons/<uuid:person_id>/", targets)
    response = client.get(path)
    assert response.status_code == 200
    assert world.person.codename in response.content.decode()


def test_public_routes_are_the_reviewed_few() -> None:
    assert PUBLIC_URL_NAMES == frozenset({"login", "set_language"})
