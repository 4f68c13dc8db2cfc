"""Headers on every response, login by default, and templates that obey the CSP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from safehold.front.middleware import CONTENT_SECURITY_POLICY
from safehold.front.public import PUBLIC_URL_NAMES
from safehold.testing import login

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_it_sends_the_content_security_policy_on_authenticated_pages(world):
    response = login(world.coordinator).get("/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    )
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/", "/persons/", "/safe-houses/"])
def test_it_forbids_caching_of_authenticated_pages(world, path):
    response = login(world.coordinator).get(path)
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"


def test_it_forbids_caching_of_a_revealed_page(world):
    url = reverse("person_reveal", kwargs={"person_id": world.person.pk})
    response = login(world.coordinator).post(url, {"reason": "calling her lawyer"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_it_sends_the_other_security_headers(world):
    response = Client().get("/login/")
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_sends_headers_on_not_found_pages_too(world):
    response = login(world.coordinator).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response["Cache-Control"] == "no-store"


def test_it_sends_visitors_to_the_login_form(world):
    url = reverse("person_detail", kwargs={"person_id": world.person.pk})
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_it_refuses_forms_from_visitors(world):
    url = reverse("person_reveal", kwargs={"person_id": world.person.pk})
    response = Client().post(url, {"reason": "curious"})
    assert response.status_code == 403
    assert b"Ruslan" not in response.content


def test_it_redirects_htmx_requests_of_visitors_as_a_whole_page(world):
    response = Client().get("/persons/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("login")


def test_it_redirects_htmx_forms_of_visitors_as_a_whole_page(world):
    url = reverse("person_reveal", kwargs={"person_id": world.person.pk})
    response = Client().post(url, {"reason": "x"}, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("login")


def test_it_keeps_the_public_list_short(world):
    assert PUBLIC_URL_NAMES == {
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


def test_it_serves_static_files_to_visitors_with_headers_but_cacheable(world, settings):
    settings.WHITENOISE_USE_FINDERS = True
    for name in ("safehold.css", "htmx.min.js"):
        response = Client().get(f"/static/front/{name}")
        assert response.status_code == 200
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response["Cross-Origin-Resource-Policy"] == "same-origin"
        assert "no-store" not in response.get("Cache-Control", "")


def test_it_lets_visitors_switch_language(world):
    response = Client().post(reverse("set_language"), {"language": "ru", "next": "/login/"})
    assert response.status_code == 302


def test_it_shows_a_friendly_page_for_a_refused_form(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"email": "a@example.org", "password": "x"})
    assert response.status_code == 403
    assert b"This form could not be accepted" in response.content
    assert b"CSRF" not in response.content


def test_it_shows_no_details_on_not_found(world):
    response = login(world.outsider).get(f"/persons/{world.person.pk}/")
    assert response.status_code == 404
    assert b"Falcon" not in response.content
    assert b"Traceback" not in response.content


def _template_texts():
    return [(path, path.read_text()) for path in TEMPLATES.rglob("*.html")]


def test_templates_carry_no_inline_script_or_style():
    for path, text in _template_texts():
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert "<style" not in text, path
        assert not re.search(r"\sstyle\s*=", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert "javascript:" not in text, path
        assert "hx-on" not in text, path


def test_templates_load_nothing_from_other_sites():
    for path, text in _template_texts():
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path
