"""Journey 11, the winter diagnostic (JOURNEYS.md), walked in Debian's Chromium at 1024x768 by
the council's commissioner (the demo's council user, social-worker@lar01.test) with the ICB's
planner (analyst@qde.test): the overview's community capacity against what is commissioned and
who waits for it, the outcomes after discharge, and the home-care split tree, whose levers the
planner runs through the capacity model and whose bed-days saved the council then reads, with
who ran them and when. No console errors and no sideways scrolling on any page."""

from __future__ import annotations

import re

from tests.browser.pages import browser_errors, browser_sign_in, follow, page_width
from tests.web_site import Site

COUNCIL = "social-worker@lar01.test"
PLANNER = "analyst@qde.test"
KINDS = ["Reablement", "Home care", "Discharge-to-assess beds", "Interim beds", "Care homes"]


def _fits(page: object) -> None:
    width = page_width(page)
    assert width <= page.evaluate("window.innerWidth"), page.url  # type: ignore[attr-defined]


def test_the_council_and_the_icb_ask_where_home_care_falls_short(
    journey_site: Site, browser: object
) -> None:
    site = journey_site
    council = browser_sign_in(browser, site, COUNCIL, viewport=(1024, 768))
    errors = browser_errors(council)
    # The overview: each kind of support in use against what is commissioned, and who waits.
    council.goto(site.base + "/overview")  # type: ignore[attr-defined]
    support = council.locator("#support tbody tr")  # type: ignore[attr-defined]
    assert [row.split("\t")[0] for row in support.all_inner_texts()] == KINDS
    _fits(council)
    waiting = council.locator("#support a.hf-figure[href*='which=waiting']").first  # type: ignore[attr-defined]
    figure = int(re.match(r"\d+", waiting.inner_text()).group(0))  # type: ignore[union-attr]
    waiting.click()
    council.wait_for_url("**/people/support?*")  # type: ignore[attr-defined]
    assert council.locator("#people tbody tr").count() == figure  # type: ignore[attr-defined]
    _fits(council)

    # The outcomes after discharge: who is still at home 91 days on, who went to a bed.
    council.goto(site.base + "/outcomes")  # type: ignore[attr-defined]
    assert council.locator("#outcomes tbody tr").count() >= 1  # type: ignore[attr-defined]
    _fits(council)

    # The home-care split tree: each lever in hours a week, the method folded away.
    council.goto(site.base + "/home-care")  # type: ignore[attr-defined]
    council.wait_for_function("document.querySelectorAll('.hf-chart canvas').length === 1")  # type: ignore[attr-defined]
    levers = council.locator("#levers tbody tr")  # type: ignore[attr-defined]
    assert levers.count() == 12
    method = council.locator("details", has_text="How the tree is worked out")  # type: ignore[attr-defined]
    assert not method.locator(".nhsuk-details__text").is_visible()
    method.locator("summary").click()
    assert "Shapley value" in method.inner_text()
    referrals = council.locator("#levers tr", has_text="Referrals from hospital")  # type: ignore[attr-defined]
    assert "taken as it is" in referrals.inner_text()
    assert council.locator("#run-levers").count() == 0  # type: ignore[attr-defined]
    assert "An analyst, system coordinator or admin" in council.inner_text("#run-results")  # type: ignore[attr-defined]
    _fits(council)

    # The ICB's planner runs every lever through the capacity model (a tiny run).
    planner = browser_sign_in(browser, site, PLANNER, viewport=(1024, 768))
    planner_errors = browser_errors(planner)
    planner.goto(site.base + "/home-care")  # type: ignore[attr-defined]
    planner.fill("#reps", "2")  # type: ignore[attr-defined]
    planner.fill("#horizon", "7")  # type: ignore[attr-defined]
    planner.get_by_role("button", name="Run", exact=True).click()  # type: ignore[attr-defined]
    follow(planner, planner.get_by_role("link", name="follow the run"))  # type: ignore[attr-defined]
    run_id = planner.url.rsplit("/", 1)[1]  # type: ignore[attr-defined]
    planner.wait_for_selector(".hf-chart canvas", timeout=180_000)  # type: ignore[attr-defined]
    planner.close()  # type: ignore[attr-defined]
    assert not planner_errors, planner_errors

    # The council reads what each lever saves, and who ran it and when.
    council.reload()  # type: ignore[attr-defined]
    said = council.inner_text("#run-results")  # type: ignore[attr-defined]
    assert said.startswith(f"Bed-days saved from run {run_id}, run by {PLANNER} (NHS Demo Integrated Care Board) and finished ")  # fmt: skip
    assert re.search(r"finished \d\d/\d\d/\d{4} \d\d:\d\d", said), said
    saved = council.locator("#moves tbody tr td:nth-child(5)").all_inner_texts()  # type: ignore[attr-defined]
    assert len(saved) == 12
    assert all(re.fullmatch(r"−?[\d,]+ \(−?[\d,]+ to −?[\d,]+\)", t) for t in saved), saved
    demand = council.locator("#levers tbody tr td:last-child").all_inner_texts()  # type: ignore[attr-defined]
    assert all(re.fullmatch(r"−?[\d,]+", t) for t in demand), demand
    _fits(council)
    # And takes the comparison to the steering group: the run's page, for every user.
    follow(council, council.get_by_role("link", name=f"run {run_id}"))  # type: ignore[attr-defined]
    council.wait_for_selector(".hf-chart canvas")  # type: ignore[attr-defined]
    assert council.get_by_role("link", name="Print for the board (PDF)").count() == 1  # type: ignore[attr-defined]
    _fits(council)
    assert not errors, errors
    council.close()  # type: ignore[attr-defined]
