"""After discharge in Debian's Chromium: from the overview's community capacity to the
outcomes, their charts for one pathway, and on to the home-care split tree, whose levers a
coordinator runs through the capacity model; no sideways scrolling at 1024 wide, no console
errors, and the tree drawn. (axe-core checks these pages in test_pages.py's accessibility
test, the only one that bypasses the Content-Security-Policy.)"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from homeflow.domain import clock
from tests.browser.pages import browser_errors, browser_sign_in, follow, page_width, submit
from tests.web_site import Site


@pytest.fixture
def site(shared_site: Site) -> Site:
    return shared_site


def test_from_community_capacity_to_outcomes_and_the_split_tree(
    site: Site, browser: object
) -> None:
    page = browser_sign_in(browser, site, "coordinator@qde.test", viewport=(1024, 768))
    errors = browser_errors(page)
    page.goto(site.base + "/overview")  # type: ignore[attr-defined]
    support = page.locator("#support")  # type: ignore[attr-defined]
    assert support.count() == 1
    in_use = support.locator("a.hf-figure").first
    figure = int(re.match(r"\d+", in_use.inner_text()).group(0))  # type: ignore[union-attr]
    follow(page, in_use)
    assert page.locator("#people tbody tr").count() == figure  # type: ignore[attr-defined]
    page.goto(site.base + "/overview")  # type: ignore[attr-defined]
    follow(page, page.get_by_role("link", name="outcomes after discharge"))  # type: ignore[attr-defined]
    page.wait_for_url("**/outcomes")  # type: ignore[attr-defined]
    # The demo's ten days, to yesterday, the last whole day (dd/mm/yyyy, as typed on a tablet).
    yesterday = clock.today() - timedelta(days=1)
    first = (yesterday - timedelta(days=9)).strftime("%d/%m/%Y")
    page.fill("#start", first)  # type: ignore[attr-defined]
    page.fill("#end", yesterday.strftime("%d/%m/%Y"))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Show", exact=True).click()  # type: ignore[attr-defined]
    page.wait_for_url("**/outcomes?*")  # type: ignore[attr-defined]
    assert page.locator("#outcomes tbody tr").count() >= 12  # type: ignore[attr-defined]
    readmitted = page.locator("#outcomes a.hf-figure").first  # type: ignore[attr-defined]
    figure = int(re.match(r"\d+", readmitted.inner_text()).group(0))  # type: ignore[union-attr]
    follow(page, readmitted)
    listed = page.locator("main p").first.inner_text()  # type: ignore[attr-defined]
    assert listed.startswith(f"{page.locator('#people tbody tr').count()} patient")  # type: ignore[attr-defined]
    assert f"adding up to {figure}" in listed or listed.startswith(f"{figure} patient")
    page.go_back()  # type: ignore[attr-defined]
    page.select_option("#charts", "pathway:P1")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Show charts").click()  # type: ignore[attr-defined]
    page.wait_for_url("**charts=pathway*")  # type: ignore[attr-defined]
    assert "Week by week: pathway P1" in page.inner_text("#over-time")  # type: ignore[attr-defined]
    follow(page, page.get_by_role("link", name="home-care split tree"))  # type: ignore[attr-defined]
    page.wait_for_url("**/home-care")  # type: ignore[attr-defined]
    page.wait_for_function("document.querySelectorAll('.hf-chart canvas').length === 1")  # type: ignore[attr-defined]
    assert page.locator("#levers tbody tr").count() == 12  # type: ignore[attr-defined]
    assert page_width(page) <= 1024  # type: ignore[attr-defined]
    _levers_through_the_model(page)
    page.fill("#against", (clock.today() - timedelta(days=5)).strftime("%d/%m/%Y"))  # type: ignore[attr-defined]
    submit(page, page.get_by_role("button", name="Show", exact=True))  # type: ignore[attr-defined]
    caption = page.locator("#levers caption").inner_text()  # type: ignore[attr-defined]
    assert caption.startswith("Each lever's share of the gap's change since")
    assert not errors, errors
    page.close()  # type: ignore[attr-defined]


def _levers_through_the_model(page: object) -> None:
    """The run page follows a run of the levers to its end and leads back to the tree, where
    every move has the bed-days that run saved and their range. (The tree shows the newest
    finished run of the levers, whichever test of the shared site made it.)"""
    saved = page.locator("#moves tbody tr td:nth-child(5)")  # type: ignore[attr-defined]
    page.fill("#reps", "20")  # type: ignore[attr-defined]
    page.fill("#horizon", "14")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Run", exact=True).click()  # type: ignore[attr-defined]
    follow(page, page.get_by_role("link", name="follow the run"))  # type: ignore[attr-defined]
    run_id = page.url.rsplit("/", 1)[1]  # type: ignore[attr-defined]
    page.wait_for_selector(".hf-chart canvas", timeout=180_000)  # type: ignore[attr-defined]
    scenarios = page.locator("table").first.locator("tbody tr th").all_inner_texts()  # type: ignore[attr-defined]
    assert len(scenarios) == 13 and scenarios[1] == "Referrals from hospital"
    follow(page, page.get_by_role("link", name="Back to the home-care split tree"))  # type: ignore[attr-defined]
    assert f"run {run_id}, run by coordinator@qde.test" in page.inner_text("#run-results")  # type: ignore[attr-defined]
    texts = saved.all_inner_texts()
    assert len(texts) == 12
    assert all(re.fullmatch(r"−?[\d,]+ \(−?[\d,]+ to −?[\d,]+\)", t) for t in texts), texts
