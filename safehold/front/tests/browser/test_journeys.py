# ruff: noqa: RUF001
"""The main journeys, as people make them, in Debian's Chromium against the running
web server and worker: nothing is called in process, everything goes over HTTP.

A coordinator signs in, opens a case with a schedule, PINs and a personal link; the
person checks in from a phone; a missed check-in reaches the open dashboard without
a reload and the coordinator acknowledges it from the link in the message; an SOS
raises a panic; an incident is opened and closed; the interface switches to Russian.
"""

from __future__ import annotations

import re

import pytest

from safehold.front.tests.browser.conftest import RunningApp
from safehold.front.tests.browser.steps import WAIT_MS, ack_link_about, sign_in
from safehold.testing_servers import HttpReceiver

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


def open_case_with_checkins(page, app: RunningApp, codename: str) -> str:  # type: ignore[no-untyped-def]
    """Open a case through the forms, give it a schedule, PINs and a link; return it."""
    page.goto(app.url + "/persons/new/")
    page.fill("input[name=codename]", codename)
    page.select_option("select[name=compartment]", label="North Caucasus")
    page.click("main form button[type=submit]")
    page.wait_for_selector(f"h1:has-text('{codename}')")
    page.click("text=Check-ins")
    page.check("input[name='schedule-kind'][value='interval']")
    page.fill("input[name='schedule-interval_minutes']", "120")
    page.click("text=Save the schedule")
    page.wait_for_selector("text=Next deadline")
    page.fill("input[name='pins-pin']", "4826")
    page.fill("input[name='pins-duress_pin']", "9173")
    page.click("text=Set the PINs")
    page.wait_for_load_state()
    page.click("form[action$='/checkins/link/'] button")
    link = page.input_value("#new-link")
    assert "/c/" in link
    return link


def test_a_coordinator_signs_in_and_sees_everyone(app: RunningApp, laptop) -> None:  # type: ignore[no-untyped-def]
    sign_in(laptop, app)
    assert laptop.locator("#persons-heading").is_visible()
    board = laptop.locator("#persons-heading").locator("xpath=..")
    assert board.locator("text=Falcon").count() == 1
    assert "Safehold" in laptop.title()


def test_a_new_case_is_checked_in_from_the_phone_page(app: RunningApp, laptop, phone) -> None:  # type: ignore[no-untyped-def]
    sign_in(laptop, app)
    link = open_case_with_checkins(laptop, app, "Osprey")
    phone.goto(link)
    assert phone.title() == "Notes"
    phone.fill("#pin", "4826")
    phone.click("form:not(.apart) button")
    assert phone.locator("[role=status]").inner_text() == "Saved."
    assert "Safehold" not in phone.content()
    laptop.reload()
    assert laptop.locator("text=Web page").first.is_visible()


def test_a_missed_check_in_reaches_the_open_dashboard_and_is_acknowledged_from_the_link(
    app: RunningApp, laptop, phone, receiver: HttpReceiver
) -> None:  # type: ignore[no-untyped-def]
    sign_in(laptop, app)
    laptop.goto(app.url + "/account/channels/")
    laptop.fill("input[name=url]", receiver.url("/anna"))
    laptop.click("text=Add the channel")
    laptop.wait_for_load_state()
    open_case_with_checkins(laptop, app, "Merlin")
    laptop.goto(app.url + "/")
    # A mark on this very page: it survives only if the page is never reloaded.
    laptop.evaluate("window.stillTheSamePage = true")
    app.scenario("overdue", "Merlin")
    laptop.wait_for_selector("#alerts-heading ~ .table-wrap >> text=Merlin", timeout=WAIT_MS)
    assert laptop.evaluate("window.stillTheSamePage") is True

    link = ack_link_about(receiver, "Merlin")
    phone.goto(link)
    assert phone.locator("text=Merlin").first.is_visible()
    phone.click("button:has-text('Acknowledge')")
    assert phone.locator("[role=status]").first.is_visible()
    # The dashboard that stayed open drops the alert by itself.
    laptop.wait_for_selector(
        "#alerts-heading ~ .table-wrap >> text=Merlin", state="detached", timeout=WAIT_MS
    )
    assert laptop.evaluate("window.stillTheSamePage") is True


def test_sos_from_the_phone_raises_a_panic_on_the_dashboard(app: RunningApp, laptop, phone) -> None:  # type: ignore[no-untyped-def]
    sign_in(laptop, app)
    phone.goto(app.demo_link)
    phone.click("form.apart button")
    assert phone.locator("[role=status]").inner_text() == "Saved."
    laptop.wait_for_selector("#alerts-heading ~ .table-wrap >> text=Panic", timeout=WAIT_MS)


def test_an_incident_is_opened_from_an_alert_and_closed(app: RunningApp, laptop) -> None:  # type: ignore[no-untyped-def]
    sign_in(laptop, app)
    laptop.goto(app.url + "/persons/")
    laptop.click("text=Heron")
    laptop.click("text=Check-ins")
    laptop.click("text=Raise an alert now")
    laptop.wait_for_load_state()
    laptop.click("form[action$='/incident/'] button")
    laptop.wait_for_selector("h1:has-text('Person missing')")
    laptop.select_option("select[name='close-outcome']", "safe")
    laptop.fill("textarea[name='close-debrief']", "Found at a friend's flat; phone was off.")
    laptop.click("form[action$='/close/'] button")
    laptop.wait_for_selector("text=Closed")
    assert laptop.locator("text=The person is safe").first.is_visible()


def test_the_interface_switches_to_russian(app: RunningApp, laptop) -> None:  # type: ignore[no-untyped-def]
    sign_in(laptop, app)
    laptop.select_option("select[name=language]", "ru")
    laptop.click("form[action$='/i18n/setlang/'] button[type=submit]")
    laptop.wait_for_load_state()
    assert laptop.get_attribute("html", "lang") == "ru"
    text = laptop.inner_text("main")
    assert "Все ли в безопасности?" in text
    count = re.search(r"Вам доступно (\d+) (дело|дела|дел)\.", text)
    assert count is not None
    assert count.group(2) == russian_plural(int(count.group(1)), "дело", "дела", "дел")
    laptop.click("#persons-heading ~ .table-wrap >> text=Falcon")
    opened = laptop.inner_text(".facts")
    assert re.search(r"\d{1,2} (января|февраля|марта|апреля|мая|июня|июля|августа|"
                     r"сентября|октября|ноября|декабря) \d{4}", opened)  # fmt: skip


def russian_plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many
