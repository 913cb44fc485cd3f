"""The capacity model checked against what happened, from the Winter scenarios page: asked for
by a planner, run in the background and kept as a run, shown as fan charts with the actual line
beside the comparison table (the figures the run stored); a bad day is refused naming it."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select

from homeflow.domain import clock
from homeflow.store import schema as t
from tests.web_site import Site, csrf_of, rows_of, signed_in, wait_run_done


def test_a_planner_checks_the_model_against_the_days_that_followed(shared_site: Site) -> None:
    analyst = signed_in(shared_site, "analyst@qde.test")
    page = analyst.get("/scenarios").text
    assert 'action="/scenarios/validation"' in page
    # The demo's ten days end yesterday: seven of history, then two compared.
    to = clock.today() - timedelta(days=3)
    asked = {"csrf_token": csrf_of(page), "validate_days": "2", "validate_reps": "5"}
    started = analyst.post("/scenarios/validation", data={**asked, "validate_to": f"{to:%d/%m/%Y}"})
    assert started.status_code == 303, started.text[-1500:]
    run_id = int(started.headers["location"].rsplit("/", 1)[1])
    wait_run_done(shared_site, run_id)
    # The run list links every run alike; a validation's run opens its own page.
    moved = analyst.get(f"/scenarios/runs/{run_id}")
    assert (
        moved.status_code == 303 and moved.headers["location"] == f"/scenarios/validation/{run_id}"
    )

    shown = analyst.get(f"/scenarios/validation/{run_id}").text
    results = json.loads(rows_of(shared_site, select(t.simulation_runs.c.results).where(t.simulation_runs.c.id == run_id))[0][0])  # type: ignore[index]  # fmt: skip
    table = shown[shown.index('id="validation-table"') : shown.index("</table>")]
    rows = re.findall(r"<th scope=\"row\"[^>]*>(.*?)</th>", table)
    assert rows == [c["service"] for c in results["comparisons"]]
    assert rows.count("all services") == 2
    specs = dict(
        re.findall(r'<script type="application/json" id="spec-(\w+)">(.*?)</script>', shown)
    )
    assert set(specs) == {"occupancy", "nctr"}
    for measure, text in specs.items():
        spec = json.loads(text)
        values = spec["data"]["values"]
        # A row a bed service and day compared, with the actual value drawn as its own line.
        assert values == results["fans"][measure]
        assert {v["date"] for v in values} == {str(to + timedelta(days=d)) for d in (1, 2)}
        assert any(layer["encoding"]["y"]["field"] == "actual" for layer in spec["spec"]["layer"])
        # Each service on its own scale: a unit of 50 beds is not drawn flat beside one of 700.
        assert spec["resolve"]["scale"]["y"] == "independent"
    assert "<script>" not in shown  # no inline scripts (CSP)


def test_a_day_that_cannot_be_checked_is_refused_naming_it(shared_site: Site) -> None:
    analyst = signed_in(shared_site, "analyst@qde.test")
    page = analyst.get("/scenarios").text
    asked = {"csrf_token": csrf_of(page), "validate_days": "28", "validate_reps": "5"}
    # Its 28 days after have not ended.
    to = f"{clock.today() - timedelta(days=3):%d/%m/%Y}"
    refused = analyst.post("/scenarios/validation", data={**asked, "validate_to": to})
    assert refused.status_code == 400
    assert 'href="#validate_days">Days after it:' in refused.text
    wrong = analyst.post("/scenarios/validation", data={**asked, "validate_to": "31/02/2026"})
    assert wrong.status_code == 400
    assert "Last day of history: &#39;31/02/2026&#39; is not a date" in wrong.text
    assert 'value="31/02/2026"' in wrong.text  # the form keeps what was typed


def test_a_planner_checks_the_model_with_a_change_known_then(
    shared_site: Site, request: pytest.FixtureRequest
) -> None:
    assert shared_site.models is not None
    planned = shared_site.models / "scenarios" / f"team-{uuid.uuid4().hex[:8]}.toml"
    # Riverside's pathway 1 patients go home the day they are ready from the first day compared.
    to = clock.today() - timedelta(days=3)
    planned.write_text(
        'name = "Discharge team"\n[[wait_change]]\nservice = "RX101 Riverside General Hospital"\n'
        f'pathway = "P1"\nfrom = {to + timedelta(days=1)}\nfactor = 0\n'
    )
    request.addfinalizer(partial(planned.unlink, missing_ok=True))
    analyst = signed_in(shared_site, "analyst@qde.test")
    page = analyst.get("/scenarios").text
    assert f'<option value="{planned.name}">' in page
    asked = {"csrf_token": csrf_of(page), "validate_days": "2", "validate_reps": "5"}
    asked["validate_to"] = f"{to:%d/%m/%Y}"

    def riverside_nctr_bias(run_id: int) -> float:
        wait_run_done(shared_site, run_id)
        results = json.loads(rows_of(shared_site, select(t.simulation_runs.c.results).where(t.simulation_runs.c.id == run_id))[0][0])  # type: ignore[index]  # fmt: skip
        return float(
            next(
                c["bias"]
                for c in results["comparisons"]
                if c["service"].startswith("RX101") and c["measure"] == "nctr"
            )
        )

    runs = []
    for chosen in ("", planned.name):
        started = analyst.post("/scenarios/validation", data={**asked, "validate_scenario": chosen})
        assert started.status_code == 303, started.text[-1500:]
        runs.append(int(started.headers["location"].rsplit("/", 1)[1]))
    assert riverside_nctr_bias(runs[1]) < riverside_nctr_bias(runs[0])
    shown = analyst.get(f"/scenarios/validation/{runs[1]}").text
    assert f"changed by the scenario file <code>{planned.name}</code>" in shown
    assert (
        "changed by the scenario file" not in analyst.get(f"/scenarios/validation/{runs[0]}").text
    )

    refused = analyst.post(
        "/scenarios/validation", data={**asked, "validate_scenario": "no-such-file.toml"}
    )
    assert refused.status_code == 400
    assert 'href="#validate_scenario">Changes known then:' in refused.text
