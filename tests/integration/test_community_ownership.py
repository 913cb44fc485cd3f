"""Issue 27 through the real server on each engine: every community form is recorded only by
the organisation holding the episode (its care roles), whoever else posts it is refused and
nothing is stored; a consent belongs to its episode, shares that episode only and only what its
purpose shares; no page tells an organisation that another cares for the person unless a
consent lets it see; a failing audit write stores nothing; the open Open Referral API names no
member of staff."""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html import unescape

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text

from homeflow.domain.clock import local_date
from homeflow.domain.community.forms import FORMS
from homeflow.domain.organisations import Organisation, OrganisationType, nhs_number_check_digit
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.registry import save_registry
from homeflow.store.users import add_user
from tests.support import homeflow
from tests.web_site import PASSWORD, Site, csrf_of, rows_of, signed_in

OWNER = "cmht@rw1.test"
# Everyone else who might post on RW1's episodes: its own analyst (a role that records no
# care), the trust holding the person's earlier episode, another trust, a council and another
# system's admin.
OTHERS = {
    "analyst@rw1.test": "RW1",
    "hub@ry1.test": "RY1",
    "flow@rx1.test": "RX1",
    "social-worker@lar01.test": "LAR01",
    "admin@qzx.test": "QZX",
}
TEAM = "cmht-riverside"
# The forms the episode page posts: every community record but those made elsewhere (a team by
# the command line, an episode by the caseload's form, a directory service by its review).
MADE_ELSEWHERE = ("team-defined", "episode-opened", "directory-service")
EPISODE_FORMS = sorted(f for f in FORMS if f not in MADE_ELSEWHERE)


def today() -> date:
    return local_date(datetime.now(UTC))


def valid_fields(form: str, service_id: str) -> dict[str, str]:
    """A form filled in as the holding team would, on an episode opened 30 days ago."""
    day, later = today().isoformat(), (today() + timedelta(days=42)).isoformat()
    return {
        "contact": {"on": day, "kind": "call", "colour": "green"},
        "goal": {"description": "Keep my flat", "life_area": "housing", "success_criteria": "Rent paid", "target_date": later, "recorded_on": day},
        "plan-agreed": {"agreed_on": day, "agreed_by": "The person and their coordinator"},
        "carer": {"name": "Sam Carer", "relationship": "Sister", "assessment": "not-offered", "recorded_on": day},
        "peer-review": {"milestone": "week-12", "held_on": day, "challenge": "Is it theirs?", "outcome": "Yes", "participants": "Coordinator"},
        "discharge-decision": {"decided_on": day, "choice": "continue", "goals_met": "x", "risks": "x", "support_outside": "x", "gp_arrangements": "x", "crisis_and_reaccess": "x", "person_view": "x"},
        "check-in-started": {"last_routine_on": day, "ends_on": later},
        "episode-reopened": {"reopened_on": day, "reason": "Came back"},
        "episode-closed": {"closed_on": day, "reason": "discharged"},
        "arbitration": {"referred_on": day, "question": "Discharge?", "members": "clinical: A", "hearing_due": later},
        "consent": {"org_code": "RX2", "purpose": "direct-care", "status": "given", "on": day},
        "signpost": {"service_id": service_id, "need": "wellbeing", "on": day},
    }[form]  # fmt: skip


# What a form needs recorded first by the team, if anything.
BEFORE = {"episode-reopened": "check-in-started"}

_numbers = itertools.count(1)


def new_nhs_number() -> str:
    """A valid NHS number in the 998 range, never the demo's (999) nor another test's."""
    while True:
        first = f"998{next(_numbers) + 400_000:06d}"
        check = nhs_number_check_digit(first)
        if check is not None:
            return f"{first}{check}"


def event_count(site: Site) -> int:
    return int(rows_of(site, select(func.count()).select_from(t.events))[0][0])  # type: ignore[index]


@pytest.fixture(scope="module")
def people(shared_site: Site) -> Iterator[dict[str, httpx.Client]]:
    """A signed-in client for the owner and each other user; another ICB, its admin, RW1's
    analyst and a team of RY1 (added with the real command) join the demo."""
    engine = db.connect(shared_site.url)
    with engine.begin() as conn:
        save_registry(conn, [Organisation("QZX", "Another ICB", OrganisationType.ICB)], [], [])
    add_user(engine, "admin@qzx.test", "QZX", "admin", PASSWORD)
    add_user(engine, "analyst@rw1.test", "RW1", "analyst", PASSWORD)
    engine.dispose()
    made = homeflow(shared_site.url, "team", "add", "ry1-team", "--name", "Millbrook team", "--org", "RY1")  # fmt: skip
    assert made.returncode == 0, made.stderr
    clients = {
        email: signed_in(shared_site, email) for email in (OWNER, "coordinator@qde.test", *OTHERS)
    }
    yield clients
    for client in clients.values():
        client.close()


_TOKENS: weakref.WeakKeyDictionary[httpx.Client, str] = weakref.WeakKeyDictionary()


def csrf(client: httpx.Client) -> str:
    """The session's form token (one a session: read once, not before every post)."""
    if client not in _TOKENS:
        _TOKENS[client] = csrf_of(client.get("/community").text)
    return _TOKENS[client]


def open_episode(client: httpx.Client, team: str, nhs: str, **days: int) -> str:
    """An episode opened through the caseload's form; its address."""
    referral = today() - timedelta(days=days.get("referral", 35))
    answer = client.post(
        "/community/episodes",
        data={
            "csrf_token": csrf(client), "team_code": team, "nhs_number": nhs,
            "given_name": "Ada", "family_name": "Test", "birth_date": "1980-12-10",
            "referral_received": referral.isoformat(),
            "opened_on": (referral + timedelta(days=5)).isoformat(),
        },
    )  # fmt: skip
    assert answer.status_code == 303, answer.text[-500:]
    return str(answer.headers["location"])


def post(client: httpx.Client, path: str, form: str, fields: dict[str, str]) -> httpx.Response:
    return client.post(f"{path}/{form}", data={"csrf_token": csrf(client), **fields})


def consent(
    client: httpx.Client, path: str, org: str, purpose: str = "direct-care", status: str = "given"
) -> httpx.Response:
    fields = {"org_code": org, "purpose": purpose, "status": status, "on": today().isoformat()}
    return post(client, path, "consent", fields)


def a_service(site: Site) -> str:
    with httpx.Client(base_url=site.base, timeout=30) as anyone:
        found = anyone.get("/openreferral/services", params={"taxonomy_term_id": "wellbeing"})
    return str(found.json()["contents"][0]["id"])


def test_every_form_is_recorded_only_by_the_organisation_holding_the_episode(
    shared_site: Site, people: dict[str, httpx.Client]
) -> None:
    """Each form × each other user (RY1 holding the person's first episode), without consent and
    then with a direct-care consent (so the store's rule, not the page's refusal to show the
    episode, is what refuses): 403 and the log unchanged; the holding team's own post of the
    same form is stored."""
    assert set(EPISODE_FORMS) >= {"consent", "contact", "goal"}
    service_id = a_service(shared_site)
    owner = people[OWNER]
    for form in EPISODE_FORMS:
        nhs = new_nhs_number()
        open_episode(people["hub@ry1.test"], "ry1-team", nhs, referral=40)  # the person's first
        path = open_episode(owner, TEAM, nhs)
        if form in BEFORE:
            assert post(owner, path, BEFORE[form], valid_fields(BEFORE[form], service_id)).status_code == 303  # fmt: skip
        fields = valid_fields(form, service_id)
        for consented in (False, True):
            if consented:
                for org in {o for o in OTHERS.values() if o != "RW1"}:
                    assert consent(owner, path, org).status_code == 303
            for email in OTHERS:
                before = event_count(shared_site)
                answer = post(people[email], path, form, fields)
                assert answer.status_code == 403, (form, email, consented, answer.status_code)
                assert event_count(shared_site) == before, (form, email)
        before = event_count(shared_site)
        done = post(owner, path, form, fields)
        assert done.status_code == 303, (form, done.text[-600:])
        assert event_count(shared_site) == before + 1, form


def test_only_the_teams_organisation_takes_someone_onto_its_caseload(
    shared_site: Site, people: dict[str, httpx.Client]
) -> None:
    for email in OTHERS:
        before = event_count(shared_site)
        client = people[email]
        answer = client.post(
            "/community/episodes",
            data={
                "csrf_token": csrf(client), "team_code": TEAM, "nhs_number": new_nhs_number(),
                "given_name": "Ada", "family_name": "Test", "birth_date": "1980-12-10",
                "referral_received": "2026-01-05", "opened_on": "2026-01-12",
            },
        )  # fmt: skip
        assert answer.status_code == 403, (email, answer.status_code)
        assert event_count(shared_site) == before
    open_episode(people[OWNER], TEAM, new_nhs_number())


def shown(client: httpx.Client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return unescape(answer.text)


def test_a_consent_is_its_episodes_and_shares_what_its_purpose_shares(
    shared_site: Site, people: dict[str, httpx.Client]
) -> None:
    """Finding 5: RY1 opened the person's first episode, RW1 a second with a plan. RY1's
    consents (for itself, and for the council for carer support) open nothing of RW1's; the
    council sees of RY1's episode what a carer needs, not the plan; RW1 records and withdraws
    consent on its own episode, and nobody records it on another's."""
    ry1, rw1, council = people["hub@ry1.test"], people[OWNER], people["social-worker@lar01.test"]
    nhs = new_nhs_number()
    ry1_path = open_episode(ry1, "ry1-team", nhs, referral=40)
    rw1_path = open_episode(rw1, TEAM, nhs)
    day, later = today().isoformat(), (today() + timedelta(days=60)).isoformat()
    goal = {"life_area": "work", "success_criteria": "x", "target_date": later, "recorded_on": day}
    assert post(rw1, rw1_path, "goal", {"description": "RW1 plan words", **goal}).status_code == 303
    assert post(ry1, ry1_path, "goal", {"description": "RY1 plan words", **goal}).status_code == 303
    carer = {"name": "Carer Kim", "relationship": "Son", "assessment": "not-offered", "recorded_on": day}  # fmt: skip
    assert post(ry1, ry1_path, "carer", carer).status_code == 303
    before = event_count(shared_site)
    assert consent(ry1, ry1_path, "RY1").status_code == 400  # its own: it sees it already
    assert consent(ry1, rw1_path, "RY1").status_code == 403  # not its episode
    assert consent(ry1, rw1_path, "LAR01", "carer-support").status_code == 403
    assert consent(rw1, ry1_path, "RW1").status_code == 403
    assert event_count(shared_site) == before
    assert consent(ry1, ry1_path, "LAR01", "carer-support").status_code == 303
    for client in (ry1, council):
        assert client.get(rw1_path).status_code == 403
    carer_view = shown(council, ry1_path)
    assert "Carer Kim" in carer_view and "RY1 plan words" not in carer_view
    assert "RW1 plan words" not in carer_view and rw1_path not in carer_view
    for letter in ("summary", "gp-letter"):
        assert council.get(f"{ry1_path}/letters/{letter}").status_code == 403
    caseload = shown(council, "/community?team=ry1-team")
    assert ry1_path in caseload and "RY1 plan words" not in caseload
    # RW1 keeps its own episode's consent: given, then withdrawn, and it holds.
    assert consent(rw1, rw1_path, "RY1").status_code == 303
    assert "RW1 plan words" in shown(ry1, rw1_path)
    assert "RY1 plan words" not in shown(ry1, rw1_path)  # RW1's page shows RW1's episode
    assert consent(rw1, rw1_path, "RY1", status="withdrawn").status_code == 303
    assert ry1.get(rw1_path).status_code == 403
    assert consent(rw1, rw1_path, "LAR01", "carer-support", "withdrawn").status_code == 303


def test_a_page_names_no_other_organisation_caring_for_the_person_without_consent(
    shared_site: Site, people: dict[str, httpx.Client]
) -> None:
    """Finding 6: RW1's episode closed, and RY1 took the person on within 90 days; RW1's page
    neither links to RY1's episode nor lists RY1's consents until RY1's episode shares itself
    with RW1 for direct care."""
    ry1, rw1 = people["hub@ry1.test"], people[OWNER]
    nhs = new_nhs_number()
    rw1_path = open_episode(rw1, TEAM, nhs, referral=80)
    closed = (today() - timedelta(days=20)).isoformat()
    assert post(rw1, rw1_path, "episode-closed", {"closed_on": closed, "reason": "discharged"}).status_code == 303  # fmt: skip
    ry1_path = open_episode(ry1, "ry1-team", nhs, referral=10)
    assert consent(ry1, ry1_path, "LAR01").status_code == 303
    ry1_id = ry1_path.rsplit("/", 1)[1]
    page = rw1.get(rw1_path).text
    assert ry1_id not in page and "referred again" not in page
    assert "LAR01" not in page and "RY1" not in page
    assert consent(ry1, ry1_path, "RW1").status_code == 303
    page = rw1.get(rw1_path).text
    assert ry1_id in page and "referred again" in page
    assert "LAR01" not in page  # RY1's other consents stay RY1's business


AUDIT_DOWN = {
    "sqlite": [
        "CREATE TRIGGER no_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit down'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$",
        "CREATE TRIGGER no_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION no_audit()",
    ],
}  # fmt: skip
AUDIT_UP = {
    "sqlite": ["DROP TRIGGER no_audit"],
    "postgresql": ["DROP TRIGGER no_audit ON audit_log", "DROP FUNCTION no_audit()"],
}


def run_sql(site: Site, statements: list[str]) -> None:
    engine = create_engine(site.url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def test_a_write_whose_audit_row_fails_stores_nothing(
    shared_site: Site, people: dict[str, httpx.Client]
) -> None:
    """Every community write route with the audit table refusing inserts (a real trigger):
    the request fails and the log is as it was."""
    owner, coordinator = people[OWNER], people["coordinator@qde.test"]
    path = open_episode(owner, TEAM, new_nhs_number())
    service_id = a_service(shared_site)
    posts = [
        (owner, f"{path}/{form}", valid_fields(form, service_id))
        for form in EPISODE_FORMS
        if form not in BEFORE
    ]
    posts.append((owner, "/community/episodes", {"team_code": TEAM, "nhs_number": new_nhs_number(), "given_name": "A", "family_name": "B", "birth_date": "1980-01-01", "referral_received": "2026-01-05", "opened_on": "2026-01-12"}))  # fmt: skip
    posts.append((coordinator, f"/community/directory/{service_id}/review", {"rating": "Good", "reviewed_on": today().isoformat()}))  # fmt: skip
    tokens = {id(c): csrf(c) for c in (owner, coordinator)}
    kind = "postgresql" if shared_site.url.startswith("postgresql") else "sqlite"
    before = event_count(shared_site)
    run_sql(shared_site, AUDIT_DOWN[kind])
    try:
        for client, target, fields in posts:
            answer = client.post(target, data={"csrf_token": tokens[id(client)], **fields})
            assert answer.status_code >= 500, (target, answer.status_code)
            assert event_count(shared_site) == before, target
    finally:
        run_sql(shared_site, AUDIT_UP[kind])
    done = owner.post(posts[0][1], data={"csrf_token": tokens[id(owner)], **posts[0][2]})
    assert done.status_code == 303 and event_count(shared_site) == before + 1


def test_the_open_apis_carry_no_email(shared_site: Site, people: dict[str, httpx.Client]) -> None:
    """Finding 13: after a member of staff reviews a service, every route that answers without
    sign-in (found from the app's own description) answers with no email address in it."""
    coordinator = people["coordinator@qde.test"]
    page = coordinator.get("/community/directory")
    service_id = re.findall(r'action="/community/directory/([^/"]+)/review"', page.text)[0]
    review = {"csrf_token": csrf_of(page.text), "rating": "Good", "reviewed_on": today().isoformat()}  # fmt: skip
    assert coordinator.post(f"/community/directory/{service_id}/review", data=review).status_code == 303  # fmt: skip
    paths = coordinator.get("/openapi.json").json()["paths"]
    with httpx.Client(base_url=shared_site.base, timeout=30) as anyone:
        ids = [s["id"] for s in anyone.get("/openreferral/services", params={"per_page": 100}).json()["contents"]]  # fmt: skip
        assert service_id in ids
        answered = 0
        for template, operations in paths.items():
            if "get" not in operations:
                continue
            targets = [template.replace("{service_id}", i) for i in ids] if "{service_id}" in template else [re.sub(r"\{[^}]+\}", "x", template)]  # fmt: skip
            for target in targets:
                answer = anyone.get(target, follow_redirects=False)
                if answer.status_code == 200 and "json" in answer.headers.get("content-type", ""):
                    answered += 1
                    assert "@" not in answer.text, (target, answer.text[:300])
    assert answered > len(ids)  # the list and every service, at least


def test_the_directory_is_assured_by_its_own_systems_coordinators_and_admins_only(
    shared_site: Site, people: dict[str, httpx.Client]
) -> None:
    """Another ICB's admin, and anyone below coordinator, cannot rate this system's services;
    the page offers the form only to those who may."""
    service_id = a_service(shared_site)
    path = f"/community/directory/{service_id}/review"
    fields = {"rating": "Requires improvement", "reviewed_on": today().isoformat()}
    before = event_count(shared_site)
    for email in ("admin@qzx.test", "flow@rx1.test", "analyst@rw1.test"):
        client = people[email]
        page = client.get("/community/directory")
        assert f'action="{path}"' not in page.text, email
        answer = client.post(path, data={"csrf_token": csrf(client), **fields})
        assert answer.status_code == 403, (email, answer.status_code)
    assert event_count(shared_site) == before
    coordinator = people["coordinator@qde.test"]
    assert f'action="{path}"' in coordinator.get("/community/directory").text
    answer = coordinator.post(path, data={"csrf_token": csrf(coordinator), **fields})
    assert answer.status_code in (200, 303), answer.text[-500:]
    assert event_count(shared_site) == before + 1
