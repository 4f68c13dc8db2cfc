"""Every main page at 1366 x 768 and 360 x 640, in the running app: axe-core finds no
serious or critical violation, nothing is wider than a phone, and a keyboard alone
does the night's main job. Screenshots of each page are kept in test-artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safehold.front.tests.browser.conftest import ARTEFACTS, AXE, LAPTOP, PHONE, RunningApp
from safehold.front.tests.browser.steps import ANNA, WAIT_MS, ack_link_about, sign_in
from safehold.testing_servers import HttpReceiver

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser-pages")]

SERIOUS = ("serious", "critical")


def axe_violations(page) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """Return axe-core's serious and critical violations on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs axe-core from the npm registry")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in found if v["impact"] in SERIOUS]


def page_width_overflow(page) -> int:  # type: ignore[no-untyped-def]
    """Return how many pixels the page is wider than the window (0 when it fits)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def shoot(page, name: str, size: str) -> Path:  # type: ignore[no-untyped-def]
    path = ARTEFACTS / "screenshots" / f"{name}-{size}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="module")
def pages(app: RunningApp, browser, receiver: HttpReceiver) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Give the demo an alert with a link in a message and an open incident; return
    the main pages' addresses by name."""
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, app)
    page.goto(app.url + "/account/channels/")
    page.fill("input[name=url]", receiver.url("/pages"))
    page.click("text=Add the channel")
    page.goto(app.url + "/persons/")
    page.click("text=Kestrel")
    person = page.url
    page.click("text=Check-ins")
    checkins = page.url
    page.click("text=Raise an alert now")
    page.wait_for_load_state()
    alert = page.url
    page.click("form[action$='/incident/'] button")
    page.wait_for_load_state()
    incident = page.url
    context.close()
    return {
        "dashboard": "/",
        "board": "/board/",
        "persons": "/persons/",
        "person": person,
        "checkins": checkins,
        "safe-houses": "/safe-houses/",
        "alerts": "/alerts/",
        "alert": alert,
        "incidents": "/incidents/",
        "incident": incident,
        "phone-checkin": app.demo_link,
        "ack-link": ack_link_about(receiver),
    }


SIGNED_OUT = ("phone-checkin", "ack-link")


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_the_main_pages_pass_axe_and_fit_the_screen(
    app: RunningApp, browser, pages: dict[str, str], size: str
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=LAPTOP if size == "laptop" else PHONE, bypass_csp=True)
    page = context.new_page()
    problems: dict[str, object] = {}
    page.goto(app.url + "/login/")
    shoot(page, "login", size)
    problems["login"] = axe_violations(page)
    for name in SIGNED_OUT:
        page.goto(pages[name] if pages[name].startswith("http") else app.url + pages[name])
        shoot(page, name, size)
        problems[name] = axe_violations(page)
        if size == "phone":
            assert page_width_overflow(page) <= 0, name
    sign_in(page, app)
    for name, address in pages.items():
        if name in SIGNED_OUT:
            continue
        page.goto(address if address.startswith("http") else app.url + address)
        shoot(page, name, size)
        problems[name] = axe_violations(page)
        if size == "phone":
            assert page_width_overflow(page) <= 0, name
    context.close()
    assert {name: found for name, found in problems.items() if found} == {}


def test_the_russian_dashboard_passes_axe(app: RunningApp, browser, pages: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=LAPTOP, bypass_csp=True, locale="ru-RU")
    page = context.new_page()
    sign_in(page, app)
    page.select_option("select[name=language]", "ru")
    page.click("form[action$='/i18n/setlang/'] button[type=submit]")
    page.wait_for_load_state()
    shoot(page, "dashboard-ru", "laptop")
    assert page.get_attribute("html", "lang") == "ru"
    assert axe_violations(page) == []
    context.close()


def test_a_keyboard_alone_signs_in_and_acknowledges_an_alert(
    app: RunningApp, browser, pages: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.goto(app.url + "/login/")
    focused = tab_to(page, "input[name=email]")
    page.keyboard.type(ANNA)
    page.keyboard.press("Tab")
    page.keyboard.type(app.password(ANNA))
    page.keyboard.press("Enter")
    page.wait_for_url(app.url + "/")
    focused = tab_to(page, "button[id^=ack-]")
    assert visible_focus(page), "the focused button shows no focus ring"
    code = re.sub(r"\D*$", "", focused)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "code => !document.querySelector('#alerts-heading').parentElement.innerText.includes(code)",
        arg=code.split()[-1],
        timeout=WAIT_MS,
    )
    context.close()


def tab_to(page, selector: str, limit: int = 250) -> str:  # type: ignore[no-untyped-def]
    """Press Tab until `selector` has the focus; return its text. Fail after `limit`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return str(page.evaluate("document.activeElement.innerText || ''"))
    raise AssertionError(f"Tab never reached {selector}")


def visible_focus(page) -> bool:  # type: ignore[no-untyped-def]
    style = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [s.outlineStyle, s.outlineWidth]; }"""
    )
    return style[0] != "none" and float(style[1].rstrip("px") or 0) >= 2
