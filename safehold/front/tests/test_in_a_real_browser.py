"""Sign in, reveal and switch language in Debian's Chromium against the live app.

The test client sends no Origin header and runs no browser policy; these journeys
caught a referrer policy that made every real form post fail the CSRF check.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from safehold.testing import PASSWORD, World
from safehold.testing_browser import launch_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    # Playwright's sync API runs an event loop in this thread; Django's ORM would
    # otherwise refuse to run beside it in the test's own thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser.new_page(viewport={"width": 1366, "height": 768})
        browser.close()


def _sign_in(page, live_server, world: World) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/login/")
    page.fill("input[name=email]", world.coordinator.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_a_coordinator_signs_in_and_reveals_a_case(
    transactional_db: None, live_server, world: World, page
) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, live_server, world)
    assert page.url == live_server.url + "/"
    page.goto(f"{live_server.url}/persons/{world.person.pk}/")
    assert "Ruslan Testov" not in page.content()
    page.fill("input[name=reason]", "Preparing the visa file")
    page.click("form[action$='/reveal/'] button[type=submit]")
    page.wait_for_selector("text=Ruslan Testov")


def test_a_wrong_password_is_refused_in_the_browser(
    transactional_db: None, live_server, world: World, page
) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/login/")
    page.fill("input[name=email]", world.coordinator.email)
    page.fill("input[name=password]", "not the password")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/login/")
    assert "not right" in page.content()


def test_the_interface_switches_to_russian(
    transactional_db: None, live_server, world: World, page
) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, live_server, world)
    page.select_option("select[name=language]", "ru")
    page.click("form[action$='/i18n/setlang/'] button[type=submit]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "ru"
    assert "Убежища" in page.content() or "убежищ" in page.content()
