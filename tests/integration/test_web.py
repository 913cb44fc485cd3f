"""The web app as its users meet it over HTTP: a real server process and the real database
underneath (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select

from homeflow.domain.clock import local_date
from homeflow.store import schema as t
from tests.support import homeflow
from tests.web_site import (
    PASSWORD,
    Site,
    csrf_of,
    every_page,
    rows_of,
    rx1_ward_with_patients,
    sign_in_form,
    signed_in,
    spell_links,
)


@pytest.fixture
def site(shared_site: Site) -> Site:
    return shared_site


# ---- Sign-in, sessions and security --------------------------------------------------------


def test_every_page_needs_sign_in_and_the_cookie_is_locked_down(site: Site) -> None:
    anonymous = httpx.Client(base_url=site.base, timeout=30)
    home = anonymous.get("/")
    assert home.status_code == 200 and 'action="/sign-in"' in home.text
    for path in (
        "/overview",
        "/daily-call",
        "/stranded",
        "/referrals",
        "/audit",
        "/wards/X",
        "/community",
        "/community/directory",
        "/community/episodes/ep-0001",
    ):
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/", path
    policy = home.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert home.headers["x-frame-options"] == "DENY"
    token = sign_in_form(anonymous)
    wrong = anonymous.post(
        "/sign-in", data={"email": "nurse@rx1.test", "password": "nope", **token}
    )
    assert wrong.status_code == 401 and "not right" in wrong.text
    signed = anonymous.post(
        "/sign-in",
        data={"email": "nurse@rx1.test", "password": PASSWORD, **sign_in_form(anonymous)},
    )
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_repeated_failed_sign_ins_are_throttled(site: Site) -> None:
    client = httpx.Client(base_url=site.base, timeout=30)
    token = sign_in_form(client)
    for _ in range(5):
        wrong = {"email": "analyst@qde.test", "password": "x", **token}
        assert client.post("/sign-in", data=wrong).status_code == 401
    # Even the right password is refused while the account is throttled from this client.
    right = {"email": "analyst@qde.test", "password": PASSWORD, **token}
    refused = client.post("/sign-in", data=right)
    assert refused.status_code == 429 and "Try again" in refused.text


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    client = signed_in(site, "flow@rx1.test")
    ward = rx1_ward_with_patients(site)
    board = client.get(f"/wards/{ward}")
    spell_key = spell_links(board.text)[0]
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
    spell_key = spell_links(nurse.get(f"/wards/{ward}").text)[0]
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
    spell_key = spell_links(page)[-1]
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
    assert 'value="10/02/2031"' in answer.text  # what the second user typed is still there
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
    spell_key = spell_links(client.get(f"/wards/{ward}").text)[0]
    page = client.get(f"/spells/{spell_key}").text
    seen = re.search(r'id="form-criteria".*?name="seen" value="([^"]*)"', page, re.DOTALL).group(1)  # type: ignore[union-attr]
    answer = client.post(
        f"/spells/{spell_key}/record/criteria",
        data={"csrf_token": csrf_of(page), "seen": seen, "view": "page", "meets": "no",
              "discharge_ready_date": "31/02/2026"},
    )  # fmt: skip
    assert answer.status_code == 400
    assert "discharge ready date" in answer.text.lower() and "31/02/2026" in answer.text


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


def test_a_referral_is_accepted_on_a_trusted_assessment_from_the_board(site: Site) -> None:
    r, s = t.referrals, t.spells
    waiting = rows_of(
        site,
        select(r.c.spell_key, r.c.referral_id)
        .join(s, s.c.spell_key == r.c.spell_key)
        .where(
            r.c.status == "made",
            r.c.provider_org == "RY1",
            s.c.status == "admitted",
            s.c.site_code == "RX101",
        ),
    )
    spell_key, referral_id = waiting[0]  # type: ignore[misc]
    form = {
        "seen": "made",
        "view": "page",
        "next": "/referrals",
        "referral_id": referral_id,
        "step": "accept",
        "trusted_assessment": "yes",
    }
    # The trust that referred cannot answer its own referral: the provider does.
    trust = signed_in(site, "flow@rx1.test")
    token = csrf_of(trust.get("/referrals").text)
    refused = trust.post(f"/spells/{spell_key}/record/referral", data={**form, "csrf_token": token})
    assert refused.status_code == 403
    provider = signed_in(site, "hub@ry1.test")
    token = csrf_of(provider.get("/referrals").text)
    answer = provider.post(
        f"/spells/{spell_key}/record/referral", data={**form, "csrf_token": token}
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
    spell_key = spell_links(board)[0]
    seen = re.search(
        rf'action="/spells/{re.escape(quote(spell_key, safe=""))}/record/pathway".*?name="seen" value="([^"]*)"',
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
    # The home-care tree's levers run the same way: planners only, bad settings named.
    tree = nurse.get("/home-care")
    assert tree.status_code == 200 and 'action="/home-care/runs"' not in tree.text
    lever_run = {"csrf_token": csrf_of(tree.text), "model": "demo.toml", "reps": "10", "horizon": "7"}  # fmt: skip
    assert nurse.post("/home-care/runs", data=lever_run).status_code == 403
    form = coordinator.get("/home-care").text
    assert 'action="/home-care/runs"' in form
    bad = coordinator.post(
        "/home-care/runs",
        data={**lever_run, "csrf_token": csrf_of(form), "model": "none.toml", "reps": "0"},
    )
    assert bad.status_code == 400
    for named in (
        "Model: must be one of demo.toml, not &#39;none.toml&#39;",
        "Reps: must be from 1",
    ):
        assert named in bad.text, named
    assert rows_of(site, select(func.count()).select_from(t.simulation_runs)) == before
