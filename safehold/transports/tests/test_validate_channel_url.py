"""Only well-formed URLs of services that send somewhere else are accepted as channels."""

from __future__ import annotations

import pytest

from safehold.transports.apprise_channel import (
    CHANNEL_URL_PROBLEMS,
    LOCAL_SCHEMES,
    InvalidChannelURL,
    deliver,
    validate_channel_url,
)
from safehold.transports.base import FailureKind, Message, TransportError


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        (
            "mailto://127.0.0.1:2525/?smtp=127.0.0.1&mode=insecure&from=a@example.org&to=b@example.org",
            "mailto",
        ),
        ("mailtos://user:pass@smtp.example.org?from=a@example.org&to=b@example.org", "mailtos"),
        ("json://127.0.0.1:8080/hook", "json"),
        ("json://127.0.0.1:8080/hook?+X-Team=profile:north", "json"),
        ("jsons://hooks.example.org/alerts/team-a", "jsons"),
        # A service's own web address is recognised too.
        ("https://discord.com/api/webhooks/123/abc", "discord"),
    ],
)
def test_it_returns_the_service_of_a_usable_url(url: str, scheme: str) -> None:
    assert validate_channel_url(url) == scheme


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("not a url", "unknown_service"),
        ("nope://example.org", "unknown_service"),
        # A plain web address is not a service URL (that would be json:// or jsons://).
        ("https://example.org/hook", "unknown_service"),
        ("json://", "malformed"),
        ("mailto://", "malformed"),
        ("json://127.0.0.1:99999/hook", "malformed"),
    ],
)
def test_it_refuses_a_malformed_or_unknown_url(url: str, code: str) -> None:
    with pytest.raises(InvalidChannelURL) as caught:
        validate_channel_url(url)
    assert caught.value.code == code
    assert str(caught.value) == CHANNEL_URL_PROBLEMS[code]
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("scheme", sorted(LOCAL_SCHEMES))
def test_it_refuses_services_that_act_on_the_server_itself(scheme: str) -> None:
    with pytest.raises(InvalidChannelURL) as caught:
        validate_channel_url(f"{scheme}://")
    assert caught.value.code == "local_service"


@pytest.mark.parametrize(
    "url",
    [
        "fcm://apikey/device?keyfile=/etc/passwd",
        "fcm://apikey/device?keyfile=key.json",
        "vapid://subscriber@example.org/?subfile=/var/lib/subs.json",
        "mailto://user:pass@example.org?pgppub=/home/safehold/key.asc",
        "discord://1234/abcd?template=/etc/passwd",
        "json://example.org/hook?+X-Anything=file:///etc/passwd",
    ],
)
def test_it_refuses_urls_that_make_the_server_read_its_own_files(url: str) -> None:
    with pytest.raises(InvalidChannelURL) as caught:
        validate_channel_url(url)
    assert caught.value.code == "local_file"


def test_the_refusal_names_nothing_from_the_url() -> None:
    with pytest.raises(InvalidChannelURL) as caught:
        validate_channel_url("mailto://user:hunter2@example.org?pgppub=/secret/key.asc")
    for part in ("hunter2", "example.org", "/secret"):
        assert part not in str(caught.value)
        assert part not in repr(caught.value.__cause__)


def test_delivering_to_an_invalid_url_is_a_permanent_failure() -> None:
    message = Message(title="T", body="B", idempotency_key="k1")

    with pytest.raises(TransportError) as caught:
        deliver("windows://", message, timeout_seconds=1)

    assert caught.value.permanent is True
    assert caught.value.kind == FailureKind.BAD_URL


@pytest.mark.parametrize("key", ["", "two words", "line\nbreak", "x" * 129, "ümlaut"])
def test_a_message_refuses_a_key_that_could_not_travel_in_a_header(key: str) -> None:
    with pytest.raises(ValueError):
        Message(title="T", body="B", idempotency_key=key)
