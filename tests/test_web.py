"""The web app as its users meet it: a real server process over HTTP, a real Chromium
driven by Playwright, and the real database underneath (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from homeflow.domain.clock import local_date
from homeflow.store import schema as t
from tests.conftest import ENGINES, demo_database
from tests.support import ServerProcess, homeflow

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
EXAMPLES = Path(__file__).parent.parent / "examples"
PASSWORD = "correct horse battery staple"
USERS = {
    "nurse@rx1.test": ("RX1", "ward-staff"),
    "flow@rx1.test": ("RX1", "discharge-team"),
    "hub@ry1.test": ("RY1", "discharge-team"),
    "coordinator@qde.test": ("QDE", "system-coordinator"),
    "admin@qde.test": ("QDE", "admin"),
    "analyst@qde.test": ("QDE", "analyst"),
}


@dataclass
class Site:
    url: str
    base: str


@pytest.fixture(scope="module", params=ENGINES)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """A demo system ending yesterday, its users, and `homeflow serve` in front of it."""
    # The demo runs to the end of its last day: ending yesterday, nothing in it lies in the
    # future, so what a user records now is the latest word.
    yesterday = (local_date(datetime.now(UTC)) - timedelta(days=1)).isoformat()
    folder = tmp_path_factory.mktemp("web")
    with demo_database(
        request.param, folder, "--days", "10", "--end", yesterday, "--seed", "5"
    ) as url:
        for email, (org, role) in USERS.items():
            added = homeflow(
                url, "user", "add", email, "--org", org, "--role", role, "--password-stdin",
                stdin=PASSWORD + "\n",
            )  # fmt: skip
            assert added.returncode == 0, added.stderr
        models = folder / "models"
        (models / "scenarios").mkdir(parents=True)
        first = (local_date(datetime.now(UTC)) - timedelta(days=10)).isoformat()
        made = homeflow(url, "calibrate", "--from", first, "--to", yesterday, "--out", str(models / "demo.toml"))  # fmt: skip
        assert made.returncode == 0, made.stderr
        (models / "scenarios" / "demand.toml").write_text(
            (EXAMPLES / "demand-plus-8.toml").read_text()
        )
        (models / "scenarios" / "broken.toml").write_text('name = "Broken"\ndemand = "lots"\n')
        server = ServerProcess(url, env={"HOMEFLOW_MODELS": str(models)})
        try:
            yield Site(url, server.base)
        finally:
            server.stop()


def signed_in(site: Site, email: str) -> httpx.Client:
    client = httpx.Client(base_url=site.base, timeout=30)
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def every_page(client: httpx.Client, path: str) -> list[str]:
    """A list's first page and every page after it, following its Next links."""
    pages = [client.get(path).text]
    while found := re.search(r'href="([^"]+)" rel="next"', pages[-1]):
        pages.append(client.get(found.group(1).replace("&amp;", "&")).text)
    return pages


def rows_of(site: Site, query: object) -> list[object]:
    engine = create_engine(site.url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(query))  # type: ignore[call-overload]
    finally:
        engine.dispose()


def rx1_ward_with_patients(site: Site) -> str:
    s = t.spells
    found = rows_of(
        site,
        select(s.c.ward_code, func.count())
        .where(s.c.status == "admitted", s.c.ward_code.like("RX101-M%"))
        .group_by(s.c.ward_code)
        .order_by(func.count().desc()),
    )
    return str(found[0][0])  # type: ignore[index]


# ---- Sign-in, sessions and security --------------------------------------------------------


def test_every_page_needs_sign_in_and_the_cookie_is_locked_down(site: Site) -> None:
    anonymous = httpx.Client(base_url=site.base, timeout=30)
    home = anonymous.get("/")
    assert home.status_code == 200 and 'action="/sign-in"' in home.text
    for path in ("/overview", "/daily-call", "/stranded", "/referrals", "/audit", "/wards/X"):
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/", path
    policy = home.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert home.headers["x-frame-options"] == "DENY"
    signed = anonymous.post("/sign-in", data={"email": "nurse@rx1.test", "password": PASSWORD})
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    wrong = anonymous.post("/sign-in", data={"email": "nurse@rx1.test", "password": "nope"})
    assert wrong.status_code == 401 and "not right" in wrong.text


def test_repeated_failed_sign_ins_are_throttled(site: Site) -> None:
    client = httpx.Client(base_url=site.base, timeout=30)
    for _ in range(5):
        assert (
            client.post("/sign-in", data={"email": "analyst@qde.test", "password": "x"}).status_code
            == 401
        )
    # Even the right password is refused while the account is throttled.
    refused = client.post("/sign-in", data={"email": "analyst@qde.test", "password": PASSWORD})
    assert refused.status_code == 429 and "Try again" in refused.text


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    client = signed_in(site, "flow@rx1.test")
    ward = rx1_ward_with_patients(site)
    board = client.get(f"/wards/{ward}")
    spell_key = re.findall(r'href="/spells/([^"]+)"', board.text)[0]
    before = rows_of(site, select(func.count()).select_from(t.events))
    form = {"expected_discharge_date": "2030-01-01", "seen": "", "view": "page"}
    missing = client.post(f"/spells/{spell_key}/record/edd", data=form)
    forged = client.post(f"/spells/{spell_key}/record/edd", data={**form, "csrf_token": "forged"})
    assert missing.status_code == 403 and forged.status_code == 403
    assert "Reload the page" in missing.text
    assert rows_of(site, select(func.count()).select_from(t.events)) == before
    assert client.post("/sign-out", data={}).status_code == 403


def test_another_trusts_user_gets_403_and_never_sees_a_name(site: Site) -> None:
    """RY1 (the community trust) looks everywhere and finds no RX1 patient's name."""
    s, p, r = t.spells, t.patients, t.referrals
    # A patient RY1 also cares for (referred to it, or in its beds) is RY1's to see.
    referred_to_ry1 = select(r.c.spell_key).where(r.c.provider_org == "RY1")
    in_ry1_beds = select(s.c.patient_id).where(s.c.site_code.in_(["RY101", "RY102"]))
    rx1_patients = rows_of(
        site,
        select(s.c.spell_key, p.c.family_name, p.c.given_name, p.c.nhs_number)
        .join(p, p.c.patient_id == s.c.patient_id)
        .where(
            s.c.status == "admitted",
            s.c.site_code.in_(["RX101", "RX102"]),
            s.c.spell_key.not_in(referred_to_ry1),
            s.c.patient_id.not_in(in_ry1_beds),
        ),
    )
    assert len(rx1_patients) > 50
    client = signed_in(site, "hub@ry1.test")
    ward = rx1_ward_with_patients(site)
    spell_key = rx1_patients[0][0]  # type: ignore[index]
    refused = client.get(f"/spells/{spell_key}")
    assert refused.status_code == 403 and rx1_patients[0][1] not in refused.text  # type: ignore[index]
    pages = [
        text
        for path in (
            "/overview",
            "/overview?site=RX101",
            f"/wards/{ward}",
            "/daily-call",
            "/daily-call?print=yes",
            "/daily-call?group=owner&print=yes",
            f"/daily-call?q={rx1_patients[0][1]}",  # type: ignore[index]
            "/daily-call.csv",
            "/stranded",
            "/referrals",
        )
        for text in every_page(client, path)
    ]
    shown = "\n".join(pages)
    assert "RX101" in shown  # the pages did show RX1's patients, de-identified
    # Demo names repeat; a name RY1 may see on one of its own patients proves nothing.
    own = {
        (f, g)
        for f, g in rows_of(  # type: ignore[misc]
            site,
            select(p.c.family_name, p.c.given_name).where(
                p.c.patient_id.in_(in_ry1_beds)
                | p.c.patient_id.in_(
                    select(s.c.patient_id).where(s.c.spell_key.in_(referred_to_ry1))
                )
            ),
        )
    }
    for _key, family_name, given_name, nhs_number in rx1_patients:  # type: ignore[misc]
        if (family_name, given_name) in own:
            continue
        for written in (f"{family_name.upper()}, {given_name}", f"{given_name} {family_name}"):
            assert written not in shown
        if nhs_number:
            spaced = f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}"
            assert nhs_number not in shown and spaced not in shown


def test_the_audit_log_records_views_and_only_admins_read_it(site: Site) -> None:
    nurse = signed_in(site, "nurse@rx1.test")
    ward = rx1_ward_with_patients(site)
    spell_key = re.findall(r'href="/spells/([^"]+)"', nurse.get(f"/wards/{ward}").text)[0]
    assert nurse.get(f"/spells/{spell_key}").status_code == 200
    assert nurse.get("/audit").status_code == 403
    admin = signed_in(site, "admin@qde.test")
    log = admin.get("/audit", params={"spell": spell_key})
    assert log.status_code == 200
    assert "nurse@rx1.test" in log.text and "spell page" in log.text


def test_two_people_changing_the_same_thing_get_a_conflict_and_keep_their_words(
    site: Site,
) -> None:
    first, second = signed_in(site, "nurse@rx1.test"), signed_in(site, "flow@rx1.test")
    ward = rx1_ward_with_patients(site)
    page = first.get(f"/wards/{ward}").text
    spell_key = re.findall(r'href="/spells/([^"]+)"', page)[-1]
    spell_page = second.get(f"/spells/{spell_key}").text
    seen = re.search(r'id="form-edd".*?name="seen" value="([^"]*)"', spell_page, re.DOTALL).group(1)  # type: ignore[union-attr]
    for client, day, words, expected in (
        (first, "2031-02-03", "walking with a frame", 303),
        (second, "2031-02-10", "second opinion words", 409),
    ):
        token = csrf_of(client.get(f"/spells/{spell_key}").text)
        answer = client.post(
            f"/spells/{spell_key}/record/edd",
            data={
                "csrf_token": token,
                "seen": seen,
                "view": "page",
                "next": f"/spells/{spell_key}",
                "expected_discharge_date": day,
                "clinical_criteria": words,
            },
        )
        assert answer.status_code == expected, answer.text[:500]
    assert "nurse@rx1.test" in answer.text and "second opinion words" in answer.text
    assert 'value="2031-02-10"' in answer.text  # what the second user typed is still there
    stored = rows_of(
        site,
        select(t.spells.c.expected_discharge_date, t.spells.c.clinical_criteria).where(
            t.spells.c.spell_key == spell_key
        ),
    )
    assert [tuple(r) for r in stored] == [(datetime(2031, 2, 3).date(), "walking with a frame")]  # type: ignore[arg-type]


def test_bad_form_input_names_the_field(site: Site) -> None:
    client = signed_in(site, "flow@rx1.test")
    ward = rx1_ward_with_patients(site)
    spell_key = re.findall(r'href="/spells/([^"]+)"', client.get(f"/wards/{ward}").text)[0]
    page = client.get(f"/spells/{spell_key}").text
    seen = re.search(r'id="form-criteria".*?name="seen" value="([^"]*)"', page, re.DOTALL).group(1)  # type: ignore[union-attr]
    answer = client.post(
        f"/spells/{spell_key}/record/criteria",
        data={"csrf_token": csrf_of(page), "seen": seen, "view": "page", "meets": "no",
              "discharge_ready_date": "31/12/2026"},
    )  # fmt: skip
    assert answer.status_code == 400
    assert "discharge ready date" in answer.text and "31/12/2026" in answer.text


def test_a_user_is_added_from_the_command_line_with_clear_errors(site: Site) -> None:
    bad_role = homeflow(site.url, "user", "add", "x@y.test", "--org", "RX1", "--role", "boss",
                        "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert (
        bad_role.returncode == 2 and "role" in bad_role.stderr and "ward-staff" in bad_role.stderr
    )
    short = homeflow(site.url, "user", "add", "x@y.test", "--org", "RX1", "--role", "analyst",
                     "--password-stdin", stdin="short\n")  # fmt: skip
    assert short.returncode == 2 and "password" in short.stderr
    unknown = homeflow(site.url, "user", "add", "x@y.test", "--org", "ZZZ", "--role", "analyst",
                       "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert unknown.returncode == 2 and "org" in unknown.stderr and "ZZZ" in unknown.stderr


# ---- In a real browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def browser_sign_in(browser: object, site: Site, email: str) -> object:
    # CSP is bypassed only so the accessibility test can inject axe-core into the page.
    page = browser.new_page(viewport={"width": 1366, "height": 900}, bypass_csp=True)  # type: ignore[attr-defined]
    page.goto(site.base + "/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/overview")
    return page


def browser_errors(page: object) -> list[str]:
    """Every script error and console error the page meets from now on."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))  # type: ignore[attr-defined]
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    return errors


def test_a_discharge_team_day_in_the_browser(site: Site, browser: object) -> None:
    """Sign in, open a whiteboard, set an EDD, mark a patient not meeting the criteria to
    reside with a delay reason, find them on the daily call, add an action, sign out."""
    page = browser_sign_in(browser, site, "flow@rx1.test")
    errors = browser_errors(page)
    ward = rx1_ward_with_patients(site)
    page.click("text=Riverside General Hospital – acute")  # type: ignore[attr-defined]
    page.click(f'a[href="/wards/{ward}"]')  # type: ignore[attr-defined]
    page.wait_for_url(f"**/wards/{ward}")  # type: ignore[attr-defined]
    # The patient who meets the criteria now, first on the board.
    row = (
        page.locator("#whiteboard tbody tr")
        .filter(has=page.locator("select[name=meets] option[value=yes][selected]"))
        .first
    )  # type: ignore[attr-defined]
    name = row.locator("td").nth(1).locator("a").inner_text()
    row_id = row.get_attribute("id")
    row.locator("input[name=expected_discharge_date]").fill("2031-05-06")
    row.locator("input[name=clinical_criteria]").fill("Off IV antibiotics")
    row.get_by_role("button", name="Save expected discharge date").click()
    row = page.locator(f"#{row_id}")
    row.locator("input[name=clinical_criteria][value='Off IV antibiotics']").wait_for()
    row.locator("select[name=meets]").select_option("no")
    today = local_date(datetime.now(UTC)).isoformat()
    row.locator("input[name=discharge_ready_date]").fill(today)
    row.get_by_role("button", name="Save criteria to reside").click()
    row = page.locator(f"#{row_id}")
    row.locator("select[name=meets] option[value=no][selected]").wait_for(state="attached")
    row.locator("select[name=reason]").select_option("CAP06")
    row.get_by_role("button", name="Save delay reason").click()
    page.locator(f"#{row_id} select[name=reason] option[value=CAP06][selected]").wait_for(
        state="attached"
    )  # type: ignore[attr-defined]

    page.click("text=Daily call")  # type: ignore[attr-defined]
    page.wait_for_url("**/daily-call")  # type: ignore[attr-defined]
    page.fill("#q", name.split(",")[0])  # type: ignore[attr-defined]
    page.get_by_role("button", name="Find").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/daily-call?*")  # type: ignore[attr-defined]
    call_row = page.locator("tr", has=page.get_by_role("link", name=name)).first  # type: ignore[attr-defined]
    assert call_row.locator("td").nth(3).inner_text().split()[0] == "1"
    call_row.locator("input[name=description]").fill("Chase home care start date")
    call_row.locator("input[name=owner]").fill("Hub lead")
    call_row.locator("input[name=owner_org]").fill("LAR01")
    call_row.get_by_role("button", name="Add action").click()
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


def test_no_serious_accessibility_violations_on_any_page(site: Site, browser: object) -> None:
    page = browser_sign_in(browser, site, "admin@qde.test")
    rx1 = browser_sign_in(browser, site, "flow@rx1.test")
    ward = rx1_ward_with_patients(site)
    rx1.goto(f"{site.base}/wards/{ward}")  # type: ignore[attr-defined]
    spell_page = rx1.locator("#whiteboard a[href^='/spells/']").first.get_attribute("href")  # type: ignore[attr-defined]
    targets = [
        (page, "/overview"),
        (page, "/overview?site=RX101"),
        (page, "/daily-call"),
        (page, "/stranded"),
        (page, "/referrals"),
        (page, "/audit"),
        (page, "/measures?level=site&place=RX101"),
        (page, "/scenarios"),
        (rx1, f"/wards/{ward}"),
        (rx1, str(spell_page)),
    ]
    anonymous = browser.new_page(bypass_csp=True)  # type: ignore[attr-defined]
    targets.append((anonymous, "/"))
    script = AXE.read_text()
    problems = {}
    for tab, path in targets:
        tab.goto(site.base + path)  # type: ignore[attr-defined]
        tab.add_script_tag(content=script)  # type: ignore[attr-defined]
        found = tab.evaluate(  # type: ignore[attr-defined]
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => v.id + ': ' + v.help + ' ' + JSON.stringify(v.nodes.slice(0, 2).map(n => n.target)))"
        )
        if found:
            problems[path] = found
    assert not problems, json.dumps(problems, indent=1)


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


def test_a_referral_is_accepted_on_a_trusted_assessment_from_the_board(site: Site) -> None:
    r, s = t.referrals, t.spells
    waiting = rows_of(
        site,
        select(r.c.spell_key, r.c.referral_id)
        .join(s, s.c.spell_key == r.c.spell_key)
        .where(
            r.c.status == "made",
            s.c.status == "admitted",
            s.c.site_code == "RX101",
        ),
    )
    spell_key, referral_id = waiting[0]  # type: ignore[misc]
    client = signed_in(site, "flow@rx1.test")
    board = client.get("/referrals").text
    answer = client.post(
        f"/spells/{spell_key}/record/referral",
        data={
            "csrf_token": csrf_of(board),
            "seen": "made",
            "view": "page",
            "next": "/referrals",
            "referral_id": referral_id,
            "step": "accept",
            "trusted_assessment": "yes",
        },
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/referrals"
    stored = rows_of(
        site,
        select(r.c.status, r.c.trusted_assessment).where(
            r.c.spell_key == spell_key, r.c.referral_id == referral_id
        ),
    )
    assert [tuple(x) for x in stored] == [("accepted", True)]  # type: ignore[arg-type]


def test_the_measures_page_rebases_at_a_change(site: Site) -> None:
    client = signed_in(site, "coordinator@qde.test")  # (the analyst is locked out by now)
    end = local_date(datetime.now(UTC))
    change = (end - timedelta(days=4)).isoformat()
    page = client.get("/measures", params={"level": "org", "place": "RX1", "rebase": change})
    assert page.status_code == 200
    assert '"phase":1' in page.text and '"phase":0' in page.text
    assert client.get("/measures", params={"rebase": "soon"}).status_code == 400


def test_an_inline_edit_works_without_javascript(site: Site) -> None:
    """The same whiteboard form, posted by a browser with no HTMX, saves and shows the board."""
    client = signed_in(site, "flow@rx1.test")
    ward = rx1_ward_with_patients(site)
    board = client.get(f"/wards/{ward}").text
    spell_key = re.findall(r'href="/spells/([^"]+)"', board)[0]
    seen = re.search(
        rf'action="/spells/{re.escape(spell_key)}/record/pathway".*?name="seen" value="([^"]*)"',
        board,
        re.DOTALL,
    ).group(1)  # type: ignore[union-attr]
    answer = client.post(
        f"/spells/{spell_key}/record/pathway",
        data={"csrf_token": csrf_of(board), "seen": seen, "view": "row", "ward": ward,
              "next": f"/wards/{ward}", "pathway": "P3"},
    )  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == f"/wards/{ward}"
    stored = rows_of(site, select(t.spells.c.pathway).where(t.spells.c.spell_key == spell_key))
    assert [tuple(r) for r in stored] == [("P3",)]  # type: ignore[arg-type]


# ---- Winter scenarios ------------------------------------------------------------------------


def test_a_coordinator_runs_scenarios_and_compares_them(site: Site, browser: object) -> None:
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
    page.close()  # type: ignore[attr-defined]


def test_only_planners_start_runs_and_bad_settings_are_named(site: Site) -> None:
    nurse = signed_in(site, "nurse@rx1.test")
    listing = nurse.get("/scenarios")
    assert listing.status_code == 200 and 'action="/scenarios/runs"' not in listing.text
    refused = nurse.post(
        "/scenarios/runs",
        data={"csrf_token": csrf_of(nurse.get("/overview").text), "model": "demo.toml", "reps": "10", "horizon": "7", "start": "census", "seed": "0"},
    )  # fmt: skip
    assert refused.status_code == 403
    coordinator = signed_in(site, "coordinator@qde.test")
    form = coordinator.get("/scenarios").text
    bad = coordinator.post(
        "/scenarios/runs",
        data={"csrf_token": csrf_of(form), "model": "demo.toml", "reps": "lots", "horizon": "9999", "start": "census", "seed": "0", "scenario": "broken.toml"},
    )  # fmt: skip
    assert bad.status_code == 400
    for named in (
        "Reps: &#39;lots&#39; is not a whole number",
        "Horizon: must be from 1 to 730",
        "broken.toml",
    ):
        assert named in bad.text, named
    before = rows_of(site, select(func.count()).select_from(t.simulation_runs))
    assert coordinator.get("/scenarios/runs/999999").status_code == 404
    assert rows_of(site, select(func.count()).select_from(t.simulation_runs)) == before
