"""A member's own notification channels: list, add, remove and reorder."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.urls import reverse

from safehold.alerts.channel_actions import MAX_CHANNELS, add_channel
from safehold.alerts.models import Channel
from safehold.audit.models import AuditEntry
from safehold.testing import login

pytestmark = pytest.mark.django_db

SECRET_URL = "json://127.0.0.1:9/hook-LEAKCHECK-7731"
MAIL_URL = "mailto://user:LEAKCHECK-pass@example.org?to=duty@example.org"


def remove(channel):
    return reverse("channel_remove", kwargs={"channel_id": channel.pk})


def move(channel):
    return reverse("channel_move", kwargs={"channel_id": channel.pk})


def positions(member):
    return list(
        Channel.objects.filter(member=member).order_by("position").values_list("scheme", "position")
    )


def test_it_lists_my_channels_in_order_with_the_address_masked(world):
    add_channel(world.coordinator, SECRET_URL, "office", actor=world.coordinator)
    add_channel(world.coordinator, MAIL_URL, "", actor=world.coordinator)
    response = login(world.coordinator).get("/account/channels/")
    assert response.status_code == 200
    content = response.content.decode()
    assert content.index("json://") < content.index("mailto://")
    assert "office" in content
    assert "LEAKCHECK" not in content
    assert "127.0.0.1" not in content


def test_it_warns_a_member_who_cannot_be_reached(world):
    content = login(world.coordinator).get("/account/channels/").content.decode()
    assert "alerts cannot reach you" in content


def test_it_never_lists_another_members_channels(world):
    add_channel(world.admin, SECRET_URL, "admin's phone", actor=world.admin)
    content = login(world.coordinator).get("/account/channels/").content.decode()
    assert "admin&#x27;s phone" not in content
    assert "json://" not in content


def test_it_adds_a_channel_and_audits_it_without_the_address(world, caplog):
    caplog.set_level(logging.DEBUG)
    client = login(world.coordinator)
    response = client.post("/account/channels/new/", {"url": MAIL_URL, "label": "work mail"})
    assert response.status_code == 302
    assert response["Location"] == "/account/channels/"
    channel = Channel.objects.get(member=world.coordinator)
    assert (channel.scheme, channel.position, channel.url) == ("mailto", 1, MAIL_URL)
    entry = AuditEntry.objects.get(action="channel.added")
    assert entry.actor_id == world.coordinator.pk
    assert entry.organisation_id == world.organisation.pk
    assert "LEAKCHECK" not in str(entry.details)
    assert "work mail" not in str(entry.details)
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "LEAKCHECK" not in logged


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense://somewhere", "This address is not recognised."),
        ("https://example.org/hook", "This address is not recognised."),
        ("syslog://", "acts on the server itself"),
        ("json://example.org/?keyfile=/etc/passwd", "may not refer to files on the server"),
        ("json://", "incomplete or malformed"),
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("json://" + "x" * 3000, "at most 2000 characters"),
    ],
)
def test_an_unusable_address_is_refused_with_a_clear_message(world, url, message):
    response = login(world.coordinator).post("/account/channels/new/", {"url": url})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Channel.objects.exists()
    assert not AuditEntry.objects.filter(action="channel.added").exists()


def test_a_too_long_label_is_refused(world):
    response = login(world.coordinator).post(
        "/account/channels/new/", {"url": SECRET_URL, "label": "x" * 61}
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not Channel.objects.exists()


def test_a_member_has_at_most_ten_channels(world):
    for number in range(MAX_CHANNELS):
        add_channel(world.coordinator, f"json://127.0.0.1:9/{number}", actor=world.coordinator)
    client = login(world.coordinator)
    page = client.get("/account/channels/").content.decode()
    assert "Remove one to add another." in page
    response = client.post("/account/channels/new/", {"url": SECRET_URL})
    assert response.status_code == 200
    assert b"You already have 10 channels." in response.content
    assert Channel.objects.filter(member=world.coordinator).count() == MAX_CHANNELS


def test_moving_swaps_neighbours_and_keeps_positions_dense(world):
    first = add_channel(world.coordinator, SECRET_URL, actor=world.coordinator)
    add_channel(world.coordinator, MAIL_URL, actor=world.coordinator)
    add_channel(world.coordinator, "ntfy://ntfy.sh/topic", actor=world.coordinator)
    client = login(world.coordinator)
    assert client.post(move(first), {"direction": "down"}).status_code == 302
    assert positions(world.coordinator) == [("mailto", 1), ("json", 2), ("ntfy", 3)]
    client.post(move(first), {"direction": "down"})
    assert positions(world.coordinator) == [("mailto", 1), ("ntfy", 2), ("json", 3)]
    # The last one cannot go further down: nothing changes.
    client.post(move(first), {"direction": "down"})
    assert positions(world.coordinator) == [("mailto", 1), ("ntfy", 2), ("json", 3)]
    client.post(move(first), {"direction": "up"})
    assert positions(world.coordinator) == [("mailto", 1), ("json", 2), ("ntfy", 3)]
    assert AuditEntry.objects.filter(action="channel.moved").count() == 3


def test_a_bad_direction_changes_nothing(world):
    first = add_channel(world.coordinator, SECRET_URL, actor=world.coordinator)
    add_channel(world.coordinator, MAIL_URL, actor=world.coordinator)
    response = login(world.coordinator).post(move(first), {"direction": "sideways"}, follow=True)
    assert response.status_code == 200
    assert b"Choose whether to move the channel up or down." in response.content
    assert positions(world.coordinator) == [("json", 1), ("mailto", 2)]


def test_removing_closes_the_gap_and_is_audited(world):
    add_channel(world.coordinator, SECRET_URL, actor=world.coordinator)
    middle = add_channel(world.coordinator, MAIL_URL, actor=world.coordinator)
    add_channel(world.coordinator, "ntfy://ntfy.sh/topic", actor=world.coordinator)
    response = login(world.coordinator).post(remove(middle))
    assert response.status_code == 302
    assert positions(world.coordinator) == [("json", 1), ("ntfy", 2)]
    entry = AuditEntry.objects.get(action="channel.removed")
    assert entry.object_id == str(middle.pk)
    assert "LEAKCHECK" not in str(entry.details)


@pytest.mark.parametrize("persona", ["admin", "viewer", "stranger", "outsider"])
def test_a_member_cannot_touch_another_members_channel(world, persona):
    channel = add_channel(world.coordinator, SECRET_URL, actor=world.coordinator)
    add_channel(world.coordinator, MAIL_URL, actor=world.coordinator)
    client = login(getattr(world, persona))
    assert client.post(remove(channel)).status_code == 404
    assert client.post(move(channel), {"direction": "down"}).status_code == 404
    assert positions(world.coordinator) == [("json", 1), ("mailto", 2)]
    assert not AuditEntry.objects.filter(action__in=["channel.removed", "channel.moved"]).exists()


def test_a_missing_channel_is_the_same_404(world):
    channel = add_channel(world.admin, SECRET_URL, actor=world.admin)
    client = login(world.coordinator)
    missing = client.post(reverse("channel_remove", kwargs={"channel_id": uuid.uuid4()}))
    forbidden = client.post(remove(channel))
    assert missing.status_code == forbidden.status_code == 404
    assert missing.content == forbidden.content


@pytest.mark.parametrize("name", ["channel_add"])
def test_changes_are_posts_only(world, name):
    assert login(world.coordinator).get(reverse(name)).status_code == 405


def test_changing_a_channel_by_get_is_refused(world):
    channel = add_channel(world.coordinator, SECRET_URL, actor=world.coordinator)
    client = login(world.coordinator)
    assert client.get(remove(channel)).status_code == 405
    assert client.get(move(channel)).status_code == 405
    assert Channel.objects.filter(pk=channel.pk).exists()
