"""The site manager's journey (issue 32): a decision to admit arrives from the patient
administration system (ADT^A14) for a patient in the emergency department; on the wall display
(1920x1080) the site manager sees them waiting, over 4 hours, and on a tablet (1024x768) gives
them a free bed on the coordination view; the A01 lands in that bed; the request closes, its
wait counted from the decision to admit to the bed. Under the real CSP, no console errors, no
sideways scroll; axe-core clean at both sizes."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from homeflow.domain import bed_requests as br
from homeflow.domain import clock
from homeflow.ingest.hl7.writer import hl7_time
from homeflow.services.bed_requests import site_requests
from homeflow.store import db
from tests.browser.pages import browser_errors, browser_sign_in, fits_the_width
from tests.support import homeflow
from tests.web_site import Site

NHS = "9990000034"
SITE = "RX101"


def _ingest(site: Site, folder: Path, name: str, message: str) -> None:
    path = folder / name
    path.write_text(message, "utf-8")
    done = homeflow(site.url, "ingest", "hl7", str(path))
    assert done.returncode == 0, done.stderr


def _message(trigger: str, control: str, at: str, pv1_3: str, visit: str) -> str:
    return "\r".join([
        f"MSH|^~\\&|PAS|{SITE}|HF|QDE|{at}||ADT^{trigger}|{control}|P|2.4",
        f"EVN|{trigger}|{at}||||{at}",
        f"PID|1||{NHS}^^^NHS^NH||Journey^Jean||19450505|F",
        f"PV1|1|E|{pv1_3}|E||||||General Medicine|||||||||{visit}^^^RX1",
    ]) + "\r"  # fmt: skip


def test_a_request_is_given_a_bed_the_a01_lands_in_it_and_the_wait_is_counted(
    journey_site: Site, browser: object, tmp_path: Path
) -> None:
    site = journey_site
    decided = clock.now() - timedelta(hours=5)
    _ingest(site, tmp_path, "a14.hl7", _message("A14", "J1", hl7_time(decided), f"^^^{SITE}", "J1"))

    wall = browser_sign_in(browser, site, "flow@rx1.test", viewport=(1920, 1080))
    errors = browser_errors(wall)
    wall.goto(f"{site.base}/coordination?site={SITE}")  # type: ignore[attr-defined]
    row = wall.locator("#requests tr", has_text="JOURNEY, Jean")  # type: ignore[attr-defined]
    assert "over 4 hours" in row.inner_text()
    assert fits_the_width(wall)

    tablet = browser_sign_in(browser, site, "flow@rx1.test", viewport=(1024, 768))
    errors += browser_errors(tablet)
    tablet.goto(f"{site.base}/coordination?site={SITE}")  # type: ignore[attr-defined]
    assert fits_the_width(tablet)
    row = tablet.locator("#requests tr", has_text="JOURNEY, Jean")  # type: ignore[attr-defined]
    ward, bed = str(row.locator("select[name=bed] option").first.get_attribute("value")).split("|")
    row.locator("button[type=submit]").click()
    tablet.wait_for_url(re.compile(r"/coordination\?site=RX101&saved="))  # type: ignore[attr-defined]
    row = tablet.locator("#requests tr", has_text="JOURNEY, Jean")  # type: ignore[attr-defined]
    assert f"Given {ward} bed {bed}" in row.inner_text()

    admitted = clock.now()
    _ingest(site, tmp_path, "a01.hl7", _message("A01", "J2", hl7_time(admitted), f"{ward}^^{bed}^{SITE}", "J2"))  # fmt: skip
    tablet.reload()  # type: ignore[attr-defined]
    assert "JOURNEY, Jean" not in tablet.content()  # type: ignore[attr-defined]
    engine = db.connect(site.url)
    try:
        [request] = [r for r in site_requests(engine, SITE) if r.request_id == "RX1:J1"]
    finally:
        engine.dispose()
    assert request.status is br.RequestStatus.PLACED and request.in_allocated_bed
    waited = request.waited(admitted)
    assert waited is not None and timedelta(hours=4) < waited < timedelta(hours=5, minutes=5)
    assert not errors, errors

    # axe-core at 1024x768 and on a wall display: the accessibility walk in test_pages.py.
