"""A coordinator chooses the face of the person's page: validated, audited, link kept."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from safehold.audit.models import AuditEntry
from safehold.checkins.actions import set_disguise
from safehold.checkins.disguises import DISGUISES, DisguiseKind, PageLanguage, language_for
from safehold.checkins.models import Channel, CheckinSecret
from safehold.checkins.service import check_in, find_secret_by_link
from safehold.checkins.tests.helpers import NOW, PIN, ready_to_check_in
from safehold.testing import World

pytestmark = pytest.mark.django_db


def disguise_entries(world: World) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="checkin.disguise_set").order_by("seq"))


def test_every_disguise_kind_has_an_entry_in_the_catalogue() -> None:
    assert set(DISGUISES) == set(DisguiseKind.values)
    assert all(DISGUISES[key].kind == key for key in DISGUISES)


def test_a_new_secret_starts_as_notes_in_the_phones_language(world: World) -> None:
    secret = CheckinSecret.objects.create(person=world.person)
    assert (secret.disguise, secret.page_language) == ("notes", "browser")
    assert language_for(secret.page_language) is None
    assert language_for("ru") == "ru"


def test_it_sets_the_choice_and_writes_one_audit_entry(world: World) -> None:
    secret = set_disguise(
        world.person, actor=world.coordinator, disguise="weather", page_language="en"
    )
    secret.refresh_from_db()
    assert (secret.disguise, secret.page_language) == ("weather", "en")
    [entry] = disguise_entries(world)
    assert entry.actor_id == world.coordinator.pk
    assert entry.details == {
        "secret": str(secret.pk),
        "disguise": "weather",
        "page_language": "en",
        "fields": ["disguise", "page_language"],
    }


def test_the_link_and_pins_keep_working_under_a_new_disguise(world: World) -> None:
    _, token = ready_to_check_in(world.person, actor=world.coordinator)
    set_disguise(world.person, actor=world.coordinator, disguise="recipes", page_language="ru")
    secret = find_secret_by_link(token)
    assert secret is not None
    result = check_in(secret, PIN, channel=Channel.WEB, request_id="after", now=NOW)
    assert result.status == "accepted"


@pytest.mark.parametrize(
    ("disguise", "language", "bad"),
    [
        ("casino", "en", {"disguise"}),
        ("notes", "de", {"page_language"}),
        ("", "", {"disguise", "page_language"}),
    ],
)
def test_it_refuses_what_the_catalogue_does_not_hold(
    world: World, disguise: str, language: str, bad: set[str]
) -> None:
    with pytest.raises(ValidationError) as refused:
        set_disguise(
            world.person, actor=world.coordinator, disguise=disguise, page_language=language
        )
    assert set(refused.value.message_dict) == bad
    assert not disguise_entries(world)
    assert (
        not CheckinSecret.objects.filter(person=world.person)
        .exclude(disguise=DisguiseKind.NOTES, page_language=PageLanguage.BROWSER)
        .exists()
    )
