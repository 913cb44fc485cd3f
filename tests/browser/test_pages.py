"""The pages in Debian's Chromium, driven by Playwright, under the site's real
Content-Security-Policy (only the accessibility check bypasses it, to inject axe-core). Tests
that change data share a server and database of their own; the others read another."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from homeflow.domain.clock import format_month, last_whole_month, local_date
from homeflow.services.returns import sitrep_problem_counts
from homeflow.store import schema as t
from homeflow.store.community import caseloads
from tests.browser.pages import browser_errors, browser_sign_in, follow, submit
from tests.web_site import Site, csrf_of, rows_of, rx1_ward_with_patients, signed_in, wait_run_done

AXE = Path(__file__).parents[1] / "vendor" / "axe.min.js"


@pytest.fixture
def site(shared_site: Site) -> Site:
    """The site the browser tests that only look are shown."""
    return shared_site


def test_a_discharge_team_day_in_the_browser(changing_site: Site, browser: object) -> None:
    """Sign in, open a whiteboard, set an EDD, mark a patient not meeting the criteria to
    reside with a delay reason, find them on the daily call, add an action, sign out."""
    site = changing_site
    page = browser_sign_in(browser, site, "flow@rx1.test")
    errors = browser_errors(page)
    ward = rx1_ward_with_patients(site)
    follow(page, page.get_by_role("link", name="Riverside General Hospital – acute", exact=True))  # type: ignore[attr-defined]
    follow(page, page.locator(f'a[href="/wards/{ward}"]').first)  # type: ignore[attr-defined]
    page.wait_for_url(f"**/wards/{ward}")  # type: ignore[attr-defined]
    # The patient who meets the criteria now, first on the board. Each value opens its own
    # small form when tapped.
    row = (
        page.locator("#whiteboard tbody tr")
        .filter(has=page.locator("select[name=meets] option[value=yes][selected]"))
        .first
    )  # type: ignore[attr-defined]
    name = row.locator("td").nth(0).locator("a .hf-clip").first.inner_text()
    row_id = row.get_attribute("id")
    row.locator("summary", has_text="change expected discharge date").tap()
    row.locator("input[name=expected_discharge_date]").fill("06/05/2031")
    row.locator("input[name=clinical_criteria]").fill("Off IV antibiotics")
    row.get_by_role("button", name="Save expected discharge date").tap()
    row = page.locator(f"#{row_id}")
    row.locator("summary", has_text="06/05/2031").wait_for()
    assert "Off IV antibiotics" in row.locator("summary", has_text="06/05/2031").inner_text()
    row.locator("summary", has_text="change criteria to reside").tap()
    row.locator("select[name=meets]").select_option("no")
    today = local_date(datetime.now(UTC))
    row.locator("input[name=discharge_ready_date]").fill(f"{today:%d/%m/%Y}")
    row.get_by_role("button", name="Save criteria to reside").tap()
    row = page.locator(f"#{row_id}")
    row.locator("summary", has_text=f"ready {today:%d/%m/%Y}").wait_for()
    # The delay reason by keyboard alone: focus its value, Enter opens the form (and puts
    # the focus in it), choose, Tab to Save, Enter.
    row.locator("summary", has_text="change delay reason").focus()
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    # The form opens on the toggle event, which the browser fires after the key press.
    page.wait_for_function("document.activeElement && document.activeElement.name === 'reason'")  # type: ignore[attr-defined]
    row.locator("select[name=reason]:not([id^=bed-reason])").select_option("CAP06")
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.locator(f"#{row_id} summary", has_text="CAP06").wait_for()  # type: ignore[attr-defined]
    assert page.locator(f"#{row_id} details[open]").count() == 0  # type: ignore[attr-defined]

    page.click("text=Daily call")  # type: ignore[attr-defined]
    page.wait_for_url("**/daily-call")  # type: ignore[attr-defined]
    page.fill("#q", name.split(",")[0])  # type: ignore[attr-defined]
    page.get_by_role("button", name="Find").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/daily-call?*")  # type: ignore[attr-defined]
    call_row = page.locator("tr", has=page.get_by_role("link", name=name)).first  # type: ignore[attr-defined]
    assert call_row.locator("td").nth(3).inner_text().split()[0] == "1"
    patient = page.locator("tbody", has=call_row)  # type: ignore[attr-defined]
    patient.locator("summary", has_text="Add an action or escalation").click()
    patient.locator("input[name=description]").fill("Chase home care start date")
    patient.locator("input[name=owner]").fill("Hub lead")
    patient.locator("select[name=owner_org]").select_option("LAR01")
    patient.get_by_role("button", name="Add action").click()
    page.locator("tr", has=page.get_by_role("link", name=name)).locator(
        "text=Chase home care start date"
    ).wait_for()  # type: ignore[attr-defined]

    page.click("text=Sign out")  # type: ignore[attr-defined]
    page.wait_for_url(site.base + "/")  # type: ignore[attr-defined]
    page.goto(site.base + "/daily-call")  # type: ignore[attr-defined]
    assert page.locator("#password").count() == 1  # type: ignore[attr-defined]
    assert not errors, errors

    stored = rows_of(
        site,
        select(t.events.c.type, t.events.c.recorded_by, t.events.c.source)
        .where(t.events.c.recorded_by == "flow@rx1.test")
        .order_by(t.events.c.seq),
    )
    assert [tuple(r) for r in stored][-4:] == [  # type: ignore[arg-type]
        ("edd-set", "flow@rx1.test", "web"),
        ("criteria-to-reside-assessed", "flow@rx1.test", "web"),
        ("delay-reason-set", "flow@rx1.test", "web"),
        ("action-recorded", "flow@rx1.test", "web"),
    ]
    page.close()  # type: ignore[attr-defined]


def mh_delayed_spell(site: Site) -> str:
    """A mental-health stay of the demo with a delayed discharge period, still in hospital."""
    e, s = t.events, t.spells
    found = rows_of(
        site,
        select(func.min(e.c.spell_key))
        .join(s, s.c.spell_key == e.c.spell_key)
        .where(e.c.type == "mh-delay-recorded", s.c.status == "admitted"),
    )
    return str(found[0][0]).replace(":", "%3A")  # type: ignore[index]


def sitrep_day_with_problems(site: Site) -> str:
    """A day of the demo whose sitrep has patients to correct before submitting (dd/mm/yyyy),
    so the page shows its "Correct before you submit" lists; yesterday when none has."""
    yesterday = local_date(datetime.now(UTC)) - timedelta(days=1)
    engine = create_engine(site.url)
    try:
        days = (yesterday - timedelta(days=back) for back in range(10))
        found = next((d for d in days if any(sitrep_problem_counts(engine, d).values())), None)
    finally:
        engine.dispose()
    return f"{found or yesterday:%d/%m/%Y}"


def test_no_serious_accessibility_violations_on_any_page(site: Site, browser: object) -> None:
    page = browser_sign_in(browser, site, "admin@qde.test", bypass_csp=True)
    rx1 = browser_sign_in(browser, site, "flow@rx1.test", bypass_csp=True)
    wall = browser_sign_in(browser, site, "flow@rx1.test", bypass_csp=True, viewport=(1920, 1080))
    tablet = browser_sign_in(browser, site, "flow@rx1.test", bypass_csp=True, viewport=(1024, 768))
    ward = rx1_ward_with_patients(site)
    rx1.goto(f"{site.base}/wards/{ward}")  # type: ignore[attr-defined]
    spell_page = rx1.locator("#whiteboard a[href^='/spells/']").first.get_attribute("href")  # type: ignore[attr-defined]
    team = browser_sign_in(browser, site, "cmht@rw1.test", bypass_csp=True)
    planner = browser_sign_in(browser, site, "coordinator@qde.test", bypass_csp=True)
    episode = f"/community/episodes/{decided_episode(site)}"
    month = format_month(*last_whole_month(local_date(datetime.now(UTC))))  # the default
    yesterday = local_date(datetime.now(UTC)) - timedelta(days=1)
    bed_days = f"start={yesterday - timedelta(days=30):%d/%m/%Y}&end={yesterday:%d/%m/%Y}"
    targets = [
        (page, "/overview"),
        (page, "/overview?site=RX101"),
        (page, "/overview/discharges?site=RX101&horizon=today"),
        (page, "/daily-call"),
        (page, "/stranded"),
        (page, "/referrals"),
        (page, "/audit"),
        (page, "/measures?level=site&place=RX101"),
        (page, "/scenarios"),
        (page, "/scenarios/new?model=demo.toml"),
        (page, "/scenarios/models/demo.toml"),
        (planner, f"/scenarios/validation/{finished_validation(site)}"),  # fan charts, table
        (page, "/returns/sitrep"),
        (rx1, f"/returns/sitrep?day={sitrep_day_with_problems(site)}"),  # patients to correct
        (page, "/returns/drd?by=ward"),  # a place a column, scrolling in its own box
        (page, "/returns/drd?month=2099-01"),  # the form again, the problem beside it
        (page, "/returns/mh-delays?by=council"),  # the last month that has ended
        (page, f"/returns/mh-delays/people?month={month}&by=provider&code=RW1"),
        (team, f"/spells/{mh_delayed_spell(site)}#mh-delays"),  # periods and their forms
        (page, "/returns/mh-delays?month=2099-01"),  # the form again, the problem beside it
        (page, "/returns/intermediate-care"),  # the last week ended, each service by day
        (page, "/returns/intermediate-care?week_ending=28/03/2026"),  # not a Sunday
        (page, "/outcomes"),
        (page, "/home-care"),
        (page, "/people/support?kind=reablement&which=in-use"),
        (page, "/people/census?site=RX101&type=acute&measure=nctr"),
        (page, "/admin/users"),
        (page, "/feeds"),
        (page, "/improvement"),
        (page, "/improvement/assessments/QDE/hicm-2015/2017-05-17"),
        (page, "/improvement/assessments/QDE/hicm-2015/2017-05-17/entries/row-1"),
        (page, "/improvement/heat-map?system=QDE&framework=hicm-2015&on=2017-05-17"),
        (page, "/improvement/projects"),
        (page, "/improvement/projects/QDE/home-first-rx101"),
        (page, "/improvement/projects/QDE/home-first-rx101/pdsas/idt-bridging-1"),
        (page, "/improvement/actions"),
        (page, "/improvement/smart-list?level=site"),
        (page, "/improvement/collaborative"),
        (page, "/improvement/collaborative/report"),
        (rx1, f"/wards/{ward}"),
        (rx1, f"/wards/{ward}?sort=edd&order=asc"),
        (rx1, str(spell_page)),
        (rx1, "/search?q=smith"),  # a patient search's answer, and one it cannot read
        (rx1, "/search?q=9"),
        (rx1, "/opel"),  # with the trust's own form
        (rx1, "/beds?site=RX101&ward=RX101-M02"),  # a ward's beds with their status controls
        (page, "/beds?site=RX101"),  # every bed of the site
        (rx1, "/coordination?site=RX101"),  # with the site team's allocation forms
        (wall, "/coordination?site=RX101"),  # on a wall display, as the site team reads it
        (tablet, "/coordination?site=RX101"),
        (page, "/coordination/list?site=RX101&specialty=All%20specialties&figure=waiting"),
        (rx1, f"/beds/figures?site=RX101&figure=turnaround&{bed_days}"),  # a measure's beds
        (rx1, "/daily-call/delays?kind=internal&level=site&place=RX101"),
        (page, "/stranded?sort=days&order=asc"),
        (team, "/community"),
        (team, episode),
        (team, f"{episode}/letters/summary"),
        (team, f"{episode}/letters/gp-letter"),
        (team, "/community/directory?need=housing"),
        (team, "/measures?level=org&place=RW1&period=weekly"),
    ]
    anonymous = browser.new_page(bypass_csp=True)  # type: ignore[attr-defined]
    targets.append((anonymous, "/"))
    problems = {
        path: found for tab, path in targets if (found := violations(tab, site.base + path))
    }
    assert not problems, json.dumps(problems, indent=1)


def test_the_fullest_ward_fits_a_tablet_for_the_board_round(site: Site, browser: object) -> None:
    """At 1024x768: no sideways scrolling, at least 14 beds within two screen heights, every
    value a fingertip tall, days as dd/mm/yyyy, a margin each side, no console errors."""
    page = browser_sign_in(browser, site, "flow@rx1.test", viewport=(1024, 768))
    errors = browser_errors(page)
    s = t.spells
    fullest = rows_of(
        site,
        select(s.c.ward_code, func.count())
        .where(s.c.status == "admitted", s.c.ward_code.like("RX%"))
        .group_by(s.c.ward_code)
        .order_by(func.count().desc()),
    )[0]
    page.goto(f"{site.base}/wards/{fullest[0]}")  # type: ignore[attr-defined,index]
    found = page.evaluate(  # type: ignore[attr-defined]
        """() => ({
          width: document.documentElement.scrollWidth,
          beds: [...document.querySelectorAll('#whiteboard tbody tr')]
            .filter(r => r.getBoundingClientRect().bottom + scrollY <= 2 * 768).length,
          small: [...document.querySelectorAll('#whiteboard summary, #whiteboard a')]
            .map(e => e.getBoundingClientRect()).filter(r => r.height < 44 || r.width < 44).length,
          left: document.querySelector('h1').getBoundingClientRect().left,
          right: innerWidth - document.querySelector('#whiteboard').getBoundingClientRect().right,
          text: document.querySelector('main').innerText,
        })"""
    )
    assert found["width"] <= 1024, found["width"]
    assert found["beds"] >= 14, found["beds"]
    assert found["small"] == 0
    assert found["left"] >= 16 and found["right"] >= 16
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", found["text"])
    assert re.search(r"\b\d{2}/\d{2}/\d{4}\b", found["text"])
    assert not errors, errors
    page.close()  # type: ignore[attr-defined]


def decided_episode(site: Site) -> str:
    """A demo episode with a discharge decision, a carer and services signposted: the fullest
    episode page and letters."""
    engine = create_engine(site.url)
    try:
        with engine.connect() as conn:
            found = caseloads(conn)
    finally:
        engine.dispose()
    return next(
        e.episode_id
        for e in found.episodes.values()
        if e.decision() is not None and e.carers and e.signposts
    )


def finished_validation(site: Site) -> int:
    """A check of the model against what happened, asked for as a planner does and finished:
    two of the demo's ten days compared, after seven of history."""
    planner = signed_in(site, "coordinator@qde.test")
    form = {
        "csrf_token": csrf_of(planner.get("/scenarios").text),
        "model": "demo.toml",
        "validate_to": f"{local_date(datetime.now(UTC)) - timedelta(days=3):%d/%m/%Y}",
        "validate_days": "2",
        "validate_reps": "20",
    }
    asked = planner.post("/scenarios/validation", data=form)
    assert asked.status_code == 303, asked.text[-800:]
    run_id = int(asked.headers["location"].rsplit("/", 1)[1])
    wait_run_done(site, run_id)
    planner.close()
    return run_id


def violations(tab: object, url: str) -> list[str]:
    """axe-core's serious and critical findings on the page at `url` (the tab must bypass the
    CSP, to inject axe)."""
    tab.goto(url)  # type: ignore[attr-defined]
    tab.add_script_tag(content=AXE.read_text())  # type: ignore[attr-defined]
    found: list[str] = tab.evaluate(  # type: ignore[attr-defined]
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.help + ' ' + JSON.stringify(v.nodes.slice(0, 2).map(n => n.target)))"
    )
    return found


def test_the_measures_dashboard_draws_each_kpi_as_an_spc_chart(site: Site, browser: object) -> None:
    page = browser_sign_in(browser, site, "coordinator@qde.test")
    errors = browser_errors(page)
    page.goto(site.base + "/measures?level=org&place=RX1")  # type: ignore[attr-defined]
    cards = page.locator(".nhsuk-card")  # type: ignore[attr-defined]
    assert cards.count() >= 10
    page.wait_for_function(  # type: ignore[attr-defined]
        "document.querySelectorAll('.hf-chart canvas').length === document.querySelectorAll('.hf-chart').length"
    )
    assert "Patients with no criteria to reside per 100 beds" in page.content()  # type: ignore[attr-defined]
    assert not errors, errors
    refused = httpx.get(
        site.base + "/measures?level=ward&place=NOWHERE",
        cookies=signed_in(site, "coordinator@qde.test").cookies,
    )
    assert refused.status_code == 400 and "NOWHERE" in refused.text
    page.close()  # type: ignore[attr-defined]


def test_a_coordinator_runs_scenarios_and_compares_them(
    changing_site: Site, browser: object
) -> None:
    site = changing_site
    page = browser_sign_in(browser, site, "coordinator@qde.test")
    errors = browser_errors(page)
    page.goto(site.base + "/scenarios")  # type: ignore[attr-defined]
    # A scenario file with a mistake is listed with the field at fault, and cannot be picked.
    assert "broken.toml: cannot be used, demand: must be a number" in page.content()  # type: ignore[attr-defined]
    page.check("input[value='demand.toml']")  # type: ignore[attr-defined]
    page.fill("#reps", "40")  # type: ignore[attr-defined]
    page.fill("#horizon", "21")  # type: ignore[attr-defined]
    page.click("button:has-text('Run')")  # type: ignore[attr-defined]
    page.wait_for_url("**/scenarios/runs/*")  # type: ignore[attr-defined]
    # The page polls until the run is done, then draws a fan chart per measure.
    page.wait_for_selector(".hf-chart canvas", timeout=120_000)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "document.querySelectorAll('.hf-chart canvas').length === 2"
    )
    rows = page.locator("table").first.locator("tbody tr th").all_inner_texts()  # type: ignore[attr-defined]
    assert rows == ["Baseline", "Demand +8%"]
    by_pathway = page.locator("table").nth(1).inner_text()  # type: ignore[attr-defined]
    assert "by pathway" in by_pathway and "P3" in by_pathway
    assert not errors, errors
    runs = rows_of(
        site,
        select(
            t.simulation_runs.c.id, t.simulation_runs.c.status, t.simulation_runs.c.requested_by
        ),
    )
    done = [r for r in runs if tuple(r)[1:] == ("done", "coordinator@qde.test")]  # type: ignore[arg-type]
    assert done
    totals = signed_in(site, "coordinator@qde.test").get(f"/scenarios/runs/{done[-1][0]}.csv")  # type: ignore[index]
    lines = totals.text.splitlines()
    assert totals.status_code == 200 and lines[0].startswith("scenario,delayed_bed_days_mean")
    assert [line.split(",")[0] for line in lines[1:]] == ["Baseline", "Demand +8%"]
    # The comparison as a board paper: its HTML holds the same scenarios, printed to PDF.
    paper = signed_in(site, "coordinator@qde.test").get(f"/scenarios/runs/{done[-1][0]}.pdf")  # type: ignore[index]
    assert paper.status_code == 200 and paper.content.startswith(b"%PDF")
    assert len(paper.content) > 10_000
    page.close()  # type: ignore[attr-defined]


def test_a_coordinator_keeps_the_systems_self_assessment(
    changing_site: Site, browser: object
) -> None:
    """Open the demo's High Impact Change assessment, change where one entry stands, see the
    earlier version kept beside it, and the heat map move."""
    site = changing_site
    page = browser_sign_in(browser, site, "coordinator@qde.test")
    errors = browser_errors(page)
    follow(page, page.get_by_role("link", name="Improvement", exact=True))  # type: ignore[attr-defined]
    follow(page, page.locator("a[href='/improvement/assessments/QDE/hicm-2015/2017-05-17']"))  # type: ignore[attr-defined]
    trusted = page.locator("#change-6 + p + div table tbody tr")  # type: ignore[attr-defined]
    assert trusted.count() == 4
    follow(page, trusted.first.get_by_role("link", name="Edit"))
    page.fill("#status", "Mature")  # type: ignore[attr-defined]
    page.fill("#owner", "Head of integrated discharge")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save the entry").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/improvement/assessments/QDE/hicm-2015/2017-05-17?saved=*")  # type: ignore[attr-defined]
    saved = page.locator("tr", has=page.locator(".hf-saved"))  # type: ignore[attr-defined]
    assert "Mature" in saved.inner_text() and "2 versions" in saved.inner_text()
    follow(page, saved.get_by_role("link", name="Edit"))
    versions = page.locator(".nhsuk-card")  # type: ignore[attr-defined]
    assert versions.count() == 2
    assert "coordinator@qde.test (current)" in versions.first.inner_text()
    assert "imported from a sheet" in versions.nth(1).inner_text()
    # A status that is no maturity level is refused (400), naming the field; nothing is stored.
    assert not errors, errors
    page.fill("#status", "Sometimes")  # type: ignore[attr-defined]
    submit(page, page.get_by_role("button", name="Save the entry"))  # type: ignore[attr-defined]
    summary = page.locator(".nhsuk-error-summary").inner_text()  # type: ignore[attr-defined]
    assert "'Sometimes' is not a maturity level" in summary and "Status" in summary
    assert page.locator(".nhsuk-card").count() == 2  # type: ignore[attr-defined]
    assert [e for e in errors if "status of 400" not in e] == []
    errors.clear()
    page.goto(site.base + "/improvement/heat-map?system=QDE&framework=hicm-2015&on=2017-05-17")  # type: ignore[attr-defined]
    row = page.locator("tr", has=page.locator("th", has_text="6. Trusted assessors"))  # type: ignore[attr-defined]
    assert "4" in row.inner_text().split()
    assert not errors, errors
    stored = rows_of(
        site,
        select(t.audit_log.c.action, t.audit_log.c.what).where(
            t.audit_log.c.user_email == "coordinator@qde.test", t.audit_log.c.action == "change"
        ),
    )
    assert [tuple(r)[1] for r in stored] == ["assessment QDE hicm-2015 2017-05-17 row-62"]  # type: ignore[index]
    page.close()  # type: ignore[attr-defined]


def test_a_coordinator_plans_a_pdsa_and_decides_on_it(changing_site: Site, browser: object) -> None:
    site = changing_site
    page = browser_sign_in(browser, site, "coordinator@qde.test")
    errors = browser_errors(page)
    page.goto(site.base + "/improvement/projects")  # type: ignore[attr-defined]
    page.locator("summary", has_text="Start a project for QDE").click()  # type: ignore[attr-defined]
    for name, value in {
        "#project_id": "stranded-rx201",
        "#title": "Fewer stranded at Eastfield",
        "#aim": "Fewer than 40 patients in hospital 7+ days at Eastfield by spring",
        "#aim_place": "RX201",
        "#aim_target": "40",
        "#aim_by": "2027-04-01",
        "#drivers": "Waiting for decisions > Reviews late in the week > Weekend stranded review",
        "#measures": "outcome:stranded:site:RX201",
    }.items():
        page.fill(name, value)  # type: ignore[attr-defined]
    page.select_option("#aim_kpi", "stranded")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Start the project").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/improvement/projects/QDE/stranded-rx201")  # type: ignore[attr-defined]
    assert "Weekend stranded review" in page.content()  # type: ignore[attr-defined]
    page.locator("summary", has_text="Plan a PDSA cycle").click()  # type: ignore[attr-defined]
    yesterday = (local_date(datetime.now(UTC)) - timedelta(days=1)).isoformat()
    for name, value in {
        "#pdsa_id": "weekend-review-1",
        "#change_idea": "Stranded review on Saturdays",
        "#place": "RX201",
        "#change_date": yesterday,
        "#prediction": "Stranded patients fall by five",
        "#predicted_value": "45",
        "#plan_who": "Matron",
    }.items():
        page.fill(name, value)  # type: ignore[attr-defined]
    page.select_option("#kpi", "stranded")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Plan the cycle").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/pdsas/weekend-review-1")  # type: ignore[attr-defined]
    # Ten days of history: the Study says the baseline is too short, in words.
    assert "not enough points before the change" in page.content()  # type: ignore[attr-defined]
    page.select_option("#decision", "adapt")  # type: ignore[attr-defined]
    page.fill("#decision_notes", "Try Sundays too")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/pdsas/weekend-review-1?saved=1")  # type: ignore[attr-defined]
    assert "Adapt: Try Sundays too" in page.content()  # type: ignore[attr-defined]
    assert page.locator("h2:has-text('Versions') + ul li").count() == 2  # type: ignore[attr-defined]
    assert not errors, errors
    audited = rows_of(
        site,
        select(t.audit_log.c.what)
        .where(t.audit_log.c.user_email == "coordinator@qde.test", t.audit_log.c.what.like("p%"))
        .order_by(t.audit_log.c.id),  # in the order written
    )
    assert [r.what for r in audited] == [  # type: ignore[attr-defined]
        "project QDE stranded-rx201",
        "pdsa QDE stranded-rx201 weekend-review-1",
        "pdsa QDE stranded-rx201 weekend-review-1",
    ]
    page.close()  # type: ignore[attr-defined]


def test_an_overdue_action_is_listed_until_it_is_done(changing_site: Site, browser: object) -> None:
    """An action is added due today (a due date is from today: one cannot be added overdue),
    its organisation chosen by name; the demo's overdue action of RY1 is listed as overdue
    until it is marked done."""
    site = changing_site
    page = browser_sign_in(browser, site, "analyst@qde.test")
    errors = browser_errors(page)
    page.goto(site.base + "/improvement/actions")  # type: ignore[attr-defined]
    page.locator("summary", has_text="Add an action").click()  # type: ignore[attr-defined]
    today = local_date(datetime.now(UTC)).strftime("%d/%m/%Y")
    page.fill("#description", "Send the <b>bridging</b> rota to the council")  # type: ignore[attr-defined]
    page.fill("#owner", "Reablement manager")  # type: ignore[attr-defined]
    page.select_option("#owner_org", "RY1")  # type: ignore[attr-defined]
    page.fill("#due_date", today)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Add the action").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/improvement/actions?saved=*")  # type: ignore[attr-defined]
    soon = page.locator("h2:has-text('Due soon') + div table")  # type: ignore[attr-defined]
    # Typed brackets come out as typed, never as markup.
    assert "Send the <b>bridging</b> rota to the council" in soon.inner_text()
    page.goto(site.base + "/improvement/actions?org=RY1")  # type: ignore[attr-defined]
    overdue = "h2:has-text('Overdue') + div table tbody tr"
    listed = page.locator(overdue).all_inner_texts()  # type: ignore[attr-defined]
    assert listed and "rota to the council" not in " ".join(listed)
    first = listed[0].split("\t")[1] if "\t" in listed[0] else listed[0]
    page.goto(site.base + "/improvement/actions")  # type: ignore[attr-defined]
    row = page.locator("tr", has=page.locator("select[name=status]")).filter(
        has_text=first.strip()[:30]
    )  # type: ignore[attr-defined]
    row.first.locator("select[name=status]").select_option("done")
    row.first.get_by_role("button", name="Save").click()
    page.wait_for_url("**/improvement/actions?saved=*")  # type: ignore[attr-defined]
    page.goto(site.base + "/improvement/actions?org=RY1")  # type: ignore[attr-defined]
    after = [r for r in page.locator(overdue).all_inner_texts() if r.strip() != "None."]  # type: ignore[attr-defined]
    assert len(after) == len(listed) - 1, (listed, after)
    assert not errors, errors
    page.close()  # type: ignore[attr-defined]
