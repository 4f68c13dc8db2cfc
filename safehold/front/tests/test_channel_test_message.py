"""A member sends a test message to one of their own channels from the channels page."""

from __future__ import annotations

import datetime
import logging
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safehold.accounts.models import Member
from safehold.alerts.channel_actions import (
    TEST_MEMBER_WINDOW,
    TEST_MESSAGE_INTERVAL,
    TESTS_PER_MEMBER,
    add_channel,
    send_test_message,
)
from safehold.alerts.models import Channel
from safehold.audit.models import AuditEntry
from safehold.testing import World, login, make_person
from safehold.testing_servers import HttpReceiver, SmtpSink, free_port

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

LABEL = "LEAKCHECK-label-5521"
SENT = "The test message was handed to the service. Check that it arrived."
NOT_SENT = "The test message could not be sent."


@pytest.fixture
def member(world: World) -> Member:
    """The coordinator, reading notifications in English, with identifying markers about."""
    member = world.coordinator
    member.language = "en"
    member.display_name = "LEAKCHECK Member Name"
    member.save(update_fields=["language", "display_name"])
    make_person(
        world.compartment,
        actor=member,
        codename="LEAKCHECK-codename",
        legal_name="LEAKCHECK Legal Name",
        notes="LEAKCHECK-notes",
        phones=["+79031234599"],
    )
    return member


def closed_port_url() -> str:
    return f"json://127.0.0.1:{free_port()}/hook-LEAKCHECK-url"


def send_path(channel: Channel) -> str:
    return reverse("channel_test", kwargs={"channel_id": channel.pk})


def page_text(response) -> str:
    return response.content.decode()


def audited_tests(channel: Channel) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="channel.tested", object_id=str(channel.pk)))


def test_a_test_message_arrives_by_email_and_says_nothing_about_anyone(
    world: World, member, smtp_sink: SmtpSink
) -> None:
    channel = add_channel(member, smtp_sink.url("duty-LEAKCHECK@example.org"), LABEL, actor=member)

    response = login(member).post(send_path(channel), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [("/account/channels/", 302)]
    assert SENT in page_text(response)
    [mail] = smtp_sink.wait_for(1)
    assert mail.recipients == ("duty-LEAKCHECK@example.org",)
    assert mail.subject == "Test message"
    assert "No action is needed." in mail.body
    assert mail.body.strip().splitlines()[-1].startswith("Ref: sh-test-")
    shown = f"{mail.subject}\n{mail.body}"
    assert "LEAKCHECK" not in shown
    for private in (world.person.codename, "Ruslan Testov", "+79161234567", member.email):
        assert private not in shown


def test_a_test_message_arrives_at_a_webhook(member, http_receiver: HttpReceiver) -> None:
    channel = add_channel(member, http_receiver.url("/hook"), LABEL, actor=member)

    response = login(member).post(send_path(channel), follow=True)

    assert SENT in page_text(response)
    [request] = http_receiver.wait_for(1)
    document = request.json()
    assert document["title"] == "Test message"
    assert "This is a test message." in document["message"]
    assert "Safehold" not in request.body.decode()
    assert document["idempotency_key"].startswith("sh-test-")
    assert "LEAKCHECK" not in request.body.decode()
    assert "Falcon" not in request.body.decode()


def test_each_test_message_has_a_fresh_reference(member, http_receiver: HttpReceiver) -> None:
    first = add_channel(member, http_receiver.url("/one"), actor=member)
    second = add_channel(member, http_receiver.url("/two"), actor=member)
    assert send_test_message(first, actor=member).is_sent
    assert send_test_message(second, actor=member).is_sent
    keys = {request.json()["idempotency_key"] for request in http_receiver.wait_for(2)}
    assert len(keys) == 2


def test_an_unreachable_channel_shows_why_and_is_audited(member) -> None:
    channel = add_channel(member, closed_port_url(), LABEL, actor=member)

    response = login(member).post(send_path(channel), follow=True)

    assert response.status_code == 200
    content = page_text(response)
    assert NOT_SENT in content
    assert "the connection was refused" in content
    assert SENT not in content
    assert "hook-LEAKCHECK-url" not in content
    [entry] = audited_tests(channel)
    assert entry.details["outcome"] == "refused"


def test_a_receiver_that_refuses_the_message_is_explained(
    member, http_receiver: HttpReceiver
) -> None:
    http_receiver.status = 401
    channel = add_channel(member, http_receiver.url("/hook"), actor=member)

    content = page_text(login(member).post(send_path(channel), follow=True))

    assert NOT_SENT in content
    assert "The service refused the message." in content
    [entry] = audited_tests(channel)
    assert entry.details["outcome"] == "rejected"


def test_a_receiver_that_is_down_is_explained(member, http_receiver: HttpReceiver) -> None:
    http_receiver.status = 503
    channel = add_channel(member, http_receiver.url("/hook"), actor=member)

    content = page_text(login(member).post(send_path(channel), follow=True))

    assert "The service is overloaded or down at the moment." in content


def test_the_audit_entry_holds_neither_the_address_nor_the_label(
    world: World, member, http_receiver: HttpReceiver
) -> None:
    url = http_receiver.url("/hook-LEAKCHECK-secret")
    channel = add_channel(member, url, LABEL, actor=member)

    login(member).post(send_path(channel))

    [entry] = audited_tests(channel)
    assert entry.actor_id == member.pk
    assert entry.organisation_id == world.organisation.pk
    assert entry.object_type == "alerts.channel"
    assert entry.details == {"channel": str(channel.pk), "scheme": "json", "outcome": "sent"}
    assert "LEAKCHECK" not in str(entry.details)
    assert str(http_receiver.port) not in str(entry.details)


def test_a_second_test_right_away_is_not_sent(member, http_receiver: HttpReceiver) -> None:
    channel = add_channel(member, http_receiver.url("/hook"), actor=member)
    client = login(member)

    assert SENT in page_text(client.post(send_path(channel), follow=True))
    http_receiver.wait_for(1)
    again = page_text(client.post(send_path(channel), follow=True))

    assert "This channel was tested a moment ago." in again
    assert SENT not in again
    assert len(http_receiver.requests) == 1
    assert len(audited_tests(channel)) == 1


def test_a_failed_test_also_counts_towards_the_limit(member) -> None:
    channel = add_channel(member, closed_port_url(), actor=member)

    assert send_test_message(channel, actor=member).failure == "refused"
    second = send_test_message(channel, actor=member)

    assert second.is_too_soon
    assert 0 < second.retry_in_seconds <= TEST_MESSAGE_INTERVAL.total_seconds()
    assert len(audited_tests(channel)) == 1


def test_the_limit_is_per_channel_and_lifts_after_the_interval(
    member, http_receiver: HttpReceiver
) -> None:
    first = add_channel(member, http_receiver.url("/one"), actor=member)
    second = add_channel(member, http_receiver.url("/two"), actor=member)
    assert send_test_message(first, actor=member).is_sent
    assert send_test_message(second, actor=member).is_sent
    assert send_test_message(first, actor=member).is_too_soon

    # Age the earlier test past the interval (the audit log is append-only, so the
    # time is moved with a query, as the passing of time would).
    long_ago = timezone.now() - TEST_MESSAGE_INTERVAL - datetime.timedelta(seconds=1)
    AuditEntry.objects.filter(action="channel.tested").update(at=long_ago)

    assert send_test_message(first, actor=member).is_sent
    assert len(http_receiver.wait_for(3)) == 3


def test_one_member_may_send_only_a_few_tests_whichever_the_channels(
    member, http_receiver: HttpReceiver
) -> None:
    channels = [
        add_channel(member, http_receiver.url(f"/{n}"), actor=member)
        for n in range(TESTS_PER_MEMBER + 1)
    ]
    results = [send_test_message(channel, actor=member) for channel in channels]

    assert all(result.is_sent for result in results[:TESTS_PER_MEMBER])
    assert results[-1].is_too_soon
    assert 0 < results[-1].retry_in_seconds <= TEST_MEMBER_WINDOW.total_seconds()
    assert len(http_receiver.wait_for(TESTS_PER_MEMBER)) == TESTS_PER_MEMBER
    assert len(http_receiver.requests) == TESTS_PER_MEMBER


@pytest.mark.parametrize("persona", ["admin", "viewer", "responder", "stranger", "outsider"])
def test_another_members_channel_is_404_and_nothing_is_sent(
    world: World, member, http_receiver: HttpReceiver, persona: str
) -> None:
    channel = add_channel(member, http_receiver.url("/hook"), actor=member)

    response = login(getattr(world, persona)).post(send_path(channel))

    assert response.status_code == 404
    assert http_receiver.requests == []
    assert audited_tests(channel) == []


def test_a_missing_channel_is_the_same_404(world: World, member) -> None:
    channel = add_channel(world.admin, closed_port_url(), actor=world.admin)
    client = login(member)
    missing = client.post(reverse("channel_test", kwargs={"channel_id": uuid.uuid4()}))
    forbidden = client.post(send_path(channel))
    assert missing.status_code == forbidden.status_code == 404
    assert missing.content == forbidden.content


def test_testing_by_get_is_refused(member, http_receiver: HttpReceiver) -> None:
    channel = add_channel(member, http_receiver.url("/hook"), actor=member)
    assert login(member).get(send_path(channel)).status_code == 405
    assert http_receiver.requests == []
    assert audited_tests(channel) == []


def test_anonymous_visitors_are_refused(member, http_receiver: HttpReceiver) -> None:
    channel = add_channel(member, http_receiver.url("/hook"), actor=member)
    # A signed-out POST is refused outright (a GET would be sent to the login page).
    response = Client().post(send_path(channel))
    assert response.status_code == 403
    assert http_receiver.requests == []
    assert audited_tests(channel) == []


def test_the_form_needs_its_csrf_token(member, http_receiver: HttpReceiver) -> None:
    channel = add_channel(member, http_receiver.url("/hook"), actor=member)
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(send_path(channel)).status_code == 403
    assert http_receiver.requests == []


def test_the_channels_page_offers_a_test_button_per_channel(
    member, http_receiver: HttpReceiver
) -> None:
    first = add_channel(member, http_receiver.url("/one"), actor=member)
    second = add_channel(member, closed_port_url(), actor=member)
    content = page_text(login(member).get("/account/channels/"))
    for channel in (first, second):
        assert f'action="{send_path(channel)}"' in content
    assert content.count("Send a test message</button>") == 2


def test_the_address_never_reaches_the_logs(
    member, caplog: pytest.LogCaptureFixture, http_receiver: HttpReceiver
) -> None:
    caplog.set_level(logging.DEBUG)
    working = add_channel(member, http_receiver.url("/hook-LEAKCHECK-ok"), LABEL, actor=member)
    broken = add_channel(member, closed_port_url(), LABEL, actor=member)
    client = login(member)

    client.post(send_path(working))
    client.post(send_path(broken))
    client.post(send_path(broken))  # too soon

    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "delivered transport=json" in logged  # the capture did see the sends
    assert "LEAKCHECK" not in logged
    assert str(http_receiver.port) not in logged
