"""Switching the interface language."""

from __future__ import annotations

import pytest
from django.urls import reverse

from safehold.testing import login

pytestmark = pytest.mark.django_db


def test_it_renders_english_by_default(world):
    response = login(world.coordinator).get("/")
    assert b'<html lang="en">' in response.content


def test_it_switches_to_russian(world):
    client = login(world.coordinator)
    response = client.post(reverse("set_language"), {"language": "ru", "next": "/persons/"})
    assert response.status_code == 302
    assert response["Location"] == "/persons/"
    page = client.get("/persons/")
    assert b'<html lang="ru">' in page.content


def test_it_ignores_an_unknown_language(world):
    client = login(world.coordinator)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert b'<html lang="en">' in client.get("/").content


def test_it_offers_the_switch_on_every_page(world):
    response = login(world.outsider).get("/safe-houses/")
    assert reverse("set_language").encode() in response.content
    assert b'<label for="language-select">' in response.content
