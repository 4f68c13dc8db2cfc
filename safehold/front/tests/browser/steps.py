"""Steps the browser journeys share: signing in, finding the link in a message."""

from __future__ import annotations

import re
import time

from safehold.front.tests.browser.conftest import RunningApp
from safehold.testing_servers import HttpReceiver

ANNA = "anna@demo.safehold.invalid"
ACK_LINK = re.compile(r"https?://127\.0\.0\.1:\d+/a/[A-Za-z0-9_\-.:]+/")
# Long enough for a worker pass, a delivery and two dashboard polls on a busy machine.
WAIT_MS = 20_000


def sign_in(page, app: RunningApp, email: str = ANNA) -> None:  # type: ignore[no-untyped-def]
    page.goto(app.url + "/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", app.password(email))
    page.click("main button[type=submit]")
    page.wait_for_url(app.url + "/")


def ack_link_about(receiver: HttpReceiver, codename: str = "") -> str:
    """Return the first acknowledgement link in a message (about `codename`, if given)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        for request in receiver.requests:
            body = request.body.decode(errors="replace")
            if codename in body and (found := ACK_LINK.search(body)):
                return found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no message with a link about {codename}")
