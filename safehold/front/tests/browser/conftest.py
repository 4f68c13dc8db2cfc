"""A running Safehold (web server and worker as real processes) and Debian's Chromium.

One installation per test module: a fresh SQLite file, or a fresh PostgreSQL database
when the suite runs on PostgreSQL, loaded with the demo organisation. Journeys drive
it only through the browser, except where time must pass (`scenario.py`).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from safehold.testing_browser import launch_chromium
from safehold.testing_installation import Installation, fresh_postgres_database
from safehold.testing_servers import HttpReceiver, free_port

SCENARIO = Path(__file__).with_name("scenario.py")
ROOT = Path(__file__).resolve().parents[4]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Screenshots of the main pages, kept after the run (CI keeps them as artefacts).
ARTEFACTS = Path(os.environ.get("SAFEHOLD_TEST_ARTEFACTS", ROOT / "test-artifacts"))
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 360, "height": 640}


@dataclass
class RunningApp:
    installation: Installation
    url: str
    logins: dict[str, str]
    demo_link: str
    database: str

    def password(self, email: str) -> str:
        return self.logins[email]

    def scenario(self, *args: str) -> None:
        self.installation.run(str(SCENARIO), *args)


def _wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """Safehold as `make run` starts it, on a free port, with the demo organisation."""
    data_dir = tmp_path_factory.mktemp("browser-install")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The PostgreSQL run of the suite drives a PostgreSQL installation too.
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    database = (
        fresh_postgres_database("safehold_browser")
        if on_postgres
        else contextlib.nullcontext(f"sqlite:///{data_dir / 'safehold.sqlite3'}")
    )
    with database as database_url:
        installation = Installation(
            data_dir,
            database_url,
            SAFEHOLD_BASE_URL=url,
            SAFEHOLD_INSECURE_LOCAL="1",
        )
        installation.safehold("keys", "init")
        installation.safehold("migrate", "--no-input", "--verbosity", "0")
        installation.safehold("collectstatic", "--no-input", "--verbosity", "0")
        installation.safehold("demo")
        saved = json.loads((data_dir / "demo-logins.txt").read_text())
        logins = {email: password for email, password, _ in saved["members"]}
        try:
            installation.start("web", "serve", "--port", str(port), "--workers", "1")
            installation.start("worker", "worker", "--name", "browser")
            _wait_for_port(port)
            yield RunningApp(
                installation,
                url,
                logins,
                saved["checkin"]["link"],
                "postgresql" if on_postgres else "sqlite",
            )
        finally:
            installation.stop_all()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Playwright's sync API runs an event loop in this thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


def _context(browser, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
    # bypass_csp lets the tests inject axe-core; the app's own scripts obey the CSP.
    return browser.new_context(viewport=viewport, bypass_csp=True, locale="en-GB")


@pytest.fixture
def laptop(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = _context(browser, LAPTOP)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = _context(browser, PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as running:
        yield running
