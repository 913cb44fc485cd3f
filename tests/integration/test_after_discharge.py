"""Support after discharge: the providers' episodes CSV, and the outcomes measured on the demo
checked against an independent count over the stored events.

The independent count reads the raw event rows (admissions' birth dates, the last pathway
assigned, discharges, every version of every episode) with plain SQL and JSON, and works the
measures out from their definitions (docs/outcomes.md), without homeflow's folds or queries."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from homeflow.demo import system
from homeflow.domain import events as ev
from homeflow.domain.clock import local_date
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.eventlog import EventLog
from homeflow.store.registry import save_registry
from homeflow.store.users import add_user
from tests.conftest import ENGINES, demo_database, fresh_database, url_of
from tests.support import ServerProcess, homeflow
from tests.web_site import PASSWORD, Site, signed_in

ENGLAND = ZoneInfo("Europe/London")
HEADER = "episode_id,spell_key,kind,provider,start,planned_end,end,hours_at_start,hours_at_end,outcome,at_91_days,referrer\n"


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, date]]:
    """A demo of 100 days ending yesterday (long enough for follow-ups at 91 days)."""
    yesterday = local_date(datetime.now(UTC)) - timedelta(days=1)
    with (
        tempfile.TemporaryDirectory() as folder,
        demo_database(
            "sqlite", Path(folder), "--days", "100", "--end", yesterday.isoformat(), "--seed", "11"
        ) as url,
    ):
        yield url, yesterday


def independent_measures(
    url: str, start: date, end: date, today: date
) -> dict[str, tuple[int, int]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT seq, type, spell_key, occurred_at, payload FROM events "
                "WHERE type IN ('admitted', 'pathway-assigned', 'discharged', "
                "'support-episode-recorded') ORDER BY seq"
            )
        ).all()
    engine.dispose()
    born: dict[str, date] = {}
    pathway: dict[str, str] = {}
    left: dict[str, tuple[date, bool, str | None]] = {}
    latest: dict[str, dict[str, object]] = {}
    for _seq, kind, spell_key, occurred_at, payload in rows:
        data = json.loads(payload)
        if kind == "admitted" and data.get("birth_date"):
            born[spell_key] = date.fromisoformat(data["birth_date"])
        elif kind == "pathway-assigned":
            pathway[spell_key] = data["pathway"]
        elif kind == "discharged":
            when = (
                occurred_at
                if isinstance(occurred_at, datetime)
                else datetime.fromisoformat(str(occurred_at))
            )
            day = when.replace(tzinfo=UTC).astimezone(ENGLAND).date()
            left[spell_key] = (day, bool(data.get("died")), pathway.get(spell_key))
        elif kind == "support-episode-recorded":
            latest[str(data["episode_id"])] = data
    first: dict[str, dict[str, object]] = {}
    for episode in sorted(latest.values(), key=lambda e: (str(e["start"]), str(e["episode_id"]))):
        first.setdefault(str(episode["spell_key"]), episode)
    ascof_of = ascof_home = bedded_of = bedded = 0
    for spell_key, (day, died, way) in left.items():
        if not start <= day <= end or died:
            continue
        if way in ("P1", "P2", "P3"):
            bedded_of += 1
            bedded += way in ("P2", "P3")
        birth = born.get(spell_key)
        if birth is None:
            continue
        age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
        episode = first.get(spell_key)
        if (
            age >= 65
            and episode
            and episode["kind"] == "reablement"
            and day + timedelta(days=91) <= today
        ):
            ascof_of += 1
            ascof_home += episode.get("at_91_days") == "at-home"
    return {"ascof": (ascof_home, ascof_of), "bedded": (bedded, bedded_of)}


def test_the_demo_outcomes_agree_with_an_independent_count(demo: tuple[str, date]) -> None:
    url, last = demo
    # Discharges whose 91st day fell within the demo: those due today were not yet followed
    # up when it ended, and count as not traced.
    start, end = last - timedelta(days=99), last - timedelta(days=91)
    today = local_date(datetime.now(UTC))
    done = homeflow(
        url, "outcomes", "--from", start.isoformat(), "--to", end.isoformat(), "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    rows = {r["measure"]: r for r in json.loads(done.stdout)}
    ascof = rows["ASCOF 2B(1) at home 91 days after reablement (65+)"]
    bedded = rows["Placements to bedded settings (P2-P3 of P1-P3)"]
    expected = independent_measures(url, start, end, today)
    assert (ascof["counted"], ascof["of"]) == expected["ascof"]
    assert (bedded["counted"], bedded["of"]) == expected["bedded"]
    # The demo is near the national figure (ASCOF 2B(1) about 80%) and has people in it.
    assert ascof["of"] > 50 and 70 <= ascof["percent"] <= 90
    assert bedded["of"] > 100


def test_the_demo_built_again_writes_no_episode_twice(demo: tuple[str, date]) -> None:
    url, last = demo
    engine = create_engine(url)
    count = (
        select(func.count())
        .select_from(t.events)
        .where(t.events.c.type == "support-episode-recorded")
    )
    with engine.connect() as conn:
        before = conn.scalar(count)
    # Unmeasured: tests/integration/test_demo.py measures the demo's code.
    again = homeflow(
        url, "demo", "--days", "100", "--end", last.isoformat(), "--seed", "11", measured=False
    )
    assert again.returncode == 0, again.stderr
    with engine.connect() as conn:
        assert conn.scalar(count) == before and before
        payloads = conn.execute(
            text("SELECT payload FROM events WHERE type = 'support-episode-recorded'")
        ).scalars()
        for data in map(json.loads, payloads):  # nothing dated after the demo's last day
            assert date.fromisoformat(data["start"]) <= last, data
            assert "end" not in data or date.fromisoformat(data["end"]) <= last, data
    engine.dispose()


@pytest.fixture(params=ENGINES)
def discharged(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A database with one discharged spell (RX1:V1, out 10/03/2026) and one still in."""
    with fresh_database(request.param, tmp_path) as engine:
        url = url_of(engine)
        with engine.begin() as conn:
            save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
        at = datetime(2026, 3, 1, 10, tzinfo=UTC)
        out = datetime(2026, 3, 10, 10, tzinfo=UTC)
        admitted = ev.Admitted("P1", "RX101", "RX101-M01", birth_date=date(1940, 1, 1))
        result = EventLog(engine).append(
            [
                ev.Event("a1", "test", at, at, "RX1:V1", admitted),
                ev.Event("d1", "test", out, out, "RX1:V1", ev.Discharged()),
                ev.Event("a2", "test", at, at, "RX1:V2", ev.Admitted("P2", "RX101", "RX101-M01")),
            ]
        )
        assert not result.rejected
        yield url, engine


def events_of(engine: Engine, event_type: str) -> int:
    with engine.connect() as conn:
        count = select(func.count()).select_from(t.events).where(t.events.c.type == event_type)
        return int(conn.scalar(count) or 0)


def stored_versions(engine: Engine) -> int:
    return events_of(engine, "support-episode-recorded")


def test_episodes_are_reconciled_and_a_changed_row_is_a_new_version(
    discharged: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = discharged
    started = tmp_path / "started.csv"
    started.write_text(
        HEADER + "E1,RX1:V1,reablement,LAR01,2026-03-10,2026-04-21,,14,,,,hospital\n"
    )
    assert homeflow(url, "ingest", "episodes", str(started)).returncode == 0
    assert homeflow(url, "ingest", "episodes", str(started)).returncode == 0  # nothing new
    assert stored_versions(engine) == 1
    ended = tmp_path / "ended.csv"
    ended.write_text(
        HEADER
        + "E1,RX1:V1,reablement,LAR01,2026-03-10,2026-04-21,2026-04-18,14,0,no-ongoing-support,at-home,hospital\n"
    )
    done = homeflow(url, "ingest", "episodes", str(ended))
    assert done.returncode == 0 and "stored: 1" in done.stderr
    assert stored_versions(engine) == 2


# Bad cells the file's reader finds (every one reported, each with its line) ...
UNREADABLE = (
    (
        "E2,RX1:V1,reablement,LAR01,2026-03-12,,2026-03-11,,,,,",
        "end: 2026-03-11 is before the start",
    ),
    ("E3,RX1:V1,home-care,HC-A,2026-03-10,,,lots,,,,", "hours_at_start: 'lots' is not a number"),
    (
        "E4,RX1:V1,home-care,HC-A,2026-03-10,,,200,,,,",
        "hours_at_start: 200 is not from 0 to 168 hours a week",
    ),
    ("E5,RX1:V1,home-care,,2026-03-10,,,,,,,", "provider: is required"),
    ("E6,RX1:V1,massage,HC-A,2026-03-10,,,,,,,", "kind: 'massage' is not one of"),
    ("E7,RX1:V1,home-care,HC-A,10/03/2026,,,,,,,", "start:"),
    (
        "E8,RX1:V1,home-care,HC-A,2026-03-10,,,,,same-package,,",
        "outcome: needs the end of the episode",
    ),
)
# ... and episodes that read well but cannot follow their stays.
UNFOLLOWABLE = (
    ("E2,RX1:V9,reablement,LAR01,2026-03-10,,,,,,,", "spell_key: 'RX1:V9' is not a known spell"),
    ("E3,RX1:V2,reablement,LAR01,2026-03-10,,,,,,,", "spell_key: 'RX1:V2' has not been discharged"),
    (
        "E4,RX1:V1,reablement,LAR01,2026-03-09,,,,,,,",
        "start: 2026-03-09 is before the discharge (2026-03-10)",
    ),
)


def test_bad_episodes_name_line_and_field_and_store_nothing(
    discharged: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = discharged
    good = "E1,RX1:V1,reablement,LAR01,2026-03-10,2026-04-21,,14,,,,hospital\n"
    for name, rows in (("unreadable", UNREADABLE), ("unfollowable", UNFOLLOWABLE)):
        path = tmp_path / f"{name}.csv"
        path.write_text(HEADER + good + "".join(row + "\n" for row, _ in rows))
        done = homeflow(url, "ingest", "episodes", str(path))
        assert done.returncode == 2, done.stderr
        for line, (_, problem) in enumerate(rows, start=3):
            assert f"line {line}, {problem}" in done.stderr, (problem, done.stderr)
        assert stored_versions(engine) == 0


def test_a_file_without_a_required_column_is_refused(
    discharged: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = discharged
    path = tmp_path / "episodes.csv"
    path.write_text("episode_id,spell_key,kind,start\nE1,RX1:V1,reablement,2026-03-10\n")
    done = homeflow(url, "ingest", "episodes", str(path))
    assert done.returncode == 2 and "provider: column is missing" in done.stderr
    assert stored_versions(engine) == 0


def test_every_outcome_figure_opens_to_as_many_people(demo: tuple[str, date]) -> None:
    url, last = demo
    engine = db.connect(url)
    add_user(engine, "outcomes@rx1.test", "RX1", "discharge-team", PASSWORD)
    engine.dispose()
    server = ServerProcess(url)
    try:
        site = Site(url, server.base)
        client = signed_in(site, "outcomes@rx1.test")
        start = (last - timedelta(days=95)).strftime("%d/%m/%Y")
        page = client.get("/outcomes", params={"start": start, "level": "org"})
        assert page.status_code == 200
        figures = re.findall(r'<a class="hf-figure" href="([^"]+)">(\d+)<', page.text)
        assert len(figures) > 20
        for link, figure in figures[::7]:
            listed = client.get(link.replace("&amp;", "&"))
            assert listed.status_code == 200
            rows = re.search(
                r"<p class=\"nhsuk-body\">(\d+) patients?(, adding up to (\d+))?", listed.text
            )
            assert rows is not None, listed.text[:500]
            assert int(rows.group(3) or rows.group(1)) == int(figure), link
        # Each week's point on the charts opens to the people it counts.
        spec = json.loads(
            re.search(r'id="outcome-spec-1">(.*?)</script>', page.text, re.DOTALL).group(1)  # type: ignore[union-attr]
        )
        points = [v for v in _values(spec) if "people" in v]
        week = points[0]
        listed = client.get(week["people"]).text
        shown = re.search(r"<p class=\"nhsuk-body\">(\d+) patients?", listed)
        assert shown is not None
        monday = date.fromisoformat(week["date"][:10])
        done = homeflow(url, "outcomes", "--from", monday.isoformat(), "--to", (monday + timedelta(days=6)).isoformat(), "--format", "json")  # fmt: skip
        ascof = next(r for r in json.loads(done.stdout) if r["measure"].startswith("ASCOF"))
        assert int(shown.group(1)) == ascof["counted"]
        assert week["value"] == ascof["percent"]
        _charts_by_site_pathway_and_referrer_open_to_their_people(client, start)
        _the_tree_s_demand_opens_to_its_people(client, last)
        bad = client.get("/outcomes", params={"start": "31/02/2026"})
        assert bad.status_code == 400 and 'value="31/02/2026"' in bad.text
        summary = bad.text.split("nhsuk-error-summary__list")[1].split("</ul>")[0]
        assert "From" in summary
        # The overview's community capacity: each figure opens to as many people.
        overview = client.get("/overview").text
        support = re.findall(r'<a class="hf-figure" href="(/people/support[^"]+)">(\d+)<', overview)
        assert len(support) >= 5
        for link, figure in support:
            listed = client.get(link.replace("&amp;", "&")).text
            rows = re.search(
                r"<p class=\"nhsuk-body\">(\d+) patients?(, adding up to (\d+))?", listed
            )
            assert rows is not None and int(rows.group(3) or rows.group(1)) == int(figure), link
    finally:
        server.stop()


def _charts_by_site_pathway_and_referrer_open_to_their_people(
    client: httpx.Client, start: str
) -> None:
    """Each chart's first week opens to as many people as that week's row of the outcomes
    counts, at the chart's place, and its point is that row's percentage."""
    page = client.get("/outcomes", params={"start": start, "charts": "pathway:P1"}).text
    sites = re.findall(r'<option value="site:([^"]+)"', page)
    assert sites and 'value="referrer:review"' in page
    for charts in (f"site:{sites[0]}", "pathway:P1", "referrer:hospital"):
        page = client.get("/outcomes", params={"start": start, "charts": charts}).text
        specs = re.findall(r'id="outcome-spec-\d+">(.*?)</script>', page, re.DOTALL)
        assert specs, charts
        for spec in specs:
            week = next(v for v in _values(json.loads(spec)) if "people" in v)
            query = dict(parse_qsl(urlsplit(str(week["people"])).query))
            listed = client.get(str(week["people"])).text
            shown = re.search(
                r"<p class=\"nhsuk-body\">(\d+) patients?(, adding up to (\d+))?", listed
            )
            assert shown is not None, listed[:300]
            window = {k: query[k] for k in ("start", "end", "level")}
            table = client.get("/outcomes", params=window).text
            row = re.search(
                rf'<td class="nhsuk-table__cell">{re.escape(query["place"])}</td>\s*'
                rf'<td class="nhsuk-table__cell">{re.escape(query["measure"])}</td>\s*'
                r'<td class="nhsuk-table__cell hf-num">(?:<a[^>]*>)?(\d+).*?'
                r'<td class="nhsuk-table__cell hf-num">(?:<a[^>]*>)?\d+.*?'
                r'<td class="nhsuk-table__cell hf-num">([\d.]+)</td>',
                table,
                re.DOTALL,
            )
            assert row is not None, (charts, query)
            assert int(shown.group(3) or shown.group(1)) == int(row.group(1)), (charts, query)
            assert week["value"] == float(row.group(2)), (charts, query)
    wrong = client.get("/outcomes", params={"charts": "pathway:P9"})
    assert wrong.status_code == 400 and "charts" in wrong.text


def _the_tree_s_demand_opens_to_its_people(client: httpx.Client, last: date) -> None:
    """Each demand lever measured on people lists as many as it counts; referrals a week are
    those counted over the eight weeks."""
    page = client.get("/home-care", params={"day": f"{last:%d/%m/%Y}"}).text
    rows = re.findall(
        r'<td class="nhsuk-table__cell">([^<]+)</td>\s*<td class="nhsuk-table__cell">demand</td>'
        r'\s*<td class="nhsuk-table__cell hf-num">([\d,.]+)</td>.*?'
        r'<a class="hf-figure" href="(/home-care/people[^"]+)">([\d,]+)<',
        page,
        re.DOTALL,
    )
    assert len(rows) == 6, rows
    for lever, now, link, figure in rows:
        listed = client.get(link.replace("&amp;", "&")).text
        shown = re.search(
            r"<p class=\"nhsuk-body\">([\d,]+) patients?(, adding up to ([\d,]+))?", listed
        )
        assert shown is not None, listed[:300]
        count = int(figure.replace(",", ""))
        assert int((shown.group(3) or shown.group(1)).replace(",", "")) == count, lever
        if lever.startswith("Referrals from"):
            assert float(now.replace(",", "")) == pytest.approx(
                int(figure.replace(",", "")) / 8, abs=0.01
            )
    wrong = client.get("/home-care/people", params={"lever": "posts"})
    assert wrong.status_code == 400 and "lever" in wrong.text


CAPACITY_HEADER = "provider,kind,on,commissioned,carers,contracted_hours,delivered_hours,vacancies,travel_share,start_delay_days\n"


def capacity_returns(engine: Engine) -> int:
    return events_of(engine, "provider-capacity-recorded")


def test_capacity_returns_are_taken_in_once_and_bad_ones_name_line_and_field(
    discharged: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = discharged
    good = tmp_path / "capacity.csv"
    good.write_text(
        CAPACITY_HEADER
        + "HC-ACORN,home-care,2026-11-02,40,36,800,760,4,0.2,3\n"
        + "CH-MAPLES,care-home,2026-11-02,30,,,,5,,\n"
    )
    assert homeflow(url, "ingest", "capacity", str(good)).returncode == 0
    again = homeflow(url, "ingest", "capacity", str(good))
    assert again.returncode == 0 and "stored: 0" in again.stderr
    assert capacity_returns(engine) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text(
        CAPACITY_HEADER
        + "HC-ACORN,home-care,2026-11-09,,36,800,760,4,0.2,3\n"
        + "HC-ACORN,home-care,2026-11-16,ten,36,800,760,4,0.2,3\n"
        + "HC-ACORN,home-care,2026-11-23,40,36,800,760,4,1.5,3\n"
    )
    done = homeflow(url, "ingest", "capacity", str(bad))
    assert done.returncode == 2
    for problem in (
        "line 2, commissioned: is required",
        "line 3, commissioned: 'ten' is not a whole number",
        "line 4, travel_share: must be a share from 0 up to 1",
    ):
        assert problem in done.stderr, done.stderr
    assert capacity_returns(engine) == 2


def test_the_home_care_tree_adds_up_and_each_lever_saves_bed_days_with_an_interval(
    demo: tuple[str, date], tmp_path: Path
) -> None:
    url, last = demo
    model = tmp_path / "model.toml"
    made = homeflow(url, "calibrate", "--from", (last - timedelta(days=60)).isoformat(), "--to", last.isoformat(), "--out", str(model))  # fmt: skip
    assert made.returncode == 0, made.stderr
    done = homeflow(url, "home-care", "tree", "--date", last.isoformat(), "--model", str(model), "--reps", "10", "--days", "14", "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    gap = next(r for r in found["tree"] if r["lever"] == "Gap")["hours_of_gap"]
    levers = [r for r in found["tree"] if r["side"]]
    assert len(levers) == 12
    assert round(sum(r["hours_of_gap"] for r in levers), 1) == gap
    assert len(found["effects"]) == 12
    for effect in found["effects"]:
        assert (
            effect["bed_days_saved_p5"]
            <= effect["bed_days_saved_mean"]
            <= effect["bed_days_saved_p95"]
        )
    # Against the market four weeks before, the levers share out the gap's change.
    then = (last - timedelta(weeks=4)).isoformat()
    since = homeflow(url, "home-care", "tree", "--date", last.isoformat(), "--against", then, "--format", "json")  # fmt: skip
    earlier = homeflow(url, "home-care", "tree", "--date", then, "--format", "json")
    assert since.returncode == 0 and earlier.returncode == 0, since.stderr + earlier.stderr
    changed = json.loads(since.stdout)["tree"]
    gap_row = next(r for r in changed if r["lever"] == "Gap")
    gap_then = next(r for r in json.loads(earlier.stdout)["tree"] if r["lever"] == "Gap")
    assert gap_row["reference"] == gap_then["actual"] and gap_row["actual"] == gap
    assert gap_row["hours_of_gap"] == round(gap - gap_then["actual"], 1)
    assert round(sum(r["hours_of_gap"] for r in changed if r["side"]), 1) == gap_row["hours_of_gap"]
    wrong = homeflow(url, "home-care", "tree", "--date", "2001-01-01")
    assert wrong.returncode == 2 and "date: no home-care package started" in wrong.stderr
    later = homeflow(url, "home-care", "tree", "--date", then, "--against", last.isoformat())
    assert later.returncode == 2 and "against: must be a day before" in later.stderr


def _values(spec: object) -> list[dict[str, object]]:
    """Every data row in a Vega-Lite spec, wherever its layers keep them."""
    found: list[dict[str, object]] = []
    if isinstance(spec, dict):
        data = spec.get("data")
        if isinstance(data, dict) and isinstance(data.get("values"), list):
            found += [v for v in data["values"] if isinstance(v, dict)]
        for value in spec.values():
            found += _values(value)
    elif isinstance(spec, list):
        for value in spec:
            found += _values(value)
    return found


def test_the_care_transfer_hub_records_an_episode_in_the_browser_s_form(
    demo: tuple[str, date],
) -> None:
    url, last = demo
    engine = db.connect(url)
    add_user(engine, "hub@rx1.test", "RX1", "discharge-team", PASSWORD)
    add_user(engine, "hub@rw1.test", "RW1", "discharge-team", PASSWORD)
    with engine.connect() as conn:
        spell_key = conn.execute(
            select(t.spells.c.spell_key)
            .where(t.spells.c.status == "discharged", t.spells.c.spell_key.like("RX1:%"))
            .order_by(t.spells.c.discharged_at.desc())
        ).first()[0]  # type: ignore[index]
    engine.dispose()
    server = ServerProcess(url)
    try:
        client = signed_in(Site(url, server.base), "hub@rx1.test")
        page = client.get(f"/spells/{spell_key}/support")
        assert page.status_code == 200 and "Record an episode" in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        form = {"csrf_token": token, "episode_id": "HUB-1", "kind": "home-care", "provider": "HC-ACORN",
                "start": f"{last:%d/%m/%Y}", "hours_at_start": "lots", "referrer": "hospital"}  # fmt: skip
        refused = client.post(f"/spells/{spell_key}/support", data=form)
        assert (
            refused.status_code == 400
            and "hours_at_start: &#39;lots&#39; is not a number" in refused.text
        )
        assert 'value="HC-ACORN"' in refused.text  # what was typed is kept
        saved = client.post(f"/spells/{spell_key}/support", data={**form, "hours_at_start": "14"})
        assert saved.status_code == 303
        shown = client.get(saved.headers["location"]).text
        assert "Saved: episode HUB-1" in shown and "HC-ACORN" in shown
        early = {**form, "episode_id": "HUB-2", "hours_at_start": "7", "start": "01/01/2020"}
        before = client.post(f"/spells/{spell_key}/support", data=early)
        assert (
            before.status_code == 400 and "start: 2020-01-01 is before the discharge" in before.text
        )
        other = signed_in(Site(url, server.base), "hub@rw1.test")
        assert other.get(f"/spells/{spell_key}/support").status_code == 403
    finally:
        server.stop()
    engine = db.connect(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.events.c.recorded_by, t.events.c.payload).where(
                t.events.c.source == "web", t.events.c.type == "support-episode-recorded"
            )
        ).all()
        audited = conn.scalar(select(func.count()).select_from(t.audit_log).where(t.audit_log.c.what == "support episode HUB-1"))  # fmt: skip
    engine.dispose()
    assert [(r.recorded_by, json.loads(r.payload)["episode_id"]) for r in rows] == [
        ("hub@rx1.test", "HUB-1")
    ]
    assert audited == 1
