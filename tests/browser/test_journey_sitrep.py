"""Journey 5, the daily discharge situation report (JOURNEYS.md): at 11:00 the system's analyst,
on a 1024x768 screen, runs the sitrep for yesterday from the overview, checks it against the
system view, narrows it to one trust, is refused a day that has not ended (the form kept as
typed, the problem beside the day), downloads the return in NHS England's long format, and
opens a figure to the patients behind it and a patient to the events of their stay."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from homeflow.domain.clock import local_date
from homeflow.reports.sitrep import COLUMNS
from tests.browser.pages import browser_errors, browser_sign_in, fits_the_width, follow, submit
from tests.web_site import Site

SHOTS = Path("/tmp/journey-sitrep")
# The overview's figures of one kind at the acute sites: their visually hidden words say which.
ACUTE_FIGURES = """(what) => [...document.querySelectorAll('a.hf-figure')]
  .filter(a => a.textContent.includes(what + ',') && a.textContent.includes('– acute'))
  .map(a => parseInt(a.firstChild.textContent.replace(/,/g, ''), 10))"""
# The sitrep's rows as shown: trust, metric, type, group and value.
ROWS = """() => [...document.querySelectorAll('#sitrep tbody tr')].map(tr =>
  [...tr.querySelectorAll('td')].map(td => (td.querySelector('a') ? td.querySelector('a').firstChild.textContent : td.textContent).trim()))"""
# Controls smaller than a finger: anything to tap on the page under 44 px tall.
SMALL = """() => [...document.querySelectorAll('main a.hf-touch, main button, main input, main select')]
  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
  .map(e => e.outerHTML.slice(0, 80))"""


def _fits(page: object, where: str) -> None:
    fits = fits_the_width(page)
    assert fits, f"{where} scrolls sideways"
    assert not page.evaluate(SMALL), (where, page.evaluate(SMALL))  # type: ignore[attr-defined]


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _show(page: object) -> None:
    submit(page, page.locator("form[action='/returns/sitrep'] button[type=submit]"))  # type: ignore[attr-defined]


def test_the_daily_discharge_sitrep(journey_site: Site, browser: object, tmp_path: Path) -> None:
    today = local_date(datetime.now(UTC))
    yesterday = today - timedelta(days=1)
    page = browser_sign_in(browser, journey_site, "analyst@qde.test", viewport=(1024, 768))
    errors = browser_errors(page)

    # The system view: yesterday's discharges at each acute site.
    discharged = page.evaluate(ACUTE_FIGURES, "discharged yesterday")  # type: ignore[attr-defined]
    assert discharged, "the overview shows no acute site's discharges yesterday"

    # Yesterday's sitrep, from the overview's link.
    follow(page, page.locator("main a[href='/returns/sitrep']"))  # type: ignore[attr-defined]
    assert f"{yesterday:%d/%m/%Y}" in page.inner_text("h1")  # type: ignore[attr-defined]
    assert page.input_value("#day") == f"{yesterday:%d/%m/%Y}"  # type: ignore[attr-defined]
    _fits(page, "the sitrep")
    _shot(page, "sitrep")
    rows = page.evaluate(ROWS)  # type: ignore[attr-defined]
    assert len(rows) > 20
    # It agrees with the system view: every trust's discharges are its sites' discharges.
    totals = [int(r[4]) for r in rows if r[1] == "Patients discharged" and r[3] == "Total"]
    assert sum(totals) == sum(discharged), (totals, discharged)
    # Trusts by name, never by code.
    trusts = sorted({r[0] for r in rows})
    assert all(not re.fullmatch(r"[A-Z0-9]{3,5}", t) for t in trusts), trusts

    # One trust.
    trust = trusts[0]
    page.select_option("#org", label=trust)  # type: ignore[attr-defined]
    _show(page)
    mine = page.evaluate(ROWS)  # type: ignore[attr-defined]
    assert mine and {r[0] for r in mine} == {trust}
    assert trust in page.inner_text("h1")  # type: ignore[attr-defined]

    # A day that has not ended is refused: nothing to submit, the day kept as typed.
    page.fill("#day", f"{today:%d/%m/%Y}")  # type: ignore[attr-defined]
    _show(page)
    assert page.locator(".nhsuk-error-summary").is_visible()  # type: ignore[attr-defined]
    assert "has not ended yet" in page.inner_text("#day-error")  # type: ignore[attr-defined]
    assert page.input_value("#day") == f"{today:%d/%m/%Y}"  # type: ignore[attr-defined]
    assert page.locator("a[download]").count() == 0  # type: ignore[attr-defined]
    assert page.locator("#sitrep").count() == 0  # type: ignore[attr-defined]
    _fits(page, "the refused day")
    _shot(page, "sitrep-refused")
    # Put right, the trust still chosen.
    page.click(".nhsuk-error-summary a[href='#day']")  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.id") == "day"  # type: ignore[attr-defined]
    page.fill("#day", f"{yesterday:%d/%m/%Y}")  # type: ignore[attr-defined]
    _show(page)
    assert page.evaluate(ROWS) == mine  # type: ignore[attr-defined]

    # The return in NHS England's long format: the same figures as the page.
    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.click("a[download]")  # type: ignore[attr-defined]
    saved = tmp_path / "sitrep.csv"
    download.value.save_as(saved)
    assert f"{yesterday.isoformat()}" in download.value.suggested_filename
    lines = list(csv.reader(io.StringIO(saved.read_text("utf-8"))))
    assert tuple(lines[0]) == tuple(COLUMNS)
    assert len(lines) - 1 == len(mine)
    assert sum(int(line[-1]) for line in lines[1:]) == sum(int(r[4]) for r in mine)

    # A figure opens to the patients it counts (by initials and age where the analyst's
    # organisation has no part in their care), and a patient to the events of their stay.
    figure = page.locator("#sitrep a.hf-figure").first  # type: ignore[attr-defined]
    count = int(figure.evaluate("a => a.firstChild.textContent"))
    follow(page, figure)
    assert page.locator("#people tbody tr").count() == count  # type: ignore[attr-defined]
    listed = page.inner_text("#people tbody")  # type: ignore[attr-defined]
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b[A-Z]{2,3}\d{2}\b", listed), listed[:300]
    _fits(page, "the patients behind a figure")
    _shot(page, "sitrep-people")
    named = page.locator("#people a[href^='/spells/']")  # type: ignore[attr-defined]
    if named.count():
        follow(page, named.first)
        events = page.inner_text("#timeline + table")  # type: ignore[attr-defined]
        assert events.strip(), "no events behind the patient"
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\bTrue\b|\bFalse\b", events), events[:500]
        _fits(page, "the patient's stay")
        _shot(page, "sitrep-spell")
    # The refused day's page is answered 400, which the console reports; nothing else.
    assert [e for e in errors if "status of 400" not in e] == [], errors
