"""Journey 3, the weekly stranded review (SAFER "R", JOURNEYS.md): the trust's discharge team
runs the MDT from a 1024x768 screen. Every patient 7+ days in hospital, and separately 21+,
with what has been done (the last review: when, who reviewed, the outcome) and what is
outstanding (the delay reason, the expected discharge date, the open actions); the team
records a review for a patient: a tap on Record with nothing entered is refused naming each
field, in place, and nothing is stored; with the outcome, the reviewer and the actions it is
recorded, the signed-in user with it, and the list shows it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from homeflow.domain.clock import local_date
from homeflow.store import schema as t
from tests.browser.pages import browser_errors, browser_sign_in, fits_the_width, follow, submit
from tests.web_site import Site, rows_of

# The console's line for a refused form's answer (400, the form back with its problems).
REFUSED = "status of 400"


def _reviews(site: Site) -> int:
    return int(rows_of(site, select(func.count()).select_from(t.stranded_reviews))[0][0])  # type: ignore[index]


def test_the_weekly_stranded_review(journey_site: Site, browser: object) -> None:
    site = journey_site
    today = local_date(datetime.now(UTC))
    page = browser_sign_in(browser, site, "flow@rx1.test", viewport=(1024, 768))
    errors = browser_errors(page)
    follow(page, page.locator("a[href='/stranded']").first)  # type: ignore[attr-defined]
    page.wait_for_url("**/stranded")  # type: ignore[attr-defined]
    assert fits_the_width(page), "the list scrolls sideways"  # type: ignore[attr-defined]
    heads = page.locator("thead").inner_text()  # type: ignore[attr-defined]
    for heading in (
        "Patient",
        "Where",
        "Days in hospital",
        "Waiting for",
        "Outstanding actions",
        "Last review",
    ):
        assert heading in heads
    # What has been done: the demo's MDTs reviewed most patients, by name, with an outcome.
    reviewed = page.locator("tbody tr td:nth-child(6)", has_text="Dr ")  # type: ignore[attr-defined]
    assert reviewed.count() > 10
    assert "never reviewed" not in reviewed.first.inner_text()
    # Separately, 21+ days, at one trust, chosen by its name.
    follow(page, page.get_by_role("link", name="21+ days"))  # type: ignore[attr-defined]
    page.wait_for_url("**/stranded?only=super*")  # type: ignore[attr-defined]
    page.select_option("#org", label="North Riverside Hospitals NHS Trust")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Show").click()  # type: ignore[attr-defined]
    page.wait_for_url("**org=RX1*")  # type: ignore[attr-defined]
    days = [int(d.split()[0]) for d in page.locator("tbody td.hf-num").all_inner_texts()]  # type: ignore[attr-defined]
    assert days and min(days) >= 21 and days == sorted(days, reverse=True)
    assert page.locator("tbody", has_text="Eastfield").count() == 0  # type: ignore[attr-defined]

    # The MDT reviews the longest stay. A tap on Record with nothing entered: refused, in place.
    patient = page.locator("tbody", has=page.locator("summary", has_text="Record a review")).first  # type: ignore[attr-defined]
    row_id = patient.get_attribute("id")
    patient.locator("summary").click()
    patient.locator("input[name=actions]").fill("Chase the care home's assessment")
    before = _reviews(site)
    submit(page, patient.get_by_role("button", name="Record the review"))
    summary = page.locator(".nhsuk-error-summary").inner_text()  # type: ignore[attr-defined]
    assert "Outcome is required" in summary and "Reviewed by is required" in summary
    assert _reviews(site) == before
    patient = page.locator(f"#{row_id}")  # type: ignore[attr-defined]
    assert patient.locator("details[open]").count() == 1
    assert (
        patient.locator("input[name=actions]").input_value() == "Chase the care home's assessment"
    )
    assert patient.locator(".nhsuk-error-message").count() == 2
    assert fits_the_width(page)

    # Recorded with its outcome and reviewer; the list shows it, dated today.
    patient.locator("select[name=outcome]").select_option(label="Escalated")
    patient.locator("input[name=reviewer]").fill("Dr N Shah, consultant geriatrician")
    patient.get_by_role("button", name="Record the review").click()
    page.locator(".hf-saved", has_text="Review recorded").wait_for()  # type: ignore[attr-defined]
    assert _reviews(site) == before + 1
    last = page.locator(f"#{row_id} td").nth(5).inner_text()  # type: ignore[attr-defined]
    assert f"{today:%d/%m/%Y}" in last and "Dr N Shah, consultant geriatrician" in last
    assert "Escalated" in last and "Chase the care home's assessment" in last
    assert "recorded by flow@rx1.test" in last and "review due" not in last
    stored = rows_of(
        site,
        select(t.stranded_reviews.c.outcome, t.stranded_reviews.c.recorded_by)
        .order_by(t.stranded_reviews.c.reviewed_at.desc())
        .limit(1),
    )
    assert tuple(stored[0]) == ("escalated", "flow@rx1.test")  # type: ignore[arg-type]
    assert fits_the_width(page)
    assert [e for e in errors if REFUSED not in e] == [], errors
    page.close()  # type: ignore[attr-defined]
