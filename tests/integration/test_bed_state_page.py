"""The site's beds page: every bed's state, and a bed's status set there by the ward's own
trust only, stored with its audit row or not at all; a form it cannot use is refused naming
the field, and one that raced another change is told what the bed reads now."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from homeflow.domain.clock import local_date
from homeflow.reports.kpi import Period
from homeflow.services.bed_measures import span_measures
from homeflow.store import db
from homeflow.store import schema as t
from tests.audit_faults import audit_log_down
from tests.web_site import Site, csrf_of, rows_of, signed_in

WARD = "RX101-M05"


@pytest.fixture
def site(shared_site: Site) -> Site:
    return shared_site


def _form(page: str, bed: str) -> dict[str, str]:
    """The hidden fields of a bed's form on the page, as the browser would send them."""
    row = re.search(rf'<tr class="nhsuk-table__row" id="bed-{WARD}-{bed}">(.*?)</tr>', page, re.S)
    assert row, bed
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', row[1]))
    return {k: v.replace("&#43;", "+") for k, v in fields.items()}


def _events(site: Site) -> int:
    return int(rows_of(site, select(func.count()).select_from(t.events))[0][0])  # type: ignore[index]


def _post(client: httpx.Client, bed: str, **fields: str) -> httpx.Response:
    page = client.get(f"/beds?site=RX101&ward={WARD}").text
    return client.post("/beds", data={**_form(page, bed), **fields}, follow_redirects=True)


def test_ward_staff_close_a_bed_and_it_reads_closed_with_its_reason(site: Site) -> None:
    nurse = signed_in(site, "nurse@rx1.test")
    page = nurse.get("/beds?site=RX101").text
    assert "Beds at" in page and "Choose a ward" in page and "Set status" not in page
    before = _events(site)
    refused = _post(nurse, "03", status="closed", reason="")
    assert refused.status_code == 400 and "choose why the bed is closed" in refused.text
    refused = _post(nurse, "03", status="occupied")
    assert refused.status_code == 400 and "admission or transfer" in refused.text
    assert _events(site) == before
    done = _post(nurse, "03", status="closed", reason="maintenance")
    assert done.status_code == 200, done.text
    row = re.search(rf'id="bed-{WARD}-03">(.*?)</tr>', done.text, re.S)
    assert row and "Closed" in row[1] and "Maintenance" in row[1]
    assert _events(site) == before + 1
    # A form opened before that change is answered with what the bed reads now.
    stale = _form(nurse.get(f"/beds?site=RX101&ward={WARD}").text, "03")
    assert _post(nurse, "03", status="free").status_code == 200
    raced = nurse.post("/beds", data={**stale, "status": "isolated"})
    assert "now reads Free and clean" in raced.text and "nothing was changed" in raced.text
    assert _events(site) == before + 2


def test_only_the_wards_trust_sets_its_beds(site: Site) -> None:
    nurse = signed_in(site, "nurse@rx1.test")
    form = _form(nurse.get(f"/beds?site=RX101&ward={WARD}").text, "04")
    before = _events(site)
    for other in ("coordinator@qde.test", "hub@ry1.test", "analyst@qde.test"):
        client = signed_in(site, other)
        page = client.get(f"/beds?site=RX101&ward={WARD}")
        assert page.status_code == 200 and "Set status" not in page.text
        token = csrf_of(page.text)
        refused = client.post("/beds", data={**form, "csrf_token": token, "status": "isolated"})
        assert refused.status_code == 403, other
    assert _events(site) == before


def test_a_bed_status_is_not_stored_without_its_audit_row(site: Site) -> None:
    flow = signed_in(site, "flow@rx1.test")
    before = _events(site)
    with audit_log_down(site.url):
        answer = _post(flow, "05", status="isolated")
        assert answer.status_code == 503 and "nothing was changed" in answer.text
    assert _events(site) == before
    assert _post(flow, "05", status="isolated").status_code == 200
    assert _events(site) == before + 1


def test_each_bed_measure_opens_to_the_beds_behind_it(site: Site) -> None:
    """The Measures page charts a site's cleaning turnaround and closed bed-days; the beds
    listed for a point are as many (and as closed) as its figure says."""
    engine = db.connect(site.url)
    try:
        last = local_date(datetime.now(UTC)) - timedelta(days=1)
        first = last - timedelta(days=13)
        measured = span_measures(engine, "RX101", first, last, Period.DAILY)
    finally:
        engine.dispose()
    flow = signed_in(site, "flow@rx1.test")
    charts = flow.get(
        f"/measures?level=site&place=RX101&start={first:%d/%m/%Y}&end={last:%d/%m/%Y}"
    )
    assert "Cleaning turnaround" in charts.text and "Beds closed (infection control)" in charts.text
    day, _, busy = max(measured, key=lambda m: len(m[2].turnarounds))
    assert busy.turnarounds
    page = flow.get(
        f"/beds/figures?site=RX101&figure=turnaround&start={day:%d/%m/%Y}&end={day:%d/%m/%Y}"
    )
    listed = re.search(r'<table[^>]*id="turnarounds">(.*?)</table>', page.text, re.S)
    assert listed and listed[1].count('<th scope="row"') == len(busy.turnarounds)
    assert f"a mean of {busy.mean_cleaning_hours:.2f} hours" in page.text
    hours = sum(m.closed_hours.get("infection-control", 0.0) for _, _, m in measured)
    page = flow.get(
        f"/beds/figures?site=RX101&figure=closed:infection-control&start={first:%d/%m/%Y}&end={last:%d/%m/%Y}"
    )
    assert f"for {hours / 24:.2f} bed-days" in page.text
    refused = flow.get(
        f"/beds/figures?site=RX101&figure=nothing&start={first:%d/%m/%Y}&end={last:%d/%m/%Y}"
    )
    assert refused.status_code == 400 and "is not a bed measure" in refused.text
