"""Journey 2, the 10:00 system call (JOURNEYS.md): the flow lead (the system's coordinator)
chairs it from a 1024x768 screen. Every delayed patient of the system, grouped by what they
wait for and by the organisation owning the next step (named, not coded), the longest-waiting
first; those to escalate one tap away. The chair adds an escalation on a patient's row, the
owning organisation chosen by name: a first try with the action left out is refused in place,
what was typed kept; then it is added. A partner on the line (the council's social worker)
finds their own patient by name and adds an action, then marks done the escalation the chair
gave them. The call prints and downloads for those without a screen."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from homeflow.domain.clock import local_date
from homeflow.store import schema as t
from tests.browser.pages import browser_errors, browser_sign_in, fits_the_width, follow
from tests.web_site import Site, rows_of

REFUSED = "status of 400"  # the console's line for a refused form's answer
CODE = re.compile(r"\b(RX\d|RY\d|RW\d|LA[RE]\d\d|QDE)\b")


def _fits(page: object) -> None:
    assert fits_the_width(page), "the page scrolls sideways"  # type: ignore[attr-defined]


def _row_id(spell_key: str) -> str:
    return "patient-" + re.sub(r"[:/ ]", "-", spell_key)


def _find(page: object, base: str, row_id: str) -> object:
    """The patient's rows, on whichever page of the call they fall."""
    page.goto(base)  # type: ignore[attr-defined]
    while page.locator(f"#{row_id}").count() == 0:  # type: ignore[attr-defined]
        follow(page, page.locator("a[rel=next]").first)  # type: ignore[attr-defined]
    return page.locator(f"#{row_id}")  # type: ignore[attr-defined]


def _councils_patient(site: Site, today: object) -> tuple[str, str]:
    """A delayed patient referred to the council (LAR01): their spell and family name."""
    s, r, p = t.spells, t.referrals, t.patients
    found = rows_of(
        site,
        select(s.c.spell_key, p.c.family_name)
        .join(p, p.c.patient_id == s.c.patient_id)
        .where(
            s.c.status == "admitted",
            s.c.discharge_ready_date <= today,
            s.c.spell_key.in_(select(r.c.spell_key).where(r.c.provider_org == "LAR01")),
        )
        .order_by(s.c.spell_key),
    )
    return str(found[0][0]), str(found[0][1])  # type: ignore[index]


def _add(patient: object, description: str, owner: str, org: str, due: str) -> None:
    patient.locator("input[name=description]").fill(description)  # type: ignore[attr-defined]
    patient.locator("input[name=owner]").fill(owner)  # type: ignore[attr-defined]
    patient.locator("select[name=owner_org]").select_option(label=org)  # type: ignore[attr-defined]
    patient.locator("input[name=due_date]").fill(due)  # type: ignore[attr-defined]


def test_the_daily_system_call(journey_site: Site, browser: object) -> None:
    site = journey_site
    today = local_date(datetime.now(UTC))
    tomorrow = f"{today + timedelta(days=1):%d/%m/%Y}"
    chair = browser_sign_in(browser, site, "coordinator@qde.test", viewport=(1024, 768))
    errors = browser_errors(chair)
    follow(chair, chair.locator("a[href='/daily-call']").first)  # type: ignore[attr-defined]
    chair.wait_for_url("**/daily-call")  # type: ignore[attr-defined]
    _fits(chair)
    # By what they wait for, the longest-waiting first in each group.
    tables = chair.locator("table.hf-table").all()[1:]  # type: ignore[attr-defined]
    assert tables
    for table in tables:
        days = [
            int(d.split()[0]) for d in table.locator("tr[id^=call-] td.hf-num").all_inner_texts()
        ]
        assert days == sorted(days, reverse=True)
    # By the organisation owning the next step: each named, never a code.
    follow(chair, chair.get_by_role("link", name="By organisation owning the next step"))  # type: ignore[attr-defined]
    chair.wait_for_url("**group=owner*")  # type: ignore[attr-defined]
    summary = chair.locator("table.hf-table").first  # type: ignore[attr-defined]
    owners = summary.locator("tbody td:first-child").all_inner_texts()
    owners += chair.locator("h2").all_inner_texts()  # type: ignore[attr-defined]
    assert any("NHS" in h for h in owners) and not any(CODE.search(h) for h in owners), owners
    # Those to escalate, behind their figure: every one flagged.
    chair.locator("a.hf-figure[href*='escalated=yes']").first.click()  # type: ignore[attr-defined]
    chair.wait_for_url("**escalated=yes*")  # type: ignore[attr-defined]
    flags = chair.locator("tr[id^=call-] td:last-child").all_inner_texts()  # type: ignore[attr-defined]
    assert flags and all(f.strip() not in ("", "–") for f in flags)
    _fits(chair)

    # The chair escalates the longest wait in the system, to the council, due tomorrow.
    chair.goto(site.base + "/daily-call?group=family")  # type: ignore[attr-defined]
    patient = chair.locator("tbody.hf-call").first  # type: ignore[attr-defined]
    row_id = patient.get_attribute("id")
    patient.locator("summary", has_text="Add an action or escalation").click()
    # Left out the action, and typed a day that does not exist: refused in place, kept.
    patient.locator("input[name=owner]").fill("Head of adult social care")
    patient.locator("input[name=due_date]").fill("31/02/2027")
    patient.get_by_role("button", name="Add action").click()
    chair.locator(f"#{row_id} .nhsuk-error-message").first.wait_for()  # type: ignore[attr-defined]
    patient = chair.locator(f"#{row_id}")  # type: ignore[attr-defined]
    assert patient.locator("details[open]").count() == 1
    assert (
        "is required"
        in patient.locator(
            ".nhsuk-form-group--error", has=chair.locator("input[name=description]")
        ).inner_text()
    )  # type: ignore[attr-defined]
    assert patient.locator("input[name=owner]").input_value() == "Head of adult social care"
    assert patient.locator("input[name=due_date]").input_value() == "31/02/2027"
    _fits(chair)
    _add(patient, "Escalate the reablement wait", "Head of adult social care",
         "Riverside City Council", tomorrow)  # fmt: skip
    patient.locator("label", has_text="An escalation").click()
    patient.get_by_role("button", name="Add action").click()
    row = chair.locator(f"#{row_id} tr[id^=call-]")  # type: ignore[attr-defined]
    row.locator("text=Escalate the reablement wait").wait_for()
    text = row.inner_text()
    assert "Escalation" in text and f"due {tomorrow}" in text
    assert "Riverside City Council" in text and not CODE.search(text), text
    # The call prints, and downloads as CSV.
    assert chair.locator("a[href*='print=yes']").count() == 1  # type: ignore[attr-defined]
    assert chair.locator("a[href='/daily-call.csv'][download]").count() == 1  # type: ignore[attr-defined]
    assert [e for e in errors if REFUSED not in e] == [], errors
    spell_key = rows_of(
        site,
        select(t.actions.c.spell_key).where(
            t.actions.c.description == "Escalate the reablement wait"
        ),
    )[0][0]  # type: ignore[index]
    assert _row_id(str(spell_key)) == row_id

    # The council's social worker finds their own patient by name and takes an action.
    council = browser_sign_in(browser, site, "social-worker@lar01.test", viewport=(1024, 768))
    errors = browser_errors(council)
    own, family = _councils_patient(site, today)
    follow(council, council.locator("a[href='/daily-call']").first)  # type: ignore[attr-defined]
    council.fill("#q", family)  # type: ignore[attr-defined]
    council.get_by_role("button", name="Find").click()  # type: ignore[attr-defined]
    council.wait_for_url("**q=*")  # type: ignore[attr-defined]
    mine = council.locator(f"#{_row_id(own)}")  # type: ignore[attr-defined]
    assert family.upper() in mine.locator("td").first.inner_text()
    mine.locator("summary", has_text="Add an action or escalation").click()
    _add(mine, "Assess for a home care package", "Social worker (hospital team)",
         "Riverside City Council", tomorrow)  # fmt: skip
    mine.get_by_role("button", name="Add action").click()
    council.locator(f"#{_row_id(own)}", has_text="Assess for a home care package").wait_for()  # type: ignore[attr-defined]
    _fits(council)
    # ...and marks done the escalation the chair gave the council.
    given = _find(council, site.base + "/daily-call?group=owner&only=LAR01", row_id)
    assert "Escalate the reablement wait" in given.inner_text()
    given.locator("form", has_text="Escalate the reablement wait").get_by_role(
        "button", name="Done"
    ).click()
    # The row comes back with the action's status (not the button's word) reading done.
    council.locator(f"#{row_id} li > strong", has_text="done").wait_for()  # type: ignore[attr-defined]
    status = rows_of(
        site,
        select(t.actions.c.status).where(t.actions.c.description == "Escalate the reablement wait"),
    )
    assert [s[0] for s in status] == ["done"]  # type: ignore[index]
    assert [e for e in errors if REFUSED not in e] == [], errors
    chair.close()  # type: ignore[attr-defined]
    council.close()  # type: ignore[attr-defined]
