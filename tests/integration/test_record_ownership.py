"""Records belong to whoever keeps them, through the real server on each engine.

Generated over every form that writes an improvement record (assessments, projects, PDSA
cycles, actions, smart-list segments, the collaborative) or an episode of support after
discharge: a user of the owner, of another trust in the same system, and of another
integrated care board posts it. Whoever may not is refused (403 or 404) and the event log is
unchanged; an id posted from elsewhere never changes the owner's record; the owner's own
write is stored. With the audit log failing at the database, no write stores anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from homeflow.domain.improvement.records import CELL_FIELDS, PdsaRecorded, ProjectRecorded
from homeflow.domain.organisations import Organisation, OrganisationType
from homeflow.store import actions as action_store
from homeflow.store import collaborative as collaborative_store
from homeflow.store import db
from homeflow.store import improvement as programme
from homeflow.store import projects as project_store
from homeflow.store import schema as t
from homeflow.store.codec import stored_local_date
from homeflow.store.registry import save_registry
from homeflow.store.users import add_user
from homeflow.web.pages import actions, collaborative, improvement, outcomes, projects, smart_list
from tests.audit_faults import audit_log_down
from tests.support import homeflow
from tests.web_site import PASSWORD, Site, csrf_of, rows_of, signed_in

OWNER = "QDE"
# A second integrated care board with a trust of its own, as the finding added to the registry.
ELSEWHERE = (
    Organisation("QZZ", "NHS Elsewhere Integrated Care Board", OrganisationType.ICB),
    Organisation("RZ1", "Elsewhere Hospitals NHS Trust", OrganisationType.ACUTE, "QZZ"),
)
USERS = {
    "analyst@rx2.test": ("RX2", "analyst"),  # another trust of the owner's system
    "flow@rx2.test": ("RX2", "discharge-team"),
    "analyst@qzz.test": ("QZZ", "analyst"),  # another integrated care board
    "flow@rz1.test": ("RZ1", "discharge-team"),  # a trust of another board
}
_unique = count(1)


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    engine = db.connect(shared_site.url)
    with engine.begin() as conn:
        save_registry(conn, ELSEWHERE, (), ())
    for email, (org, role) in USERS.items():
        add_user(engine, email, org, role, PASSWORD)
    engine.dispose()
    return shared_site


@pytest.fixture(scope="module")
def clients(site: Site) -> Iterator[dict[str, httpx.Client]]:
    """A signed-in client for each user, its session's CSRF token sent with every form."""
    emails = ["coordinator@qde.test", "nurse@rx1.test", "flow@rx1.test"]
    emails += ["social-worker@lar01.test", *USERS]
    signed = {email: signed_in(site, email) for email in emails}
    for client in signed.values():
        client.headers["X-Test-Csrf"] = csrf_of(client.get("/improvement/actions").text)
    yield signed
    for client in signed.values():
        client.close()


def _csrf(client: httpx.Client) -> dict[str, str]:
    return {"csrf_token": client.headers["X-Test-Csrf"]}


def _events(site: Site) -> int:
    return int(rows_of(site, select(func.count()).select_from(t.events))[0][0])  # type: ignore[index]


def _audit_rows(site: Site) -> int:
    return int(rows_of(site, select(func.count()).select_from(t.audit_log))[0][0])  # type: ignore[index]


def _payloads(site: Site, kind: str) -> list[dict[str, Any]]:
    e = t.events
    rows = rows_of(site, select(e.c.payload).where(e.c.type == kind).order_by(e.c.seq))
    return [json.loads(r.payload) for r in rows]  # type: ignore[attr-defined]


def _owner_records(site: Site) -> dict[str, object]:
    """The owner system's improvement records as its pages fold them."""
    engine = db.connect(site.url)
    try:
        with engine.connect() as conn:
            return {
                "assessments": {
                    k: {i: h.current for i, h in v.items()}
                    for k, v in programme.assessments(conn).items()
                    if k.system == OWNER
                },
                "projects": {
                    k: (p.current, {i: c.current for i, c in p.pdsas.items()})
                    for k, p in project_store.projects(conn).items()
                    if k[0] == OWNER
                },
                "actions": {
                    k: a for k, a in action_store.improvement_actions(conn).items() if k[0] == OWNER
                },
                "gatherings": [
                    g for g in collaborative_store.gatherings(conn) if g.system == OWNER
                ],
                "scores": [s for s in collaborative_store.scores(conn) if s.system == OWNER],
                "segments": [p for p in _all_segments(conn) if p["system"] == OWNER],
            }
    finally:
        engine.dispose()


def _all_segments(conn: Any) -> list[dict[str, object]]:
    return [
        {"system": e.payload.system, "place": e.payload.place, "reason": e.payload.reason}
        for e in programme.programme_events(conn, ("segment-set",))
    ]


def _day(iso: str) -> str:
    return f"{date.fromisoformat(iso):%d/%m/%Y}"


# --- the improvement programme's forms --------------------------------------------------


@dataclass(frozen=True)
class Write:
    """One form that writes, as its route is declared, and how to fill it in on `site`."""

    route: str
    path: Callable[[Site], str]
    form: Callable[[Site], dict[str, str]]
    # Whether the address names the owner's record (another system is refused outright);
    # otherwise the record is made in the poster's own system and must leave the owner's be.
    names_owner: bool
    files: Callable[[], dict[str, tuple[str, bytes]]] | None = None


def _entry(site: Site) -> dict[str, Any]:
    found = [
        p
        for p in _payloads(site, "assessment-entry-recorded")
        if (p["system"], p["framework"], p["assessed_on"]) == (OWNER, "hicm-2015", "2017-05-17")
    ]
    first = found[0]["entry_id"]
    return {
        "id": first,
        "seen": str(sum(p["entry_id"] == first for p in found)),
        **[p for p in found if p["entry_id"] == first][-1],
    }


def _cells(entry: dict[str, Any]) -> dict[str, str]:
    return {name: str(entry.get(name) or "") for name in CELL_FIELDS[1:]}


def _project(site: Site) -> dict[str, Any]:
    return next(p for p in _payloads(site, ProjectRecorded.TYPE) if p["system"] == OWNER)


def _pdsa(site: Site) -> dict[str, Any]:
    project = _project(site)["project_id"]
    found = [
        p
        for p in _payloads(site, PdsaRecorded.TYPE)
        if (p["system"], p["project_id"]) == (OWNER, project)
    ]
    return found[0]


def _pdsa_versions(site: Site) -> str:
    pdsa = _pdsa(site)
    key = (OWNER, pdsa["project_id"], pdsa["pdsa_id"])
    found = _payloads(site, PdsaRecorded.TYPE)
    return str(sum((p["system"], p["project_id"], p["pdsa_id"]) == key for p in found))


def _project_form(site: Site) -> dict[str, str]:
    p = _project(site)
    return {
        "project_id": f"p-{next(_unique)}",
        "title": p["title"],
        "aim": p["aim"],
        "aim_kpi": p["aim_kpi"],
        "aim_level": p["aim_level"],
        "aim_place": p["aim_place"],
        "aim_target": str(p["aim_target"]),
        "aim_by": _day(p["aim_by"]),
        "drivers": "\n".join(p["drivers"]),
        "measures": "\n".join(p["measures"]),
        "lead": p["lead"],
    }


def _pdsa_form(site: Site) -> dict[str, str]:
    p = _pdsa(site)
    names = ("change_idea", "kpi", "measure", "level", "place", "prediction", "plan_who")
    return {
        **{name: str(p[name] or "") for name in names},
        "pdsa_id": f"c-{next(_unique)}",
        "change_date": _day(p["change_date"]),
        "plan_what": "x",
        "plan_when": "x",
        "plan_where": "x",
    }


def _action_path(site: Site) -> str:
    found = [p for p in _payloads(site, "improvement-action-recorded") if p["system"] == OWNER]
    return f"/improvement/actions/{OWNER}/{found[0]['action_id']}"


def _action_status(site: Site) -> dict[str, str]:
    """The other status from the one the owner's action has now: always a change."""
    action = _action_path(site).rsplit("/", 1)[1]
    found = [
        p.get("status", "open")
        for p in _payloads(site, "improvement-action-recorded")
        if (p["system"], p["action_id"]) == (OWNER, action)
    ]
    return {"status": "done" if found[-1] != "done" else "open"}


SHEET = "Tip,Where are you now,Status,Spread,Gaps,What needs to be done,When by\n"
ASSESSMENT = "/improvement/assessments/QDE/hicm-2015/2017-05-17"
PROJECT = "/improvement/projects/{system}/{project_id}"
WRITES = {
    "segment": Write(
        "/improvement/smart-list/{level}/{place}",
        lambda _: "/improvement/smart-list/org/RX1",
        lambda _: {"segment": "3", "reason": f"reason {next(_unique)}"},
        names_owner=True,
    ),
    "import": Write(
        "/improvement/assessments",
        lambda _: "/improvement/assessments",
        lambda _: {"framework": "mh-top-tips", "date": f"0{next(_unique) % 9 + 1}/10/2026"},
        names_owner=False,
        files=lambda: {
            "sheet": (
                "tips.csv",
                (
                    SHEET + f"Strong housing involvement,w{next(_unique)},Established,RW1,,,\n"
                ).encode(),
            )
        },
    ),
    "edit entry": Write(
        "/improvement/assessments/{system}/{framework}/{day}/entries/{entry_id}",
        lambda site: f"{ASSESSMENT}/entries/{_entry(site)['id']}",
        lambda site: {
            **_cells(_entry(site)),
            "where_now": f"now {next(_unique)}",
            "seen": _entry(site)["seen"],
        },
        names_owner=True,
    ),
    "add entry": Write(
        "/improvement/assessments/{system}/{framework}/{day}/entries",
        lambda _: f"{ASSESSMENT}/entries",
        lambda site: {
            **_cells(_entry(site)),
            "item_code": _entry(site)["item_code"],
            "where_now": f"new {next(_unique)}",
        },
        names_owner=True,
    ),
    "add project": Write(
        "/improvement/projects", lambda _: "/improvement/projects", _project_form, False
    ),
    "add pdsa": Write(
        PROJECT + "/pdsas",
        lambda site: f"/improvement/projects/{OWNER}/{_project(site)['project_id']}/pdsas",
        _pdsa_form,
        names_owner=True,
    ),
    "update pdsa": Write(
        PROJECT + "/pdsas/{pdsa_id}",
        lambda site: (
            f"/improvement/projects/{OWNER}/{_project(site)['project_id']}"
            f"/pdsas/{_pdsa(site)['pdsa_id']}"
        ),
        lambda site: {"do_notes": f"done {next(_unique)}", "seen": _pdsa_versions(site)},
        names_owner=True,
    ),
    "add action": Write(
        "/improvement/actions",
        lambda _: "/improvement/actions",
        lambda _: {"description": f"d {next(_unique)}", "owner": "Sam", "owner_org": "RX1"},
        names_owner=False,
    ),
    "update action": Write(
        "/improvement/actions/{system}/{action_id}", _action_path, _action_status, True
    ),
    "gathering": Write(
        "/improvement/collaborative/{what}",
        lambda _: "/improvement/collaborative/gatherings",
        lambda _: {
            "gathering_id": "ls-1",  # the same id in every system: each keeps its own
            "kind": "learning-session",
            "title": f"Session {next(_unique)}",
            "starts": "02/11/2026",
        },
        names_owner=False,
    ),
    "score": Write(
        "/improvement/collaborative/{what}",
        lambda _: "/improvement/collaborative/scores",
        lambda _: {
            "team": "Riverside",  # the same team's name in every system
            "month": "2026-11",
            "score": str(0.5 * (next(_unique) % 10 + 1)),
            "scored_by": "team",
            # A score is one of ten: the notes make every post a change, never "nothing changed".
            "notes": f"note {next(_unique)}",
        },
        names_owner=False,
    ),
}
SUPPORT_ROUTE = "/spells/{spell_key}/support"


def test_every_write_route_of_the_area_is_covered() -> None:
    """The cases below are generated from WRITES: a new form must join them."""
    routers = (improvement, projects, actions, smart_list, collaborative, outcomes)
    declared = {
        route.path  # type: ignore[attr-defined]
        for module in routers
        for route in module.router.routes
        if "POST" in getattr(route, "methods", set())
    }
    assert declared == {w.route for w in WRITES.values()} | {SUPPORT_ROUTE}


def _post(client: httpx.Client, site: Site, write: Write) -> httpx.Response:
    files = write.files() if write.files else None
    return client.post(write.path(site), data={**_csrf(client), **write.form(site)}, files=files)


# Who posts: (user, may they keep the owner's records?)
POSTERS = {
    "the owner": ("coordinator@qde.test", True),
    "another trust of the system": ("analyst@rx2.test", True),
    "a ward nurse of the system": ("nurse@rx1.test", False),
    "another integrated care board": ("analyst@qzz.test", False),
}


@pytest.mark.parametrize("poster", POSTERS)
@pytest.mark.parametrize("name", WRITES)
def test_improvement_records_are_changed_only_by_their_systems_keepers(
    site: Site, clients: dict[str, httpx.Client], name: str, poster: str
) -> None:
    write = WRITES[name]
    email, keeps = POSTERS[poster]
    before, owner_before = _events(site), _owner_records(site)
    answer = _post(clients[email], site, write)
    if keeps:
        assert answer.status_code == 303, answer.text
        assert _events(site) > before  # the owner's own write is stored
        return
    other_system = email.endswith("@qzz.test")
    if other_system and not write.names_owner:
        # Made in the poster's own system (its own ids, teams and places): the owner's
        # records are as they were.
        assert answer.status_code == 303, answer.text
        assert _owner_records(site) == owner_before
        return
    assert answer.status_code in (403, 404), answer.text
    assert _events(site) == before
    assert _owner_records(site) == owner_before


def test_another_boards_records_move_nothing_on_this_systems_smart_list(
    site: Site, clients: dict[str, httpx.Client]
) -> None:
    """The finding: another ICB's analyst set a segment shown on QDE's list. Its own
    records (a segment it may not set, an overdue action owned by a QDE trust) change
    nothing there, and its own list holds only its own places."""
    elsewhere = clients["analyst@qzz.test"]
    refused = elsewhere.post(
        "/improvement/smart-list/site/RX201",
        data={**_csrf(elsewhere), "segment": "4", "reason": "theirs"},
    )
    assert refused.status_code == 403
    assert "theirs" not in str(_all_segments_of(site))
    own = elsewhere.get("/improvement/smart-list", params={"level": "site"}).text
    assert 'id="RX201"' not in own
    shown = clients["coordinator@qde.test"].get("/improvement/smart-list", params={"level": "site"})
    assert 'id="RX201"' in shown.text and "theirs" not in shown.text


def _all_segments_of(site: Site) -> list[dict[str, object]]:
    engine = db.connect(site.url)
    try:
        with engine.connect() as conn:
            return _all_segments(conn)
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", WRITES)
def test_an_improvement_write_whose_audit_row_fails_stores_nothing(
    site: Site, clients: dict[str, httpx.Client], name: str
) -> None:
    write = WRITES[name]
    client = clients["coordinator@qde.test"]
    path, form = write.path(site), {**_csrf(client), **write.form(site)}
    files = write.files() if write.files else None
    before, audited = _events(site), _audit_rows(site)
    with audit_log_down(site.url):
        answer = client.post(path, data=form, files=files)
    assert answer.status_code == 503, answer.text
    assert (_events(site), _audit_rows(site)) == (before, audited)


# --- support after discharge ------------------------------------------------------------


def _discharged(site: Site, org: str, provider: str | None = None) -> str:
    s, r = t.spells, t.referrals
    query = select(s.c.spell_key).where(s.c.status == "discharged", s.c.spell_key.like(f"{org}:%"))
    if provider is not None:
        query = query.where(
            s.c.spell_key.in_(select(r.c.spell_key).where(r.c.provider_org == provider))
        )
    found = rows_of(site, query.order_by(s.c.discharged_at.desc()))
    assert found, f"no discharged {org} stay"
    return str(found[0][0])  # type: ignore[index]


def _discharge_day(site: Site, spell_key: str) -> str:
    s = t.spells
    at = rows_of(site, select(s.c.discharged_at).where(s.c.spell_key == spell_key))[0][0]  # type: ignore[index]
    return f"{stored_local_date(at):%d/%m/%Y}"


def _support(
    client: httpx.Client, site: Site, spell_key: str, episode_id: str, provider: str = "HC-ACORN"
) -> httpx.Response:
    form = {
        **_csrf(client),
        "episode_id": episode_id,
        "kind": "home-care",
        "provider": provider,
        "start": _discharge_day(site, spell_key),
        "hours_at_start": str(next(_unique) % 40 + 1),
        "referrer": "hospital",
    }
    return client.post(f"/spells/{spell_key}/support", data=form)


def _saved_id(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    return parse_qs(urlsplit(answer.headers["location"]).query)["saved"][0]


@pytest.fixture(scope="module")
def episodes(site: Site, clients: dict[str, httpx.Client]) -> dict[str, str]:
    """An RX1 stay (referred to the council) with an episode its hub recorded; an RX2 stay;
    an episode a provider's file recorded after an RX2 stay."""
    rx1 = _discharged(site, "RX1", provider="LAR01")
    rx2 = _discharged(site, "RX2")
    theirs = [
        p for p in _payloads(site, "support-episode-recorded") if p["spell_key"].startswith("RX2:")
    ]
    ours = _saved_id(_support(clients["flow@rx1.test"], site, rx1, ""))
    return {"rx1": rx1, "rx2": rx2, "ours": ours, "theirs": theirs[0]["episode_id"]}


def test_a_new_episode_from_the_form_gets_an_id_nobody_can_guess(
    site: Site, clients: dict[str, httpx.Client], episodes: dict[str, str]
) -> None:
    assert re.fullmatch(r"SUP-[0-9a-f]{32}", episodes["ours"])
    again = _saved_id(_support(clients["flow@rx1.test"], site, episodes["rx1"], ""))
    assert again != episodes["ours"]


# (poster, which stay's form, which episode's id) -> the answer; nothing stored when refused.
SUPPORT_CASES = {
    "the owner updates its episode": ("flow@rx1.test", "rx1", "ours", 303),
    "the owner posts another trust's episode id on its own stay": (
        "flow@rx1.test", "rx1", "theirs", 404,
    ),
    "another trust of the system posts it on its own stay": ("flow@rx2.test", "rx2", "ours", 404),
    "another trust of the system posts it on the owner's stay": (
        "flow@rx2.test", "rx1", "ours", 403,
    ),
    "another board's trust posts it on the owner's stay": ("flow@rz1.test", "rx1", "ours", 403),
    "the council involved in the stay, not holding the episode": (
        "social-worker@lar01.test", "rx1", "ours", 403,
    ),
    "an analyst of the owner's system": ("analyst@rx2.test", "rx1", "ours", 403),
}  # fmt: skip


@pytest.mark.parametrize("case", SUPPORT_CASES)
def test_support_episodes_are_changed_only_by_the_organisation_holding_them(
    site: Site, clients: dict[str, httpx.Client], episodes: dict[str, str], case: str
) -> None:
    email, stay, which, status = SUPPORT_CASES[case]
    episode_id = episodes[which]
    before = _payloads(site, "support-episode-recorded")
    answer = _support(clients[email], site, episodes[stay], episode_id)
    assert answer.status_code == status, answer.text
    after = _payloads(site, "support-episode-recorded")
    if status == 303:
        assert after[-1]["episode_id"] == episode_id and len(after) == len(before) + 1
    else:
        assert after == before
    # Whatever was posted, every version of the episode follows the stay it first followed.
    assert len({p["spell_key"] for p in after if p["episode_id"] == episode_id}) == 1


def test_the_provider_named_in_an_episode_may_update_it(
    site: Site, clients: dict[str, httpx.Client], episodes: dict[str, str]
) -> None:
    hub, council = clients["flow@rx1.test"], clients["social-worker@lar01.test"]
    theirs = _saved_id(_support(hub, site, episodes["rx1"], "", provider="LAR01"))
    assert _saved_id(_support(council, site, episodes["rx1"], theirs, provider="LAR01")) == theirs


def test_a_support_episode_whose_audit_row_fails_stores_nothing(
    site: Site, clients: dict[str, httpx.Client], episodes: dict[str, str]
) -> None:
    before, audited = _events(site), _audit_rows(site)
    with audit_log_down(site.url):
        for episode_id in ("", episodes["ours"]):  # a new episode, and a newer version
            answer = _support(clients["flow@rx1.test"], site, episodes["rx1"], episode_id)
            assert answer.status_code == 503, answer.text
    assert (_events(site), _audit_rows(site)) == (before, audited)


def test_a_pdsa_changed_since_its_form_was_opened_is_refused(
    site: Site, clients: dict[str, httpx.Client]
) -> None:
    write = WRITES["update pdsa"]
    coordinator, colleague = clients["coordinator@qde.test"], clients["analyst@rx2.test"]
    opened = write.form(site)  # what the coordinator's form showed
    assert _post(colleague, site, write).status_code == 303  # the colleague saves first
    before = _events(site)
    late = coordinator.post(write.path(site), data={**_csrf(coordinator), **opened})
    assert late.status_code == 409 and "analyst@rx2.test changed this cycle" in late.text
    damaged = coordinator.post(write.path(site), data={**_csrf(coordinator), **opened, "seen": "x"})
    assert damaged.status_code == 400 and "seen is missing" in damaged.text
    assert _events(site) == before


def test_a_providers_file_never_moves_an_episode_to_another_stay(
    site: Site, episodes: dict[str, str], tmp_path: Path
) -> None:
    """The CSV import (`homeflow ingest episodes`) keeps an episode with its stay too."""
    sheet = tmp_path / "episodes.csv"
    sheet.write_text(
        "episode_id,spell_key,kind,provider,start\n"
        f"{episodes['ours']},{episodes['rx2']},home-care,HC-ACORN,2020-01-01\n"
    )
    before = _events(site)
    done = homeflow(site.url, "ingest", "episodes", str(sheet))
    assert done.returncode == 2
    assert f"line 2, episode_id: '{episodes['ours']}' already follows another stay" in done.stderr
    assert _events(site) == before


def test_a_form_that_changes_nothing_says_so_and_stores_nothing(
    site: Site, clients: dict[str, httpx.Client], episodes: dict[str, str]
) -> None:
    """The same support episode posted again, and an action given the status it has, are
    answered "nothing changed", not "saved", and store nothing."""
    hub = clients["flow@rx1.test"]
    form = {
        "episode_id": episodes["ours"], "kind": "home-care", "provider": "HC-ACORN",
        "start": _discharge_day(site, episodes["rx1"]), "hours_at_start": "12",
        "referrer": "hospital",
    }  # fmt: skip
    path = f"/spells/{episodes['rx1']}/support"
    assert hub.post(path, data={**_csrf(hub), **form}).status_code == 303
    before = _events(site)
    again = hub.post(path, data={**_csrf(hub), **form})
    assert again.status_code == 303 and "unchanged=" in again.headers["location"]
    assert "Nothing changed" in hub.get(again.headers["location"]).text
    assert _events(site) == before
    coordinator = clients["coordinator@qde.test"]
    status = {"status": "done" if _action_status(site)["status"] == "open" else "open"}
    kept = coordinator.post(_action_path(site), data={**_csrf(coordinator), **status})
    assert kept.status_code == 303 and "unchanged=" in kept.headers["location"], kept.text[-300:]
    assert "Nothing changed" in coordinator.get(kept.headers["location"]).text
    assert _events(site) == before
