"""The CLI and the census page, run as a user would: the CLI through Typer's runner (one
check through a real process), and a real server."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from homeflow.domain.flow import CENSUS_MEASURES
from homeflow.store import schema as t
from homeflow.store.queries import CENSUS_COLUMNS
from tests.conftest import ENGINES, demo_database
from tests.support import DEMO_END as END
from tests.support import SHORT_DEMO, ServerProcess, community_events, homeflow


def census_csv(url: str, day: str) -> list[dict[str, str]]:
    done = homeflow(url, "census", "--date", day, "--format", "csv")
    assert done.returncode == 0, done.stderr
    return list(csv.DictReader(io.StringIO(done.stdout)))


@pytest.fixture(scope="module", params=ENGINES)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One demo system per engine, shared by the tests that only read it (or rebuild it)."""
    with demo_database(request.param, tmp_path_factory.mktemp("demo"), *SHORT_DEMO) as url:
        yield url


def test_demo_census_and_rebuild_reproduce_every_figure(demo_url: str) -> None:
    rows = census_csv(demo_url, END)
    assert list(rows[0]) == list(CENSUS_COLUMNS)
    acute = [r for r in rows if r["org_code"] in ("RX1", "RX2")]
    beds = sum(int(r["beds"]) for r in acute)
    occupied = sum(int(r["occupied"]) for r in acute)
    assert 1400 <= beds <= 1600
    assert 0.6 * beds < occupied <= beds + 50
    assert sum(int(r["nctr"]) for r in acute) > 0
    before = {day: census_csv(demo_url, day) for day in ("2026-03-25", END)}

    done = homeflow(demo_url, "rebuild")
    assert done.returncode == 0, done.stderr
    assert {day: census_csv(demo_url, day) for day in before} == before

    teams = homeflow(demo_url, "team", "list", "--format", "csv").stdout
    community = community_events(demo_url)
    again = homeflow(demo_url, "demo", *SHORT_DEMO)
    assert "demo system: 0 events applied" in again.stderr
    assert census_csv(demo_url, END) == before[END]
    # The community teams' records are not written twice either.
    assert homeflow(demo_url, "team", "list", "--format", "csv").stdout == teams
    assert len(teams.splitlines()) == 3 and community_events(demo_url) == community > 1000


def test_census_json_filters_by_organisation(demo_url: str) -> None:
    done = homeflow(demo_url, "census", "--date", END, "--org", "RW1", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows and {r["org_code"] for r in rows} == {"RW1"}
    assert all(set(CENSUS_MEASURES) <= set(r) for r in rows)


def test_bad_cli_input_names_the_option_or_field(database_url: str) -> None:
    assert homeflow(database_url, "init-db").returncode == 0
    # The real entry point (`python -m homeflow.cli`) answers as the runner does.
    bad_date = homeflow(database_url, "census", "--date", "31/03/2026", process=True)
    assert bad_date.returncode == 2 and "--date" in bad_date.stderr
    assert bad_date.stderr.startswith("error: ") and "Traceback" not in bad_date.stderr
    bad_event = json.dumps(
        {
            "key": "k",
            "type": "pathway-assigned",
            "source": "cli",
            "occurred_at": "2026-03-01T10:00:00+00:00",
            "spell_key": "S1",
            "payload": {"pathway": "P9"},
        }
    )
    refused = homeflow(database_url, "append", "-", stdin=bad_event + "\n")
    assert refused.returncode == 2 and "pathway" in refused.stderr and "P9" in refused.stderr


def test_the_census_api_is_served_over_http(demo_url: str) -> None:
    server = ServerProcess(demo_url)
    try:
        base = server.base
        page = httpx.get(f"{base}/", timeout=10)
        assert page.status_code == 200 and "Sign in" in page.text
        # The API needs a session or a bearer token.
        assert httpx.get(f"{base}/api/census", params={"date": END}, timeout=10).status_code == 401
        assert httpx.get(f"{base}/openapi.json", timeout=10).status_code == 401
        made = homeflow(demo_url, "token", "create", "--org", "RX1")
        bearer = {"Authorization": f"Bearer {made.stdout.strip()}"}
        api = httpx.get(f"{base}/api/census", params={"date": END}, headers=bearer, timeout=10)
        api = api.json()
        assert api == [
            {
                k: (int(v) if k not in ("org_code", "site_code", "ward_code") else v)
                for k, v in r.items()
            }
            for r in census_csv(demo_url, END)
        ]
        for bad, status in (("soon", 422), ("9999-12-31", 400)):
            answer = httpx.get(
                f"{base}/api/census", params={"date": bad}, headers=bearer, timeout=10
            )
            assert answer.status_code == status, bad
        assert "date" in answer.json()["field"]
    finally:
        server.stop()


def test_the_demo_writes_the_change_it_makes_as_a_scenario(tmp_path: Path) -> None:
    from datetime import date

    from homeflow.demo.improvement import TEAM_SCENARIO_FILE, idt_start
    from homeflow.sim.scenarios import parse_scenario

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    out = tmp_path / "models" / "scenarios"  # made with its parents
    assert homeflow(url, "init-db").returncode == 0
    done = homeflow(url, "demo", "--days", "1", "--end", END, "--scenarios-out", str(out))
    assert done.returncode == 0, done.stderr
    scenario = parse_scenario((out / TEAM_SCENARIO_FILE).read_text("utf-8"))
    [(service, change)] = scenario.wait_changes
    assert service == "RX101 Riverside General Hospital"
    assert change.pathway == "P1" and change.start == idt_start(date.fromisoformat(END))
    assert 0 < change.factor < 1


def test_demo_hl7_files_parse_with_the_reference_parser_and_match_the_log(tmp_path: Path) -> None:
    import hl7  # python-hl7: the field's reference parser, a test-only dependency

    from homeflow.store import db

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    out = tmp_path / "hl7"
    assert homeflow(url, "init-db").returncode == 0
    done = homeflow(url, "demo", "--days", "3", "--end", END, "--hl7-out", str(out))
    assert done.returncode == 0, done.stderr
    triggers: dict[str, int] = {}
    engine = db.connect(url)
    with engine.connect() as conn:
        spells = {r.spell_key: r.site_code for r in conn.execute(select(t.spells))}
        stored = dict(
            conn.execute(select(t.events.c.type, func.count()).group_by(t.events.c.type)).all()
        )
    for path in sorted(out.glob("adt-*.hl7")):
        for text in path.read_bytes().decode("utf-8").split("\n"):
            message = hl7.parse(text)
            trigger = str(message.segment("EVN")[1])
            triggers[trigger] = triggers.get(trigger, 0) + 1
            assert str(message.segment("MSH")[12]) == "2.4"
            if trigger == "A20":  # a bed's status: NPU-1 names the bed, there is no visit
                assert str(message.segment("NPU")[2]) in {"C", "H", "O", "U", "K", "I"}
                continue
            if trigger in ("A14", "A27"):  # a pending admission: PV1-19 names the bed request
                assert str(message.segment("PV1")[19][0][0])
                continue
            # PV1-19: the visit number, with the trust that issued it as assigning authority.
            number, issuer = message.segment("PV1")[19][0][0], message.segment("PV1")[19][0][3]
            visit = f"{issuer}:{number}"
            site = str(message.segment("MSH")[4])
            assert spells[visit] == site == str(message.segment("PV1")[3][0][3])
    # Admissions, transfers and discharges one message each; cancellations (A11-A13), bed
    # requests (A14, A27) and bed statuses (A20) besides.
    assert {k: triggers.get(k) for k in ("A01", "A02", "A03")} == {
        "A01": stored["admitted"],
        "A02": stored["transferred"],
        "A03": stored["discharged"],
    }
    assert set(triggers) <= {"A01", "A02", "A03", "A11", "A12", "A13", "A14", "A27", "A20"}
