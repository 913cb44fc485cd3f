"""The integrated OPEL score through the real server and the command line, on each engine: a
provider's flow staff enter its own parameters and nobody else's; nothing is kept without its
audit row; a computed figure agrees with the census and opens to as many patients; a file fed
from the command line is refused line by line or stored whole."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from homeflow.domain.clock import local_date
from homeflow.domain.opel import OpelParameterEntered
from homeflow.store import schema as t
from tests.audit_faults import audit_log_down
from tests.conftest import ENGINES, fresh_database, url_of
from tests.integration.test_figures import behind, figures
from tests.support import homeflow
from tests.web_site import Site, csrf_of, rows_of, signed_in


def _yesterday() -> str:
    return f"{local_date(datetime.now(UTC)) - timedelta(days=1):%d/%m/%Y}"


def _entered(site: Site) -> int:
    e = t.events
    query = select(func.count()).select_from(e).where(e.c.type == OpelParameterEntered.TYPE)
    return int(rows_of(site, query)[0][0])  # type: ignore[index]


def _post(client: httpx.Client, **fields: str) -> httpx.Response:
    csrf = csrf_of(client.get("/opel").text)
    return client.post("/opel", data={"csrf_token": csrf, "day": _yesterday(), **fields})


# (who posts, for which provider, which parameter) -> refused with nothing stored.
REFUSED = {
    "a trust for another trust": ("flow@rx1.test", "RX2", "ambulance-handover"),
    "a trust for the mental-health trust": ("flow@rx1.test", "RW1", "out-of-area"),
    "the community trust for the acute trust": ("hub@ry1.test", "RX1", "ed-12-hours"),
    "the system's coordinator for a trust": ("coordinator@qde.test", "RX1", "ed-12-hours"),
    "a ward nurse for her own trust": ("nurse@rx1.test", "RX1", "ed-12-hours"),
    "an analyst of the system": ("analyst@qde.test", "RY1", "ucr-2-hour"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_provider_enters_only_its_own_opel_parameters(shared_site: Site, case: str) -> None:
    email, org, code = REFUSED[case]
    client = signed_in(shared_site, email)
    before = _entered(shared_site)
    answer = _post(client, org_code=org, **{code: "12"})
    assert answer.status_code == 403, answer.text[:300]
    assert _entered(shared_site) == before


def test_the_providers_own_entry_is_kept_audited_and_shown(shared_site: Site) -> None:
    client = signed_in(shared_site, "cmht@rw1.test")
    before = _entered(shared_site)
    audited = rows_of(shared_site, select(func.count()).select_from(t.audit_log))[0][0]  # type: ignore[index]
    # 13 placements: more than the demo ever enters, so always a change.
    answer = _post(client, org_code="RW1", **{"out-of-area": "13", "mh-ed-12-hours": ""})
    assert answer.status_code == 303, answer.text[:300]
    assert _entered(shared_site) == before + 1
    after = rows_of(shared_site, select(func.count()).select_from(t.audit_log))[0][0]  # type: ignore[index]
    assert after == audited + 1
    page = client.get(answer.headers["location"]).text
    assert "1 value saved" in page and "entered by cmht@rw1.test" in page
    # 13 placements is in the top band (6 or more): 3 points.
    row = re.search(r"Inappropriate out-of-area placements</th>(.*?)</tr>", page, re.S)
    assert row and "13.0 patients" in row.group(1) and ">3<" in row.group(1)
    bad = _post(client, org_code="RW1", **{"out-of-area": "-1"})
    assert bad.status_code == 400 and 'id="out-of-area-error"' in bad.text
    assert _entered(shared_site) == before + 1


def test_an_opel_entry_whose_audit_row_fails_stores_nothing(shared_site: Site) -> None:
    client = signed_in(shared_site, "flow@rx1.test")
    before = _entered(shared_site)
    with audit_log_down(shared_site.url):
        answer = _post(client, org_code="RX1", **{"ed-12-hours": "39.97"})  # never the demo's
    assert answer.status_code == 503, answer.text[:300]
    assert _entered(shared_site) == before


def test_a_computed_figure_is_the_census_and_opens_to_its_patients(shared_site: Site) -> None:
    client = signed_in(shared_site, "analyst@qde.test")
    day = local_date(datetime.now(UTC)) - timedelta(days=1)
    census = client.get(f"/api/census?date={day.isoformat()}").json()
    wards = rows_of(shared_site, select(t.wards.c.code).where(t.wards.c.type == "acute"))
    acute = {row[0] for row in wards}  # type: ignore[index]
    rows = [r for r in census if r["org_code"] == "RX1" and r["ward_code"] in acute]
    occupied, beds = sum(r["occupied"] for r in rows), sum(r["beds"] for r in rows)
    page = client.get("/opel").text
    assert f"{occupied:,} patient" in page and f"of {beds:,} open beds" in page
    checked = 0
    for link, shown, _label in figures(page):
        count, _ = behind(client, link)
        assert count == int(shown.split()[0].replace(",", "")), (link, shown)
        checked += 1
    assert checked >= 8  # two for each provider's beds, with patients in them


@pytest.fixture(params=ENGINES)
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path) as engine:
        assert homeflow(url_of(engine), "registry", "load-demo").returncode == 0
        yield engine


def test_a_file_of_values_is_stored_whole_or_refused_line_by_line(
    registry: Engine, tmp_path: Path
) -> None:
    url = url_of(registry)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "org_code,date,parameter,value\nRX1,2026-03-30,ed-4-hour,74\nRX1,2026-03-30,ga-occupancy,90\n"
    )
    done = homeflow(url, "opel", "submit", str(bad))
    assert done.returncode == 2
    assert done.stderr.startswith("error: file: line 3, parameter: G&A bed occupancy is computed")
    good = tmp_path / "good.json"
    good.write_text(json.dumps([
        {"org_code": "RX1", "date": "2026-03-30", "parameter": "ed-4-hour", "value": 59.5},
        {"org_code": "RW1", "date": "2026-03-30", "parameter": "out-of-area", "value": 2},
    ]))  # fmt: skip
    assert homeflow(url, "opel", "submit", str(good)).stderr.strip() == "stored: 2 OPEL values"
    assert homeflow(url, "opel", "submit", str(good)).stderr.strip() == "stored: 0 OPEL values"
    shown = json.loads(
        homeflow(url, "opel", "--date=2026-03-30", "--org=RX1", "--format=json").stdout
    )
    four_hour = next(r for r in shown if r["what"] == "ed-4-hour")
    assert (four_hour["value"], four_hour["points"], four_hour["level"]) == (59.5, 3, 4)
    assert four_hour["entered_by"] == "feed" and four_hour["source"] == "entered"
    # The registry's wards are empty: the three bed parameters are 0% (no points), so the
    # trust has 3 points of the 12 its four reported parameters could earn: 25%, OPEL 2.
    score = next(r for r in shown if r["what"] == "provider score")
    assert (score["value"], score["points"], score["level"]) == (25.0, 3, 2)
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("org_code,date,parameter,value\nLAR01,2026-03-30,ed-4-hour,70\n")
    done = homeflow(url, "opel", "submit", str(elsewhere))
    assert done.returncode == 2 and done.stderr.startswith("error: org_code: LAR01 is not")


def test_the_entered_values_are_the_latest_raw_events_of_the_day(shared_site: Site) -> None:
    """An independent recount from the event rows: for each provider and parameter, the value
    entered last for yesterday is what `homeflow opel` scores, and nothing else is entered."""
    day = local_date(datetime.now(UTC)) - timedelta(days=1)
    e = t.events
    rows = rows_of(
        shared_site,
        select(e.c.payload)
        .where(e.c.type == OpelParameterEntered.TYPE)
        .order_by(e.c.occurred_at, e.c.seq),
    )
    latest: dict[tuple[str, str], float] = {}
    for row in rows:
        fields = json.loads(row[0])  # type: ignore[index]
        if fields["on"] == day.isoformat():
            latest[(fields["org_code"], fields["parameter"])] = float(fields["value"])
    assert latest, "the demo enters every provider's parameters each day"
    shown = json.loads(
        homeflow(shared_site.url, "opel", f"--date={day.isoformat()}", "--format=json").stdout
    )
    scored = {(r["org_code"], r["what"]): r["value"] for r in shown if r["source"] == "entered"}
    assert {k: v for k, v in scored.items() if v is not None} == latest
