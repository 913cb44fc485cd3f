"""Organisations kept apart, tried as an attacker would, over HTTP against a real server and
database: every write as every role of every organisation against the patients of every other,
login CSRF and cross-site posts, spreadsheet formulas, oversized bodies, out-of-range dates, the
JSON APIs without a session, and what the audit log and the server's log keep."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, func, select

from homeflow.demo.system import ORGANISATIONS, SITES, WARDS
from homeflow.domain import forms
from homeflow.domain.clock import local_date
from homeflow.domain.form_bounds import changes_nothing
from homeflow.domain.privacy import Role
from homeflow.domain.spell import fold_spell
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.access.changes import parse_change
from homeflow.store.registry import save_registry
from homeflow.store.users import TooManyAttempts, add_user, sign_in
from tests.audit_faults import audit_log_down
from tests.web_site import (
    PASSWORD,
    Site,
    csrf_of,
    rows_of,
    sign_in_form,
    signed_in,
)

TODAY = local_date(datetime.now(UTC))


def _email(org: str, role: Role) -> str:
    return f"{role.value}@{org.lower()}.sec.test"


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    """The shared demo site, with a user of every role in every organisation."""
    engine = db.connect(shared_site.url)
    for org in ORGANISATIONS:
        for role in Role:
            add_user(engine, _email(org.code, role), org.code, role.value, PASSWORD)
    engine.dispose()
    return shared_site


# A valid form of each kind: a refusal must come from who is asking, not from the form.
FORMS = {
    "edd": {"expected_discharge_date": (TODAY + timedelta(days=3)).isoformat()},
    "criteria": {"meets": "no", "discharge_ready_date": TODAY.isoformat()},
    "delay-reason": {"reason": "CAP05"},
    "pathway": {"pathway": "P1"},
    "day": {"day": TODAY.isoformat(), "colour": "green"},
    "senior-review": {"reviewer": "Dr Who"},
    "referral": {"step": "make", "service": "reablement", "provider_org": "RY1"},
    "chc-checklist": {"outcome": "positive"},
    "chc-assessment": {"assessment_date": TODAY.isoformat(), "setting": "acute"},
    "action": {"description": "=cmd|' /C calc'!A0", "owner": "Hub"},
    "stranded-review": {"outcome": "plan-agreed", "actions": "none", "reviewer": "Dr Who"},
    # A period of one day (no delayed day, so it shares none with a period the demo recorded).
    "mh-delay": {"start_date": TODAY.isoformat(), "end_date": TODAY.isoformat(),
                 "reason": "18", "attributable_to": "05"},
}  # fmt: skip
# The trust whose patient each form is tried on in the audit test: a delayed discharge period
# is recorded on a mental-health stay only.
TRIED_AT = {"mh-delay": "RW1"}


def _patients_of_each_trust(site: Site, delayed: bool = False) -> dict[str, str]:
    """A patient in hospital at each treating organisation, referred to nobody (so that
    organisation alone is involved in their care); with `delayed`, one on the daily call."""
    s, r = t.spells, t.referrals
    found = rows_of(
        site,
        select(t.sites.c.org_code, func.min(s.c.spell_key))
        .join(t.sites, t.sites.c.code == s.c.site_code)
        .where(
            s.c.status == "admitted",
            s.c.spell_key.not_in(select(r.c.spell_key)),
            *((s.c.discharge_ready_date <= TODAY,) if delayed else ()),
        )
        .group_by(t.sites.c.org_code),
    )
    return {str(org): str(key) for org, key in found}  # type: ignore[misc]


def test_no_organisation_writes_to_another_organisations_patients(site: Site) -> None:
    patients = _patients_of_each_trust(site)
    assert {"RX1", "RX2", "RY1", "RW1"} <= set(patients)
    events_before = rows_of(site, select(func.count()).select_from(t.events))
    tried: set[tuple[str, str]] = set()
    for org in ORGANISATIONS:
        others = [treating for treating in sorted(patients) if treating != org.code]
        # Each role of the organisation against another trust in turn: every pair of
        # organisations is tried, by several roles, with every form.
        for n, role in enumerate(Role):
            treating = others[n % len(others)]
            client = signed_in(site, _email(org.code, role))
            token = csrf_of(client.get("/overview").text)
            for form, fields in FORMS.items():
                if form == "action" and role is Role.SYSTEM_COORDINATOR:
                    continue  # the system's coordinator chairs the call (test_daily_call.py)
                answer = client.post(
                    f"/spells/{patients[treating]}/record/{form}",
                    data={"csrf_token": token, "seen": "", "view": "page", **fields},
                )
                assert answer.status_code == 403, (org.code, role, treating, form)
            tried.add((org.code, treating))
    assert tried == {(o.code, p) for o in ORGANISATIONS for p in patients if p != o.code}
    assert rows_of(site, select(func.count()).select_from(t.events)) == events_before
    refusals = rows_of(
        site, select(func.count()).select_from(t.audit_log).where(t.audit_log.c.action == "refused")
    )
    # Every form by every role but the coordinator's actions, which chair the call.
    assert refusals[0][0] >= len(ORGANISATIONS) * (len(Role) * len(FORMS) - 1)  # type: ignore[index]
    # And the treating trust's own team may: the refusals above came from who was asking.
    own = signed_in(site, _email("RX1", Role.DISCHARGE_TEAM))
    token = csrf_of(own.get("/overview").text)
    answer = own.post(
        f"/spells/{patients['RX1']}/record/action",
        data={"csrf_token": token, "seen": "", "view": "page", "action_id": "A-OWN",
              "description": "Ring the family", "owner": "Ward"},
    )  # fmt: skip
    assert answer.status_code == 303


def test_an_action_is_changed_only_by_its_owner_and_its_words_stay_out_of_spreadsheets(
    site: Site,
) -> None:
    spell_key = _patients_of_each_trust(site, delayed=True)["RX1"]
    trust = signed_in(site, _email("RX1", Role.DISCHARGE_TEAM))
    token = csrf_of(trust.get("/overview").text)
    added = trust.post(
        f"/spells/{spell_key}/record/action",
        data={
            "csrf_token": token, "seen": "", "view": "page", "action_id": "A-SEC-1",
            "description": "=cmd|' /C calc'!A0", "owner": "Ward", "owner_org": "RX1",
        },
    )  # fmt: skip
    assert added.status_code == 303
    # Another trust cannot mark it done, even knowing its id.
    other = signed_in(site, _email("RX2", Role.DISCHARGE_TEAM))
    answer = other.post(
        f"/spells/{spell_key}/record/action",
        data={
            "csrf_token": csrf_of(other.get("/overview").text), "seen": "open Ward",
            "view": "page", "action_id": "A-SEC-1", "description": "done by RX2",
            "owner": "RX2", "status": "done",
        },
    )  # fmt: skip
    assert answer.status_code == 403
    stored = rows_of(
        site,
        select(t.actions.c.description, t.actions.c.status).where(
            t.actions.c.action_id == "A-SEC-1"
        ),
    )
    assert [tuple(r) for r in stored] == [("=cmd|' /C calc'!A0", "open")]  # type: ignore[arg-type]
    # In the daily call's CSV no cell starts like a formula.
    exported = trust.get("/daily-call.csv").text
    # Kept, as text: quoted where it starts its cell (the patient may hold other actions).
    assert "=cmd|' /C calc'!A0" in exported
    cells = [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_a_cross_site_sign_in_or_post_is_refused(site: Site) -> None:
    anonymous = httpx.Client(base_url=site.base, timeout=30)
    form = {"email": _email("RX1", Role.WARD_STAFF), "password": PASSWORD}
    # No pre-session token: the page that posted was not homeflow's sign-in form.
    assert anonymous.post("/sign-in", data=form).status_code == 403
    token = sign_in_form(anonymous)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = anonymous.post("/sign-in", data={**form, **token}, headers=headers)
        assert refused.status_code == 403
        assert "homeflow_session" not in refused.headers.get("set-cookie", "")
    signed = anonymous.post(
        "/sign-in",
        data={**form, **token},
        headers={"Origin": site.base, "Sec-Fetch-Site": "same-origin"},
    )
    assert signed.status_code == 303
    # A new session, not any token the browser held before signing in.
    session = anonymous.cookies.get("homeflow_session")
    assert session and session != token["pre_session"]
    # A signed-in browser's post from another site is refused too, CSRF token or not.
    csrf = csrf_of(anonymous.get("/overview").text)
    refused = anonymous.post(
        "/sign-out", data={"csrf_token": csrf}, headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403
    assert anonymous.post("/sign-out", data={"csrf_token": csrf}).status_code == 303
    stale = httpx.get(f"{site.base}/overview", cookies={"homeflow_session": session}, timeout=30)
    assert stale.status_code == 303  # signed out: the old session is gone


def test_inputs_are_bounded_and_out_of_range_dates_are_named(site: Site) -> None:
    client = signed_in(site, _email("QDE", Role.SYSTEM_COORDINATOR))
    for path, field in (
        ("/measures?end=9999-12-31", "end"),
        ("/measures?start=2001-01-01&end=2026-01-01", "start"),
    ):
        answer = client.get(path)
        assert answer.status_code == 400 and field in answer.text, path
    too_big = client.post("/sign-out", content=b"x" * (2 << 20))
    assert too_big.status_code == 413
    patients = _patients_of_each_trust(site)
    nurse = signed_in(site, _email("RX1", Role.WARD_STAFF))
    long_text = nurse.post(
        f"/spells/{patients['RX1']}/record/edd",
        data={
            "csrf_token": csrf_of(nurse.get("/overview").text), "seen": "", "view": "page",
            "expected_discharge_date": TODAY.isoformat(), "clinical_criteria": "x" * 600_000,
        },
    )  # fmt: skip
    assert long_text.status_code == 400 and "clinical criteria" in long_text.text.lower()


def test_the_apis_need_a_session_or_a_token(site: Site) -> None:
    for path in ("/api/census?date=2026-01-01", "/api/feeds", "/openapi.json"):
        assert httpx.get(site.base + path, timeout=30).status_code == 401, path
    for path in ("/docs", "/redoc"):
        assert httpx.get(site.base + path, timeout=30).status_code == 404, path
    client = signed_in(site, _email("QDE", Role.ANALYST))
    yesterday = TODAY - timedelta(days=1)  # the census of a day that has ended
    assert client.get("/api/census", params={"date": yesterday.isoformat()}).status_code == 200


def test_the_audit_log_keeps_sign_ins_and_the_real_client_address(site: Site) -> None:
    email = _email("RW1", Role.WARD_STAFF)
    client = httpx.Client(base_url=site.base, timeout=30)
    client.post(
        "/sign-in",
        data={"email": email, "password": PASSWORD, **sign_in_form(client)},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    client.post("/sign-out", data={"csrf_token": csrf_of(client.get("/overview").text)})
    rows = rows_of(
        site,
        select(t.audit_log.c.action, t.audit_log.c.client).where(t.audit_log.c.user_email == email),
    )
    actions = [tuple(r) for r in rows]  # type: ignore[arg-type]
    assert ("sign-in", "127.0.0.1") in actions and ("sign-out", "127.0.0.1") in actions
    assert all(client_address != "203.0.113.9" for _, client_address in actions)


def test_wrong_passwords_from_elsewhere_do_not_lock_a_nurse_out(engine: Engine) -> None:
    with engine.begin() as conn:
        save_registry(conn, ORGANISATIONS, SITES, WARDS)
    add_user(engine, "nurse@rx1.sec.test", "RX1", "ward-staff", PASSWORD)
    for _ in range(5):
        assert sign_in(engine, "nurse@rx1.sec.test", "guess", "198.51.100.7") is None
    with pytest.raises(TooManyAttempts):
        sign_in(engine, "nurse@rx1.sec.test", PASSWORD, "198.51.100.7")
    assert sign_in(engine, "nurse@rx1.sec.test", PASSWORD, "10.1.2.3") is not None


def test_every_form_is_tried_across_organisations() -> None:
    """The forms above are every form a spell is changed with, so a new one is tried too."""
    assert set(FORMS) == set(forms.FORMS)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_no_change_is_stored_without_its_audit_row(site: Site, form: str) -> None:
    """With the audit log failing at the database, a change its team may make is refused and
    nothing is stored; once the audit log is back, the same post is stored with its row."""
    trust = TRIED_AT.get(form, "RX1")
    patient = _patients_of_each_trust(site)[trust]
    client = signed_in(site, _email(trust, Role.DISCHARGE_TEAM))
    token = csrf_of(client.get("/overview").text)
    engine = db.connect(site.url)
    with engine.connect() as conn:
        state = fold_spell(patient, proj.load_spell_events(conn, [patient])[patient])
    engine.dispose()
    fields = {**FORMS[form], "action_id": f"A-AUDIT-{form}"}
    if changes_nothing(state, parse_change(form, fields).payload):
        # Another module left the patient ready from today: a post must change something.
        fields["discharge_ready_date"] = (TODAY - timedelta(days=1)).isoformat()
    posted = {"csrf_token": token, "view": "page", **fields}
    posted["seen"] = forms.FORMS[form].reads(state, fields)

    def counts() -> tuple[object, ...]:
        found = rows_of(
            site,
            select(
                select(func.count()).select_from(t.events).scalar_subquery(),
                select(func.count()).select_from(t.audit_log).scalar_subquery(),
            ),
        )
        return tuple(found[0])  # type: ignore[arg-type]

    before = counts()
    with audit_log_down(site.url):
        answer = client.post(f"/spells/{patient}/record/{form}", data=posted)
        assert answer.status_code == 503, (form, answer.status_code)
        assert "nothing was changed" in answer.text
        assert counts() == before
    answer = client.post(f"/spells/{patient}/record/{form}", data=posted)
    assert answer.status_code == 303, (form, answer.text)
    events, audits = counts()
    assert (events, audits) == (before[0] + 1, before[1] + 1)  # type: ignore[operator]
