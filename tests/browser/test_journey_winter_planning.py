"""Journey 7, planning for winter (JOURNEYS.md), walked in Debian's Chromium at 1024x768 by the
flow lead (coordinator@qde.test): the capacity model calibrated from the demo's events, the
four winter scenarios (demand +8%, home care -5%, 20 more reablement packages, 10 interim beds)
run side by side from today's patients (a tiny run: three replications), and the comparison,
with its uncertainty, of acute occupancy, NCTR patients by pathway, delayed bed-days and what
each option costs against the bed-days it saves, taken to the board as a PDF paper and a CSV.
No console errors and no sideways scrolling on any page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.browser.pages import browser_errors, browser_sign_in, follow, page_width
from tests.web_site import Site

EXAMPLES = Path(__file__).parents[2] / "examples"
SCENARIOS = {
    "home-care-minus-5.toml": "Home care -5%",
    "reablement-plus-20.toml": "20 more reablement packages",
    "interim-beds.toml": "10 interim beds",
    "demand.toml": "Demand +8%",  # the site's copy of demand-plus-8.toml
}
BAND = r"−?[\d,]+ \(−?[\d,]+ to −?[\d,]+\)"


def _fits(page: object) -> None:
    width = page_width(page)
    assert width <= page.evaluate("window.innerWidth"), page.url  # type: ignore[attr-defined]


def test_the_flow_lead_compares_winter_options_and_takes_them_to_the_board(
    journey_site: Site, browser: object
) -> None:
    site = journey_site
    assert site.models is not None
    for name in list(SCENARIOS)[:3]:
        shutil.copy(EXAMPLES / name, site.models / "scenarios" / name)
    page = browser_sign_in(browser, site, "coordinator@qde.test", viewport=(1024, 768))
    errors = browser_errors(page)
    page.get_by_role("link", name="Winter scenarios").first.click()  # type: ignore[attr-defined]
    page.wait_for_url("**/scenarios")  # type: ignore[attr-defined]
    _fits(page)
    # The model calibrated from the events, each service as fitted.
    follow(page, page.get_by_role("link", name="View the model demo.toml"))  # type: ignore[attr-defined]
    page.wait_for_url("**/scenarios/models/demo.toml")  # type: ignore[attr-defined]
    assert page.locator("#model tbody tr").count() >= 3  # type: ignore[attr-defined]
    _fits(page)
    page.go_back()  # type: ignore[attr-defined]

    # The four options side by side, from today's patients through to March.
    for label in SCENARIOS.values():
        page.get_by_label(re.compile(f"^{re.escape(label)} ")).check()  # type: ignore[attr-defined]
    page.fill("#reps", "3")  # type: ignore[attr-defined]
    page.fill("#horizon", "120")  # type: ignore[attr-defined]
    page.select_option("#start", "census")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Run", exact=True).click()  # type: ignore[attr-defined]
    page.wait_for_url("**/scenarios/runs/*")  # type: ignore[attr-defined]
    run = page.url  # type: ignore[attr-defined]
    page.locator(".hf-chart canvas").nth(1).wait_for(timeout=180_000)  # type: ignore[attr-defined]
    totals = page.locator("table").first  # type: ignore[attr-defined]
    rows = totals.locator("tbody tr")
    in_file_order = [SCENARIOS[name] for name in sorted(SCENARIOS)]
    assert rows.locator("th").all_inner_texts() == ["Baseline", *in_file_order]
    for n in range(1, 5):  # each option: delayed bed-days and bed-days saved, with their range
        cells = rows.nth(n).locator("td").all_inner_texts()
        assert re.fullmatch(BAND, cells[0]) and re.fullmatch(BAND, cells[1]), cells
        assert re.fullmatch(r"−?£[\d,]+", cells[2]), cells  # its cost
    pathways = page.locator("table").nth(1)  # type: ignore[attr-defined]
    assert pathways.locator("thead th").all_inner_texts()[1:] == ["P0", "P1", "P2", "P3"]
    assert pathways.locator("tbody tr").count() == 5
    _fits(page)

    # To the board: the comparison as a PDF paper and its totals as CSV.
    paper = page.request.get(run + ".pdf", timeout=120_000)  # type: ignore[attr-defined]
    assert paper.status == 200 and paper.headers["content-type"] == "application/pdf"
    assert paper.body().startswith(b"%PDF")
    sheet = page.request.get(run + ".csv")  # type: ignore[attr-defined]
    assert sheet.status == 200 and sheet.text().splitlines()[0].startswith("scenario,")
    assert len(sheet.text().splitlines()) == 6
    follow(page, page.get_by_role("link", name="All runs and a new run"))  # type: ignore[attr-defined]
    listed = page.locator("tbody tr").first.inner_text()  # type: ignore[attr-defined]
    assert listed.startswith(run.rsplit("/", 1)[1]) and listed.endswith("done")
    _fits(page)
    assert not errors, errors
    page.close()  # type: ignore[attr-defined]
