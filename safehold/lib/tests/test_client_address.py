"""The client's address for throttling, with and without trusted proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from safehold.lib.net import client_address


def _request(forwarded: str | None = None) -> object:
    extra = {"REMOTE_ADDR": "10.0.0.5"}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_the_forwarded_header_is_ignored(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SAFEHOLD_TRUSTED_PROXIES = 0
    assert client_address(_request("203.0.113.9")) == "10.0.0.5"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the client cannot choose its own entry
        ("", "10.0.0.5"),
    ],
)
def test_one_trusted_proxy_gives_the_address_it_saw(
    settings, forwarded: str, expected: str
) -> None:  # type: ignore[no-untyped-def]
    settings.SAFEHOLD_TRUSTED_PROXIES = 1
    assert client_address(_request(forwarded)) == expected  # type: ignore[arg-type]
