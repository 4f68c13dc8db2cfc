"""Signing in: same answer for unknown and wrong, throttling, session rotation, logout."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from safehold.accounts import throttle
from safehold.testing import PASSWORD, login, make_member

pytestmark = pytest.mark.django_db

LOGIN = "/login/"


def _member(world, email="signin@example.org"):
    return make_member(world.organisation, compartments=[world.compartment], email=email)


def test_it_shows_the_sign_in_form_to_visitors(world):
    response = Client().get(LOGIN)
    assert response.status_code == 200
    assert b'name="email"' in response.content
    assert b'name="password"' in response.content
    assert b'<label for="id_email">' in response.content


def test_it_signs_in_with_email_and_password(world):
    member = _member(world)
    client = Client()
    response = client.post(LOGIN, {"email": "signin@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(member.pk)


def test_it_matches_the_email_whatever_its_case_and_spaces(world):
    _member(world)
    client = Client()
    response = client.post(LOGIN, {"email": "  SignIn@Example.org ", "password": PASSWORD})
    assert response.status_code == 302


def test_it_rotates_the_session_at_sign_in(world):
    _member(world)
    client = Client()
    planted = client.session
    planted["planted"] = True
    planted.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    old_key = planted.session_key

    client.post(LOGIN, {"email": "signin@example.org", "password": PASSWORD})

    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()


def test_it_answers_a_wrong_password_and_an_unknown_email_alike(world):
    _member(world)
    wrong = Client().post(LOGIN, {"email": "signin@example.org", "password": "not it at all"})
    unknown = Client().post(LOGIN, {"email": "nobody@example.org", "password": "not it at all"})
    assert wrong.status_code == unknown.status_code == 200
    message = b"The e-mail address or the password is not right."
    assert message in wrong.content
    assert message in unknown.content
    assert "_auth_user_id" not in wrong.client.session


def test_it_refuses_a_disabled_account_like_a_wrong_password(world):
    member = _member(world)
    member.is_active = False
    member.save()
    response = Client().post(LOGIN, {"email": "signin@example.org", "password": PASSWORD})
    assert b"The e-mail address or the password is not right." in response.content


def test_it_throttles_repeated_failures_with_429_and_retry_after(world):
    _member(world)
    client = Client()
    for _ in range(throttle.FREE_FAILURES):
        client.post(LOGIN, {"email": "signin@example.org", "password": "guess"})
    response = client.post(LOGIN, {"email": "signin@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert b"Signing in failed too often" in response.content
    assert "_auth_user_id" not in client.session


def test_it_throttles_an_unknown_email_the_same_way(world):
    client = Client()
    for _ in range(throttle.FREE_FAILURES):
        client.post(LOGIN, {"email": "nobody@example.org", "password": "guess"})
    response = client.post(LOGIN, {"email": "nobody@example.org", "password": "guess"})
    assert response.status_code == 429
    assert "Retry-After" in response


def test_it_shows_form_errors_for_missing_fields_without_counting_a_failure(world):
    response = Client().post(LOGIN, {"email": ""})
    assert response.status_code == 200
    assert b"errorlist" in response.content


def test_it_refuses_an_oversized_password_without_hashing_it(world):
    response = Client().post(LOGIN, {"email": "a@example.org", "password": "x" * 5000})
    assert response.status_code == 200
    assert b"errorlist" in response.content


def test_it_follows_a_local_next_link_after_sign_in(world):
    _member(world)
    target = reverse("person_detail", kwargs={"person_id": world.person.pk})
    response = Client().post(
        LOGIN, {"email": "signin@example.org", "password": PASSWORD, "next": target}
    )
    assert response["Location"] == target


def test_it_ignores_a_next_link_to_another_site(world):
    _member(world)
    response = Client().post(
        LOGIN,
        {"email": "signin@example.org", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("home")


def test_it_signs_out_by_post_only(world):
    client = login(world.coordinator)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get("/").status_code == 302
