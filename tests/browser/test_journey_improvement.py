"""Journey 8, the improvement collaborative (JOURNEYS.md): the improvement lead (the system
coordinator) at 1024x768 keeps the system's self-assessment against the High Impact Changes
(a blank entry and a date no calendar has are refused with what was typed kept; the entry is
added, then moved on a maturity level), ties an action to the project it serves, and at the
learning session opens the project's PDSA, whose Study reads the measure's SPC chart, and
records what the cycle decided."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from homeflow.domain.clock import local_date
from tests.browser.pages import browser_errors, browser_sign_in, fits_the_width, follow
from tests.web_site import Site

SHOTS = Path("/tmp/journeys")
TABLET = (1024, 768)
REFUSED = ("status of 400",)  # a refused form's answer, which the page shows with its reasons


def _fits(page: object) -> None:
    assert fits_the_width(page), page.url  # type: ignore[attr-defined]
    text = page.locator("main").inner_text()  # type: ignore[attr-defined]
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), page.url  # dates as people write them


def test_the_improvement_collaborative(journey_site: Site, browser: object) -> None:
    site = journey_site
    SHOTS.mkdir(exist_ok=True)
    lead = browser_sign_in(browser, site, "coordinator@qde.test", viewport=TABLET)
    errors = browser_errors(lead)
    lead.get_by_role("button", name=re.compile("More")).click()  # type: ignore[attr-defined]
    follow(lead, lead.get_by_role("link", name="Improvement", exact=True))  # type: ignore[attr-defined]
    lead.wait_for_url("**/improvement")  # type: ignore[attr-defined]
    _fits(lead)
    assert "hicm-2015" not in lead.locator("main table").first.inner_text()  # type: ignore[attr-defined]
    lead.locator("a", has_text="Assessment").first.click()  # type: ignore[attr-defined]
    lead.wait_for_url("**/improvement/assessments/**")  # type: ignore[attr-defined]
    _fits(lead)
    before = lead.locator("tr[id^=row-], tr[id^=entry-]").count()  # type: ignore[attr-defined]

    # A new entry for change 4: saved blank, it is refused and nothing is stored.
    add = lead.locator("details", has_text="Add an entry to 4.")  # type: ignore[attr-defined]
    add.locator("summary").click()
    add.locator("textarea[name=owner]").fill("Head of integrated discharge")
    add.get_by_role("button", name="Add the entry").click()
    lead.locator(".nhsuk-error-summary").wait_for()  # type: ignore[attr-defined]
    add = lead.locator("details[open]", has_text="Add an entry to 4.")  # type: ignore[attr-defined]
    assert "say where the change stands now" in add.locator(".nhsuk-error-message").inner_text()
    assert add.locator("textarea[name=owner]").input_value() == "Head of integrated discharge"
    # With a date no calendar has, the date is named and everything typed kept.
    add.locator("textarea[name=where_now]").fill("Trusted assessors for care homes at Riverside")
    add.locator("textarea[name=status]").fill("Plans in place")
    add.locator("textarea[name=gaps]").fill("No trusted assessor at weekends")
    add.locator("textarea[name=to_do]").fill("Recruit a weekend trusted assessor")
    add.locator("textarea[name=when_by]").fill("31/02/2027")
    add.get_by_role("button", name="Add the entry").click()
    lead.locator(".nhsuk-error-summary", has_text="When by").wait_for()  # type: ignore[attr-defined]
    add = lead.locator("details[open]", has_text="Add an entry to 4.")  # type: ignore[attr-defined]
    shown = [" ".join(e.split()) for e in add.locator(".nhsuk-error-message").all_inner_texts()]
    assert shown == ["Error: '31/02/2027' is not a date (dd/mm/yyyy)"], shown
    assert add.locator("textarea[name=gaps]").input_value() == "No trusted assessor at weekends"
    _fits(lead)
    lead.screenshot(path=str(SHOTS / "journey8-entry-refused.png"), full_page=True)  # type: ignore[attr-defined]
    add.locator("textarea[name=when_by]").fill("31/03/2027")
    add.get_by_role("button", name="Add the entry").click()
    lead.wait_for_url("**saved=**")  # type: ignore[attr-defined]
    added = lead.locator("tr", has_text="No trusted assessor at weekends")  # type: ignore[attr-defined]
    assert added.count() == 1 and "Saved" in added.inner_text()

    # A month on, the entry moves on: every version is kept.
    follow(lead, added.get_by_role("link", name=re.compile("Edit")))
    lead.wait_for_url("**/entries/**")  # type: ignore[attr-defined]
    lead.fill("#status", "Established")  # type: ignore[attr-defined]
    lead.fill("#to_do", "Spread the weekend trusted assessor to Eastfield")  # type: ignore[attr-defined]
    lead.get_by_role("button", name="Save the entry").click()  # type: ignore[attr-defined]
    lead.wait_for_url("**saved=**")  # type: ignore[attr-defined]
    moved = lead.locator("tr", has_text="No trusted assessor at weekends")  # type: ignore[attr-defined]
    assert "Established" in moved.inner_text() and "2 versions" in moved.inner_text()
    assert lead.locator("tr[id^=row-], tr[id^=entry-]").count() >= before  # type: ignore[attr-defined]
    lead.click("text=Maturity heat map")  # type: ignore[attr-defined]
    lead.wait_for_url("**/improvement/heat-map?*")  # type: ignore[attr-defined]
    _fits(lead)

    # The project the action serves, and the action tied to it.
    lead.goto(f"{site.base}/improvement/projects")  # type: ignore[attr-defined]
    project = lead.locator("main tbody a").first  # type: ignore[attr-defined]
    project_path = project.get_attribute("href")
    project.click()
    lead.wait_for_url(f"**{project_path}")  # type: ignore[attr-defined]
    _fits(lead)
    assert lead.locator("a[href^='/measures?']").count() >= 1  # type: ignore[attr-defined]
    lead.goto(f"{site.base}/improvement/actions")  # type: ignore[attr-defined]
    lead.locator("summary", has_text="Add an action").click()  # type: ignore[attr-defined]
    lead.fill("#description", "Weekend trusted assessor in post")  # type: ignore[attr-defined]
    lead.fill("#owner", "Head of integrated discharge")  # type: ignore[attr-defined]
    lead.select_option("#owner_org", "RX1")  # type: ignore[attr-defined]
    due = local_date(datetime.now(UTC)) + timedelta(days=60)
    lead.fill("#due_date", f"{due:%d/%m/%Y}")  # type: ignore[attr-defined]
    lead.fill("#about", str(project_path))  # type: ignore[attr-defined]
    lead.get_by_role("button", name="Add the action").click()  # type: ignore[attr-defined]
    lead.wait_for_url("**saved=**")  # type: ignore[attr-defined]
    action = lead.locator("#kept ~ div tr", has_text="Weekend trusted assessor in post")  # type: ignore[attr-defined]
    assert action.locator(f"a[href='{project_path}']").count() == 1
    assert f"{due:%d/%m/%Y}" in action.inner_text()
    _fits(lead)

    # The learning session: the PDSA's Study shows the measure's SPC chart; the lead records
    # what the cycle decided.
    lead.goto(f"{site.base}{project_path}")  # type: ignore[attr-defined]
    lead.locator("main table a[href*='/pdsas/']").first.click()  # type: ignore[attr-defined]
    lead.wait_for_url("**/pdsas/**")  # type: ignore[attr-defined]
    # The Study reads the measure's weekly SPC chart: its verdict, and the chart once the
    # measure has the weeks a baseline needs (this demo has ten days: it says so).
    study = lead.locator("h2", has_text="Study").locator("xpath=following-sibling::p[1]")  # type: ignore[attr-defined]
    assert study.locator(".nhsuk-tag").inner_text().strip()
    if lead.locator(".hf-chart").count():  # type: ignore[attr-defined]
        lead.locator(".hf-chart svg, .hf-chart canvas").first.wait_for()  # type: ignore[attr-defined]
    else:
        assert "the baseline needs" in lead.locator("main").inner_text()  # type: ignore[attr-defined]
    _fits(lead)
    lead.select_option("#decision", "adopt")  # type: ignore[attr-defined]
    lead.fill("#decision_notes", "Delayed days fell after the change; spread to Eastfield")  # type: ignore[attr-defined]
    lead.get_by_role("button", name="Save", exact=True).click()  # type: ignore[attr-defined]
    lead.locator("main", has_text="Adopt: Delayed days fell after the change").wait_for()  # type: ignore[attr-defined]
    lead.screenshot(path=str(SHOTS / "journey8-pdsa.png"), full_page=True)  # type: ignore[attr-defined]
    _fits(lead)
    unexpected = [e for e in errors if not any(r in e for r in REFUSED)]
    assert not unexpected, "\n".join(unexpected)
    lead.close()  # type: ignore[attr-defined]
