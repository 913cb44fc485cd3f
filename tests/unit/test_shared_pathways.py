"""A pathway that shares its patients among several services (sim/model, sim/compiled,
sim/engine): each service takes its share, each keeps its own queue, the shares are read,
written and refused by name, and a model whose pathways each lead to one service runs as it did.

The shares are checked against counts worked out from the definition: with downstream services
that always have room, every patient who needs pathway 1 starts one of them, in proportion to
the shares; with one of them closed, its patients wait in their beds while the other's leave."""

from __future__ import annotations

import numpy as np
import pytest

from homeflow.domain.errors import InvalidInput
from homeflow.sim import engine
from homeflow.sim.compiled import compile_model
from homeflow.sim.model import parse_model
from homeflow.sim.model_toml import model_to_toml
from homeflow.sim.runner import replication_seeds

MODEL = """name = "shared"
start = 2026-01-05
[[service]]
name = "ward"
capacity = 1000
arrivals = {{ per_day = 40.0 }}
length_of_stay = {{ family = "exponential", mean = 3.0 }}
discharge = {{ nctr_probability = 0.5, pathway_mix = {{ P1 = 1.0 }} }}
pathway.P1 = {{ to = {to} }}
[[service]]
name = "reablement"
unit = "packages"
capacity = {reablement}
length_of_stay = {{ family = "exponential", mean = 10.0 }}
[[service]]
name = "home care"
unit = "packages"
capacity = 2000
length_of_stay = {{ family = "exponential", mean = 10.0 }}
"""
SHARED = '{ reablement = 0.7, "home care" = 0.3 }'


def _run(to: str, reablement: int = 2000, days: int = 60, reps: int = 40) -> np.ndarray:
    model = parse_model(MODEL.format(to=to, reablement=reablement))
    return compile_model(model, days, warmup_days=0).run(replication_seeds(4, reps))


def test_each_service_takes_its_share_of_the_pathways_patients() -> None:
    out = _run(SHARED)
    started = out[:, :, :, engine.ADMISSIONS].sum(axis=(0, 1))
    # 40 a day × half needing pathway 1: 20 a day between the two, 70:30, from the end of
    # their stays (3 days on average): about 20 × 57 a replication.
    share = started[1] / (started[1] + started[2])
    assert share == pytest.approx(0.7, abs=0.01)
    assert (started[1] + started[2]) / 40 == pytest.approx(20 * 57, rel=0.03)


def test_a_closed_service_keeps_its_share_waiting_in_their_beds_and_only_them() -> None:
    out = _run(SHARED, reablement=0, days=30)
    started = out[:, :, :, engine.ADMISSIONS].sum(axis=(0, 1))
    assert started[1] == 0
    assert started[2] > 0
    # Those sent to reablement wait in the ward, growing by 0.7 × 20 a day (less those still
    # within their stay); those sent to home care leave: the ward's NCTR on the last day is
    # about 0.7 × 20 × (30 - 3) patients.
    nctr = out[:, -1, 0, engine.NCTR].mean()
    assert nctr == pytest.approx(0.7 * 20 * 27, rel=0.08)
    assert out[:, -1, 1, engine.WAITING_FOR].mean() == pytest.approx(nctr, rel=0.01)


def test_a_pathway_to_one_service_runs_as_it_did_before_shares() -> None:
    # Written either way, a pathway to one service draws nothing more: the same figures.
    one = _run('"reablement"')
    whole = _run("{ reablement = 1.0 }")
    assert np.array_equal(one, whole)


def test_shares_are_written_back_as_read() -> None:
    model = parse_model(MODEL.format(to=SHARED, reablement=10))
    pathway = model.service("ward").pathways["P1"]
    assert pathway.destinations == (("reablement", 0.7), ("home care", 0.3))
    again = parse_model(model_to_toml(model)).service("ward").pathways["P1"]
    assert again == pathway


@pytest.mark.parametrize(
    ("to", "field", "why"),
    [
        ('{ reablement = 0.7, "home care" = 0.2 }', "to", "must add up to 1, not 0.9"),
        ('{ reablement = 1.2, "home care" = -0.2 }', "to.home care", "must be at least 0"),
        ('{ reablement = "most" }', "to.reablement", "must be a number"),
        ("{ reablement = 0.5, nowhere = 0.5 }", "to", "no service is named 'nowhere'"),
        ("{}", "to", "must add up to 1, not 0"),
        ("3", "to", "must name a service, or give services and shares"),
        (
            "{ a = 0.2, b = 0.2, c = 0.2, d = 0.2, e = 0.2 }",
            "to",
            "may share patients among 4 services at most",
        ),
    ],
)
def test_shares_that_cannot_be_used_are_refused_naming_the_field(
    to: str, field: str, why: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_model(MODEL.format(to=to, reablement=10))
    assert refused.value.field == f"service 'ward'.pathway.P1.{field}"
    assert why in str(refused.value)


def test_the_model_file_in_the_docs_reads_with_its_shared_pathway() -> None:
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "simulation.md").read_text()
    block = docs.split("## The model file", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    model = parse_model(block)
    shared = model.service("RX101 Riverside General Hospital").pathways["P3"]
    assert shared.destinations == (("P3 care home placements", 0.9), ("P1 home-based care", 0.1))


def test_a_scenario_may_route_a_pathway_to_services_in_shares() -> None:
    from homeflow.sim.scenarios import parse_scenario, with_scenario

    model = parse_model(MODEL.format(to='"reablement"', reablement=10))
    route = '[route.ward]\nP1 = { reablement = 0.25, "home care" = 0.75 }\n'
    changed = with_scenario(model, parse_scenario(f'name = "split"\n{route}'))
    assert changed.service("ward").pathways["P1"].destinations == (
        ("reablement", 0.25),
        ("home care", 0.75),
    )
    with pytest.raises(InvalidInput) as refused:
        parse_scenario('name = "bad"\n[route.ward]\nP1 = { reablement = 0.25 }\n')
    assert refused.value.field == "route.ward.P1"
    assert "must add up to 1, not 0.25" in str(refused.value)
