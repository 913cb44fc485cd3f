"""Journey 1, the 08:30 board round on a medical ward (JOURNEYS.md): the nurse in charge on a
tablet at 1024x768 opens the fullest ward's board, records a senior review, finds the patient
in bed 12 no longer meets the criteria to reside (ready today, waiting for a therapy review),
marks bed 4 a red day with its reason, corrects a mistyped EDD without losing what she typed,
meets the flow lead's change to the same EDD, and lists the patients whose EDD has passed or is
today or tomorrow."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from homeflow.domain.clock import local_date
from homeflow.store import schema as t
from tests.browser.pages import browser_errors, browser_sign_in, fits_the_width, follow
from tests.web_site import Site, rows_of, rx1_ward_with_patients

SHOTS = Path("/tmp/journeys")
TABLET = (1024, 768)
# What the server answers a refused change (400) or a conflicting one (409): the browser logs
# each as a failed resource, though the cell shows why.
REFUSED = ("status of 400", "status of 409")


def _fits(page: object) -> None:
    """No sideways scroll, as a tablet shows it."""
    width = fits_the_width(page)
    assert width, "the page scrolls sideways"


def _bed(page: object, label: str, fallback: int) -> object:
    """The row of the patient in a bed (or, if that bed is empty, another patient's row)."""
    rows = page.locator("#whiteboard tbody tr[id^=row-]")  # type: ignore[attr-defined]
    labelled = rows.filter(has=page.locator("th.hf-bed", has_text=re.compile(rf"^{label}$")))  # type: ignore[attr-defined]
    row = labelled.first if labelled.count() else rows.nth(fallback)
    return page.locator(f"#{row.get_attribute('id')}")  # type: ignore[attr-defined]


def _save(row: object, what: str) -> None:
    row.get_by_role("button", name=f"Save {what}").tap()  # type: ignore[attr-defined]


def test_the_board_round(journey_site: Site, browser: object) -> None:
    site = journey_site
    SHOTS.mkdir(exist_ok=True)
    today = local_date(datetime.now(UTC))
    ward = rx1_ward_with_patients(site)
    nurse = browser_sign_in(browser, site, "nurse@rx1.test", viewport=TABLET)
    errors = browser_errors(nurse)
    follow(nurse, nurse.get_by_role("link", name="Riverside General Hospital – acute", exact=True))  # type: ignore[attr-defined]
    follow(nurse, nurse.locator(f'a[href="/wards/{ward}"]').first)  # type: ignore[attr-defined]
    nurse.wait_for_url(f"**/wards/{ward}")  # type: ignore[attr-defined]
    _fits(nurse)
    headings = nurse.locator("#whiteboard thead th").all_inner_texts()  # type: ignore[attr-defined]
    for heading in ("Bed", "Patient", "Days", "EDD and criteria", "Senior review", "Criteria to reside"):  # fmt: skip
        assert heading in headings, headings
    board_text = nurse.locator("main").inner_text()  # type: ignore[attr-defined]
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", board_text)  # dates as people write them

    # Bed 12: the consultant says the criteria to reside are no longer met. One choice (the
    # ready date starts at today) and Save; then the delay reason.
    row = _bed(nurse, "12", 0)
    row.locator("summary", has_text="change senior review").tap()  # type: ignore[attr-defined]
    row.locator("input[name=reviewer]").fill("Dr Okafor")  # type: ignore[attr-defined]
    _save(row, "senior review")
    row = nurse.locator(f"#{row.get_attribute('id')}")  # type: ignore[attr-defined]
    row.locator("summary", has_text="Yes").wait_for()  # type: ignore[attr-defined]
    row.locator("summary", has_text="change criteria to reside").tap()  # type: ignore[attr-defined]
    row.locator("select[name=meets]").select_option("no")  # type: ignore[attr-defined]
    assert row.locator("input[name=discharge_ready_date]").input_value() == f"{today:%d/%m/%Y}"  # type: ignore[attr-defined]
    _save(row, "criteria to reside")
    row.locator("summary", has_text=f"ready {today:%d/%m/%Y}").wait_for()  # type: ignore[attr-defined]
    row.locator("summary", has_text="change delay reason").tap()  # type: ignore[attr-defined]
    row.locator("select[name=reason]:not([id^=bed-reason])").select_option("HP06")  # type: ignore[attr-defined]
    _save(row, "delay reason")
    row.locator("summary", has_text="HP06").wait_for()  # type: ignore[attr-defined]
    bed12 = row.get_attribute("id")  # type: ignore[attr-defined]

    # Bed 4: a planned scan was cancelled. Saved red without its reason, the cell stays open
    # on the red day chosen and says what is missing beside the field; with it, it is saved.
    row = _bed(nurse, "04", 1)
    row.locator("summary", has_text="change red or green day").tap()  # type: ignore[attr-defined]
    row.locator("select[name=colour]").select_option("red")  # type: ignore[attr-defined]
    _save(row, "red or green day")
    problem = row.locator("details[open] .nhsuk-error-message")  # type: ignore[attr-defined]
    problem.wait_for()
    assert "reason" in problem.inner_text()
    assert row.locator("details[open] select[name=colour]").input_value() == "red"  # type: ignore[attr-defined]
    nurse.screenshot(path=str(SHOTS / "journey1-red-day-refused.png"))  # type: ignore[attr-defined]
    row.locator("details[open] input[name=red_reason]").fill("Planned scan cancelled")  # type: ignore[attr-defined]
    _save(row, "red or green day")
    row.locator("td", has_text="Planned scan cancelled").wait_for()  # type: ignore[attr-defined]
    assert row.locator("details[open]").count() == 0  # type: ignore[attr-defined]

    # A mistyped EDD: every problem beside its field, what was typed still there to correct.
    row = _bed(nurse, "07", 2)
    row_id = row.get_attribute("id")  # type: ignore[attr-defined]
    row.locator("summary", has_text="change expected discharge date").tap()  # type: ignore[attr-defined]
    row.locator("input[name=expected_discharge_date]").fill("31/02/2026")  # type: ignore[attr-defined]
    row.locator("input[name=clinical_criteria]").fill("Off oxygen, eating and drinking")  # type: ignore[attr-defined]
    _save(row, "expected discharge date")
    row.locator("details[open] .hf-cell-problem").wait_for()  # type: ignore[attr-defined]
    assert "is not a date" in row.locator("details[open] .nhsuk-error-message").inner_text()  # type: ignore[attr-defined]
    assert row.locator("input[name=expected_discharge_date]").input_value() == "31/02/2026"  # type: ignore[attr-defined]
    assert (
        row.locator("input[name=clinical_criteria]").input_value()
        == "Off oxygen, eating and drinking"
    )  # type: ignore[attr-defined]
    focused = nurse.evaluate("document.activeElement.name")  # type: ignore[attr-defined]
    assert focused == "expected_discharge_date"  # the focus is on the field at fault
    _fits(nurse)
    nurse.screenshot(path=str(SHOTS / "journey1-edd-refused.png"))  # type: ignore[attr-defined]

    # Meanwhile the flow lead, on the same board, sets that patient's EDD to tomorrow.
    flow = browser_sign_in(browser, site, "flow@rx1.test", viewport=TABLET)
    flow_errors = browser_errors(flow)
    flow.goto(f"{site.base}/wards/{ward}")  # type: ignore[attr-defined]
    theirs = flow.locator(f"#{row_id}")  # type: ignore[attr-defined]
    theirs.locator("summary", has_text="change expected discharge date").tap()
    tomorrow = f"{today + timedelta(days=1):%d/%m/%Y}"
    theirs.locator("input[name=expected_discharge_date]").fill(tomorrow)
    theirs.locator("input[name=clinical_criteria]").fill("Home once transport is booked")
    _save(theirs, "expected discharge date")
    flow.locator(f"#{row_id} summary", has_text=tomorrow).wait_for()  # type: ignore[attr-defined]
    assert not flow_errors, flow_errors

    # The nurse corrects her date and saves: refused, with what the flow lead saved shown
    # and her own entry kept to check and save again.
    row.locator("input[name=expected_discharge_date]").fill(f"{today:%d/%m/%Y}")  # type: ignore[attr-defined]
    _save(row, "expected discharge date")
    clash = row.locator("details[open] .hf-cell-problem", has_text="They saved")  # type: ignore[attr-defined]
    clash.wait_for()
    assert tomorrow in clash.inner_text() and "flow@rx1.test" in clash.inner_text()
    assert row.locator("input[name=expected_discharge_date]").input_value() == f"{today:%d/%m/%Y}"  # type: ignore[attr-defined]
    assert (
        row.locator("input[name=clinical_criteria]").input_value()
        == "Off oxygen, eating and drinking"
    )  # type: ignore[attr-defined]
    nurse.screenshot(path=str(SHOTS / "journey1-conflict.png"))  # type: ignore[attr-defined]
    _save(row, "expected discharge date")  # she checked it: today it is
    row.locator("summary", has_text=f"{today:%d/%m/%Y}").wait_for()  # type: ignore[attr-defined]
    assert row.locator("details[open]").count() == 0  # type: ignore[attr-defined]

    # Patients with an EDD passed, today or tomorrow: transport and medicines before noon.
    nurse.click("text=EDD passed, today or tomorrow")  # type: ignore[attr-defined]
    nurse.wait_for_url("**only=edd-due")  # type: ignore[attr-defined]
    assert nurse.locator(f"#{row_id}").count() == 1  # type: ignore[attr-defined]
    for edd in nurse.locator("#whiteboard input[name=expected_discharge_date]").all():  # type: ignore[attr-defined]
        day, month, year = (int(x) for x in edd.input_value().split("/"))
        assert datetime(year, month, day).date() <= today + timedelta(days=1)
    _fits(nurse)
    nurse.click("text=No criteria to reside")  # type: ignore[attr-defined]
    nurse.wait_for_url("**only=nctr")  # type: ignore[attr-defined]
    assert nurse.locator(f"#{bed12} summary", has_text="HP06").count() == 1  # type: ignore[attr-defined]
    nurse.click("text=All beds")  # type: ignore[attr-defined]
    nurse.wait_for_url(f"**/wards/{ward}")  # type: ignore[attr-defined]
    nurse.screenshot(path=str(SHOTS / "journey1-board.png"))  # type: ignore[attr-defined]
    _fits(nurse)
    unexpected = [e for e in errors if not any(r in e for r in REFUSED)]
    assert not unexpected, "\n".join(unexpected)
    stored = rows_of(
        site,
        select(t.events.c.type)
        .where(t.events.c.recorded_by == "nurse@rx1.test")
        .order_by(t.events.c.seq),
    )
    assert [r[0] for r in stored] == [  # type: ignore[index]
        "senior-review-recorded",
        "criteria-to-reside-assessed",
        "delay-reason-set",
        "red-green-day-recorded",
        "edd-set",
    ]
    nurse.close()  # type: ignore[attr-defined]
    flow.close()  # type: ignore[attr-defined]
