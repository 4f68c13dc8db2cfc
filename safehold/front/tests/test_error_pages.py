"""Error pages explain what to do and show nothing of what failed."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from safehold.front import errors
from safehold.testing import login

pytestmark = pytest.mark.django_db


def test_it_renders_the_server_error_page_without_request_context():
    response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b'<html lang="en">' in response.content


def test_it_renders_the_bad_request_page(world):
    request = RequestFactory().get("/")
    request.user = world.coordinator
    response = errors.bad_request(request, ValueError("secret detail"))
    assert response.status_code == 400
    assert b"secret detail" not in response.content


def test_it_refuses_the_viewer_with_a_friendly_403(world):
    response = login(world.viewer).get("/persons/new/")
    assert response.status_code == 403
    assert b"You cannot do this" in response.content


def test_it_refuses_unknown_methods(world):
    client = login(world.coordinator)
    assert client.put(f"/persons/{world.person.pk}/").status_code == 405
    assert client.delete(f"/safe-houses/{world.safe_house.pk}/edit/").status_code == 405
