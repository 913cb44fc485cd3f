"""Feeds belong to their organisation (issue 27, finding 3), tried over HTTP as every role of
every organisation of a registry holding two systems: only RX1's admins and its system's admins
see RX1's feed, its messages as sent, change its mapping or replay it; every other attempt is
refused (403, audited) and stores nothing; the organisation a mapping names is never changed in
the browser, and a replay makes the feed's own organisation's spells. A mapping field of the
wrong TOML type is refused naming the field (400, or the CLI's error), never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import Engine, select

from homeflow.demo.system import ORGANISATIONS
from homeflow.domain.organisations import Organisation, OrganisationType
from homeflow.domain.privacy import Role
from homeflow.ingest.mapping import CODE_MAPS, FEED_SETTINGS
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.registry import save_registry
from homeflow.store.users import add_user
from homeflow.web.pages.feeds import router
from tests.audit_faults import audit_log_down
from tests.conftest import ENGINES, fresh_database, url_of
from tests.support import ServerProcess, homeflow
from tests.web_site import PASSWORD, Site, csrf_of, signed_in

# A second system, as the issue added: its ICB and a trust of its own.
OTHER_ICB = Organisation("QYY", "Another Integrated Care Board", OrganisationType.ICB)
OTHER_TRUST = Organisation("RZ1", "Another ICB's Trust", OrganisationType.ACUTE, "QYY")
EVERY_ORGANISATION = [o.code for o in (*ORGANISATIONS, OTHER_ICB, OTHER_TRUST)]
# Who runs RX1's feed: its own admins and its system's (QDE) admins.
RUNS_RX1 = {("RX1", Role.ADMIN), ("QDE", Role.ADMIN)}

RX1_MAPPING = '[feed]\nsource = "pas-rx1"\norganisation = "RX1"\n'
RX2_MAPPING = '[feed]\nsource = "pas-rx2"\norganisation = "RX2"\n'


def _message(control: str, site: str, patient: str, visit: str) -> bytes:
    """An admission to a ward no mapping names: held for mapping, kept as sent."""
    return (
        f"MSH|^~\\&|PAS|{site}|HF|QDE|20260330100000||ADT^A01|{control}|P|2.4\r"
        "EVN|A01|20260330100000\r"
        f"PID|1||9434765919^^^NHS^NH||{patient}||19400101|F\r"
        f"PV1|1|I|WARD 9^^04^{site}|E|||||||||||||||{visit}\r"
    ).encode()


def _email(org: str, role: Role) -> str:
    return f"{role.value}@{org.lower()}.feeds.test"


class Feeds:
    def __init__(self, url: str, base: str, mappings: Path) -> None:
        self.url, self.base, self.mappings = url, base, mappings
        self.engine: Engine = db.connect(url)
        self._clients: dict[str, tuple[httpx.Client, str]] = {}

    def client(self, org: str, role: Role) -> tuple[httpx.Client, str]:
        """A user signed in, and their session's CSRF token (any page carries it; /feeds is
        refused to most)."""
        email = _email(org, role)
        if email not in self._clients:
            client = signed_in(Site(self.url, self.base), email)
            self._clients[email] = (client, csrf_of(client.get("/overview").text))
        return self._clients[email]

    def stored(self) -> dict[str, Any]:
        """Everything a feed route could change, but the audit log."""
        with self.engine.connect() as conn:
            m = t.feed_messages
            return {
                "mappings": {p.name: p.read_bytes() for p in sorted(self.mappings.iterdir())},
                "events": list(conn.execute(select(t.events.c.key).order_by(t.events.c.key))),
                "spells": list(conn.execute(select(t.spells.c.spell_key))),
                "messages": list(
                    conn.execute(
                        select(m.c.id, m.c.outcome, m.c.field, m.c.reason, m.c.event_key)
                        .order_by(m.c.id)
                    )
                ),
            }  # fmt: skip

    def audit_after(self, last: int) -> list[Any]:
        a = t.audit_log
        with self.engine.connect() as conn:
            query = select(a.c.user_email, a.c.action, a.c.what).where(a.c.id > last)
            return list(conn.execute(query.order_by(a.c.id)))

    def last_audit(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(t.audit_log.c.id).order_by(t.audit_log.c.id.desc())).scalar() or 0)  # fmt: skip


@contextmanager
def served(url: str, mappings: Path) -> Iterator[Feeds]:
    """`homeflow serve` over the database, keeping the feeds' mappings in `mappings`."""
    server = ServerProcess(url, env={"HOMEFLOW_MAPPINGS": str(mappings)})
    site = Feeds(url, server.base, mappings)
    try:
        yield site
    finally:
        server.stop()
        site.engine.dispose()


@pytest.fixture(scope="module", params=ENGINES)
def feeds(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Feeds]:
    """Two trusts' feeds each holding a message for mapping, one feed that names no
    organisation, a user of every role in every organisation of two systems, and the server."""
    folder = tmp_path_factory.mktemp("feed-owners")
    with fresh_database(request.param, folder) as engine:
        url = url_of(engine)
        assert homeflow(url, "registry", "load-demo", measured=False).returncode == 0
        with engine.begin() as conn:
            save_registry(conn, [OTHER_ICB, OTHER_TRUST], [], [])
        for org in EVERY_ORGANISATION:
            for role in Role:
                add_user(engine, _email(org, role), org, role.value, PASSWORD)
        mappings = folder / "mappings"
        mappings.mkdir()
        (mappings / "pas-rx1.toml").write_text(RX1_MAPPING)
        (mappings / "pas-rx2.toml").write_text(RX2_MAPPING)
        for name, message, mapping in (
            ("rx1", _message("N1", "RX101", "Smith^Ann", "VISIT1"), "pas-rx1.toml"),
            ("rx2", _message("E1", "RX201", "Jones^Bob", "VISIT2"), "pas-rx2.toml"),
            ("none", _message("U1", "RX101", "Brown^Cat", "VISIT3"), None),
        ):
            (folder / f"{name}.hl7").write_bytes(message)
            args = ("--mapping", str(mappings / mapping)) if mapping else ()
            held = homeflow(url, "ingest", "hl7", str(folder / f"{name}.hl7"), *args, measured=False)  # fmt: skip
            assert "1 held" in held.stderr, held.stderr
        with served(url, mappings) as site:
            yield site


EVERYONE = [(org, role) for org in EVERY_ORGANISATION for role in Role]
# Every write under /feeds, from the app's own routes: a new one is tried here by itself.
WRITES = sorted(
    route.path.rsplit("/", 1)[1]
    for route in router.routes
    if isinstance(route, APIRoute) and "POST" in route.methods
)


def _who(case: tuple[str, Role]) -> str:
    return f"{case[0]}-{case[1].value}"


@pytest.mark.parametrize("who", EVERYONE, ids=_who)
def test_only_those_who_run_a_feed_see_it_and_its_messages_as_sent(
    feeds: Feeds, who: tuple[str, Role]
) -> None:
    client, _ = feeds.client(*who)
    page = client.get("/feeds")
    if who in RUNS_RX1:
        assert page.status_code == 200
        assert "pas-rx1" in page.text and "Smith^Ann" in page.text and "Belongs to RX1" in page.text
    elif who[1] is Role.ADMIN:
        assert page.status_code == 200
        assert "pas-rx1" not in page.text and "Smith^Ann" not in page.text
    else:
        assert page.status_code == 403 and "Smith^Ann" not in page.text
    # With two systems in the registry, nobody knows whose a feed naming no organisation is.
    assert "Brown^Cat" not in page.text


def _attempt(feeds: Feeds, who: tuple[str, Role], route: str) -> httpx.Response:
    client, token = feeds.client(*who)
    form = {"csrf_token": token}
    if route == "mapping":  # the issue's attack: RX1's feed given to another organisation
        theirs = who[0] if who[0] != "RX1" else "RX2"
        form["mapping"] = RX1_MAPPING.replace('"RX1"', f'"{theirs}"')
    return client.post(f"/feeds/pas-rx1/{route}", data=form)


def test_every_write_under_feeds_is_one_of_a_feed_and_tried_here() -> None:
    assert WRITES == ["mapping", "replay"]
    assert all(
        route.path.startswith("/feeds/{source}/")
        for route in router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
    )


@pytest.mark.parametrize("route", WRITES)
@pytest.mark.parametrize("who", [w for w in EVERYONE if w not in RUNS_RX1], ids=_who)
def test_a_feed_is_changed_and_replayed_by_nobody_else(
    feeds: Feeds, who: tuple[str, Role], route: str
) -> None:
    """Another trust's, a council's, another system's admin, RX1's other roles: refused,
    audited, and nothing stored."""
    feeds.client(*who)  # signed in before: the sign-in is audited too
    before, last = feeds.stored(), feeds.last_audit()
    answer = _attempt(feeds, who, route)
    assert answer.status_code == 403, answer.text
    assert "Smith^Ann" not in answer.text
    assert feeds.stored() == before
    audited = feeds.audit_after(last)
    assert [(a.action, f"/feeds/pas-rx1/{route}" in a.what) for a in audited] == [("refused", True)]


@pytest.mark.parametrize("route", WRITES)
def test_the_unnamed_feed_is_run_by_nobody_where_the_registry_holds_two_systems(
    feeds: Feeds, route: str
) -> None:
    client, token = feeds.client("QDE", Role.ADMIN)
    before = feeds.stored()
    form = {"csrf_token": token, "mapping": '[feed]\nsource = "hl7"\n'}
    assert client.post(f"/feeds/hl7/{route}", data=form).status_code == 403
    assert feeds.stored() == before


@pytest.mark.parametrize(
    "named",
    ['organisation = "RX2"', 'organisation = "QDE"', 'organisation = "RZ1"', ""],
    ids=["another-trust", "its-system", "another-system", "none"],
)
@pytest.mark.parametrize("who", sorted(RUNS_RX1), ids=_who)
def test_the_organisation_a_mapping_names_is_not_changed_in_the_browser(
    feeds: Feeds, who: tuple[str, Role], named: str
) -> None:
    client, token = feeds.client(*who)
    before, last = feeds.stored(), feeds.last_audit()
    mapping = f'[feed]\nsource = "pas-rx1"\n{named}\n'
    answer = client.post("/feeds/pas-rx1/mapping", data={"csrf_token": token, "mapping": mapping})
    assert answer.status_code == 400
    assert "feed.organisation" in answer.text and "must stay" in answer.text
    assert feeds.stored() == before
    # (the page shown again with the problem is a look at the messages, audited too)
    assert [a.action for a in feeds.audit_after(last) if a.action != "view"] == ["refused"]


def _toml_value(kind: str) -> str:
    return {
        "text": '"RX1"',
        "integer": "3",
        "float": "1.5",
        "boolean": "true",
        "datetime": "1979-05-27T07:32:00Z",
        "array": "[1, 2]",
        "table": '{ a = "b" }',
    }[kind]


# Every field the mapping reads, with the TOML type it must be: derived from the reader.
FEED_KIND = {str: "text", bool: "boolean"}
FIELDS = {
    "feed": "table",
    **{f"feed.{key}": FEED_KIND[kind] for key, kind in FEED_SETTINGS.items()},
    **{section: "table" for section in CODE_MAPS},
    **{f"{section}.WD9": "text" for section in CODE_MAPS},
}
WRONG = [
    (field, kind)
    for field, right in FIELDS.items()
    for kind in ("text", "integer", "float", "boolean", "datetime", "array", "table")
    if kind != right
]


def _mapping_with(field: str, kind: str) -> str:
    """RX1's mapping with `field` set to a value of `kind`."""
    feed = {"source": '"pas-rx1"', "organisation": '"RX1"'}
    value = _toml_value(kind)
    if field == "feed":
        return f"feed = {value}\n"
    section, _, key = field.partition(".")
    if section == "feed":
        feed[key] = value
    lines = ["[feed]", *(f"{k} = {v}" for k, v in feed.items())]
    if section in CODE_MAPS and key:
        lines += [f"[{section}]", f"{key} = {value}"]
    elif section in CODE_MAPS:  # a top-level key: before any [table] header
        lines.insert(0, f"{section} = {value}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("field", "kind"), WRONG)
def test_a_mapping_field_of_the_wrong_type_is_refused_naming_it(
    feeds: Feeds, field: str, kind: str
) -> None:
    client, token = feeds.client("RX1", Role.ADMIN)
    before = feeds.stored()
    answer = client.post(
        "/feeds/pas-rx1/mapping", data={"csrf_token": token, "mapping": _mapping_with(field, kind)}
    )
    assert answer.status_code == 400, answer.text
    assert f"Mapping not saved: {field} " in answer.text
    assert feeds.stored() == before


@pytest.mark.parametrize("field", list(FIELDS))
def test_the_cli_refuses_a_mapping_field_of_the_wrong_type(
    feeds: Feeds, field: str, tmp_path: Path
) -> None:
    kind = "table" if FIELDS[field] != "table" else "array"
    mapping = tmp_path / "bad.toml"
    mapping.write_text(_mapping_with(field, kind))
    before = feeds.stored()
    done = homeflow(feeds.url, "messages", "replay", "--all-rejected", "--mapping", str(mapping))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"--mapping: {field}: must be" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert feeds.stored() == before


def test_with_the_audit_log_failing_a_mapping_or_replay_stores_nothing(feeds: Feeds) -> None:
    client, token = feeds.client("RX1", Role.ADMIN)
    fixed = RX1_MAPPING + '[wards]\n"RX101/WARD 9" = "RX101-M09"\n'
    before = feeds.stored()
    with audit_log_down(feeds.url):
        saved = client.post("/feeds/pas-rx1/mapping", data={"csrf_token": token, "mapping": fixed})
        assert saved.status_code == 503
        assert feeds.stored() == before
        (feeds.mappings / "pas-rx1.toml").write_text(fixed)  # as if saved: the replay would map
        replayed = client.post("/feeds/pas-rx1/replay", data={"csrf_token": token})
        assert replayed.status_code == 503
        (feeds.mappings / "pas-rx1.toml").write_text(RX1_MAPPING)
    assert feeds.stored() == before


def test_those_who_run_the_feed_fix_its_mapping_and_replay_it_as_its_own_organisation(
    feeds: Feeds,
) -> None:
    """The positive control: the requests refused to everyone else, by RX1's admin and then
    by its system's admin. The replay ignores an organisation the request names."""
    last = feeds.last_audit()
    rx1, rx1_token = feeds.client("RX1", Role.ADMIN)
    unchanged = rx1.post("/feeds/pas-rx1/replay", data={"csrf_token": rx1_token})
    assert unchanged.status_code == 200 and "pas-rx1 replayed: 1 held" in unchanged.text
    noted = RX1_MAPPING + "# the wards to come\n"
    saved = rx1.post("/feeds/pas-rx1/mapping", data={"csrf_token": rx1_token, "mapping": noted})
    assert saved.status_code == 200 and "The pas-rx1 mapping is saved" in saved.text
    system, system_token = feeds.client("QDE", Role.ADMIN)
    fixed = noted + '[wards]\n"RX101/WARD 9" = "RX101-M09"\n'
    saved = system.post(
        "/feeds/pas-rx1/mapping", data={"csrf_token": system_token, "mapping": fixed}
    )
    assert saved.status_code == 200 and (feeds.mappings / "pas-rx1.toml").read_text() == fixed
    replayed = system.post(
        "/feeds/pas-rx1/replay", data={"csrf_token": system_token, "organisation": "RX2"}
    )
    assert replayed.status_code == 200 and "pas-rx1 replayed: 1 applied" in replayed.text
    with feeds.engine.connect() as conn:
        spells = set(conn.execute(select(t.spells.c.spell_key)).scalars())
    assert "RX1:VISIT1" in spells and not any(s.startswith("RX2:") for s in spells)
    changes = [(a.user_email, a.what.split(" (")[0].split(":")[0]) for a in feeds.audit_after(last) if a.action == "change"]  # fmt: skip
    assert changes == [
        (_email("RX1", Role.ADMIN), "feed pas-rx1 replayed as RX1"),
        (_email("RX1", Role.ADMIN), "feed mapping pas-rx1"),
        (_email("QDE", Role.ADMIN), "feed mapping pas-rx1"),
        (_email("QDE", Role.ADMIN), "feed pas-rx1 replayed as RX1"),
    ]


@pytest.fixture(params=ENGINES)
def one_system(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Feeds]:
    """The demo's registry alone (one system), a feed whose mapping names no organisation
    holding a message for mapping, RX1's admin and the system's admin."""
    with fresh_database(request.param, tmp_path) as engine:
        url = url_of(engine)
        assert homeflow(url, "registry", "load-demo", measured=False).returncode == 0
        for org in ("RX1", "QDE"):
            add_user(engine, _email(org, Role.ADMIN), org, "admin", PASSWORD)
        (tmp_path / "u.hl7").write_bytes(_message("U1", "RX101", "Brown^Cat", "VISIT3"))
        held = homeflow(url, "ingest", "hl7", str(tmp_path / "u.hl7"), measured=False)
        assert "1 held" in held.stderr, held.stderr
        mappings = tmp_path / "mappings"
        mappings.mkdir()
        with served(url, mappings) as site:
            yield site


def test_the_system_admin_gives_a_feed_naming_no_organisation_to_one_of_its_own(
    one_system: Feeds,
) -> None:
    feeds = one_system
    rx1, rx1_token = feeds.client("RX1", Role.ADMIN)
    system, system_token = feeds.client("QDE", Role.ADMIN)
    assert "Brown^Cat" not in rx1.get("/feeds").text  # nobody's feed is not RX1's to see
    claim = '[feed]\nsource = "hl7"\norganisation = "{}"\n'
    taken = rx1.post("/feeds/hl7/mapping", data={"csrf_token": rx1_token, "mapping": claim.format("RX1")})  # fmt: skip
    assert taken.status_code == 403 and not (feeds.mappings / "hl7.toml").exists()
    assert "Brown^Cat" in system.get("/feeds").text
    elsewhere = system.post("/feeds/hl7/mapping", data={"csrf_token": system_token, "mapping": claim.format("QYY")})  # fmt: skip
    assert elsewhere.status_code == 400 and "not an organisation of your system" in elsewhere.text
    assert not (feeds.mappings / "hl7.toml").exists()
    given = system.post("/feeds/hl7/mapping", data={"csrf_token": system_token, "mapping": claim.format("RX1")})  # fmt: skip
    assert given.status_code == 200 and "Belongs to RX1" in given.text
    page = rx1.get("/feeds").text
    assert "Brown^Cat" in page and "Belongs to RX1" in page
    moved = system.post("/feeds/hl7/mapping", data={"csrf_token": system_token, "mapping": claim.format("RX2")})  # fmt: skip
    assert moved.status_code == 400 and "must stay" in moved.text
    assert (feeds.mappings / "hl7.toml").read_text() == claim.format("RX1")
