"""Browser fixtures for the console's end-to-end tests: Chromium (the system one, headless) and
a live server subprocess on SQLite seeded through the services and the API.

The browser tests run on SQLite only (`db_url` is overridden here): the same views run on
PostgreSQL in `tests/sync_server/test_console_web.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.ui.console.world import World, build_world

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "console"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (run `make sysdeps`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def world(seed: Any, live_server: str) -> World:
    return build_world(seed, live_server, datetime.now(UTC).date())


@pytest.fixture
def new_page(browser: Any, live_server: str) -> Iterator[Any]:
    """Open a fresh browser context (own cookies): `new_page(width=1366, height=900)`."""
    contexts: list[Any] = []

    def make(width: int = 1366, height: int = 900) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            base_url=live_server,
            accept_downloads=True,
            locale="zh-CN",
        )
        context.set_default_timeout(30_000)  # the machine is shared; be patient, not flaky
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Any, username: str, password: str = "pass-word-1", lang: str = "zh") -> None:
    page.goto(f"/console/login?lang={lang}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    try:
        page.wait_for_url("**/console/")
    except Exception:
        shoot(page, f"debug-signin-{username}-{lang}")
        raise


def shoot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/console/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
