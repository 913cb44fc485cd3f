"""The browser tests' own site for tests that change data, and Debian's Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ENGINES
from tests.web_site import Site, served_demo


@pytest.fixture(scope="module", params=ENGINES)
def changing_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """A site of their own for the browser tests that change data."""
    with served_demo(request.param, tmp_path_factory.mktemp("change")) as served:
        yield served


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's Chromium and Playwright's driver, started once a worker, not once a module
    (a second or two of CPU each time)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def browser(chromium: object) -> Iterator[object]:
    """The worker's Chromium; the pages and profiles a module opened are closed at its end,
    so no module meets another's."""
    yield chromium
    for context in list(chromium.contexts):  # type: ignore[attr-defined]
        context.close()


@pytest.fixture(scope="module")
def journey_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site of its own for one journey module (tests/browser/test_journey_*.py), which walks
    a user's day and changes what it meets. On SQLite only: the journeys test what a person
    sees and does in the browser; every route they use runs on PostgreSQL in the HTTP tests."""
    with served_demo("sqlite", tmp_path_factory.mktemp("journey")) as served:
        yield served
