"""The model checked against what happened, in Chromium under the CSP: asked for from the
Winter scenarios page, the page polls until it is done, then draws a fan chart of each measure
with the actual line, at 1024x768 without sideways scrolling and with no console errors
(axe-core checks the page in the accessibility walk, tests/browser/test_pages.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from homeflow.domain.clock import today
from tests.browser.pages import browser_errors, browser_sign_in, fits_the_width
from tests.web_site import Site


@pytest.fixture
def site(shared_site: Site) -> Site:
    return shared_site


def test_a_coordinator_checks_the_model_against_what_happened(site: Site, browser: object) -> None:
    page = browser_sign_in(browser, site, "coordinator@qde.test", viewport=(1024, 768))
    errors = browser_errors(page)
    page.goto(site.base + "/scenarios")  # type: ignore[attr-defined]
    # The demo's ten days end yesterday: seven of history, then two compared.
    page.fill("#validate_to", f"{today() - timedelta(days=3):%d/%m/%Y}")  # type: ignore[attr-defined]
    page.fill("#validate_days", "2")  # type: ignore[attr-defined]
    page.fill("#validate_reps", "20")  # type: ignore[attr-defined]
    page.click("button:has-text('Check the model')")  # type: ignore[attr-defined]
    page.wait_for_url("**/scenarios/validation/*")  # type: ignore[attr-defined]
    # The page polls until the run is done, then draws both charts.
    page.locator(".hf-chart canvas").nth(1).wait_for(timeout=120_000)  # type: ignore[attr-defined]
    assert page.locator(".hf-chart canvas").count() == 2  # type: ignore[attr-defined]
    rows = page.locator("#validation-table tbody tr th").all_inner_texts()  # type: ignore[attr-defined]
    assert rows.count("all services") == 2
    assert fits_the_width(page)
    assert not errors, errors
    page.close()  # type: ignore[attr-defined]
