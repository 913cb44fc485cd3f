"""Waits to leave changed from a date (a planned change in practice, such as a discharge team):
read from a model or scenario file, refused by field, and run by the engine on those days only.
The expected figures are worked by hand from the definitions (docs/simulation.md)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from homeflow.domain.errors import InvalidInput
from homeflow.sim import engine as e
from homeflow.sim.compiled import Census, CensusPatient, compile_model
from homeflow.sim.model import Model, parse_model
from homeflow.sim.model_toml import model_to_toml
from homeflow.sim.runner import replication_seeds
from homeflow.sim.scenarios import parse_scenario, with_scenario

START = date(2026, 1, 5)

# Ten arrivals a day, each in a bed for exactly a day, then every one waiting exactly four days
# on pathway 1 (nothing downstream) before leaving: by Little's law 40 waiting at midnight.
WAITING = f"""
name = "four days' wait"
start = {START}
[[service]]
name = "ward"
arrivals = {{ per_day = 10.0 }}
length_of_stay = {{ family = "fixed", value = 1.0 }}
discharge = {{ nctr_probability = 1.0, pathway_mix = {{ P1 = 1.0 }} }}
pathway.P1 = {{ wait = {{ family = "fixed", value = 4.0 }} }}
"""


def with_changes(*changes: str) -> Model:
    return parse_model(WAITING + "".join(f"[[service.wait_change]]\n{c}\n" for c in changes))


def test_each_day_s_factor_is_the_product_of_the_changes_in_force() -> None:
    model = with_changes(
        f"pathway = 'P1'\nfrom = {START + timedelta(days=3)}\nfactor = 0.5",
        f"pathway = 'P1'\nfrom = {START + timedelta(days=5)}\nto = {START + timedelta(days=6)}\nfactor = 0.5",
    )
    scale = compile_model(model, 10, warmup_days=0).wait_scale
    p1 = [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.5, 0.5, 0.5]
    assert scale[0, 1].tolist() == p1
    assert (scale[0, [0, 2, 3]] == 1.0).all()  # the other pathways unchanged


def test_the_days_before_a_change_run_as_without_it_and_after_it_half_as_many_wait() -> None:
    seeds = replication_seeds(3, 40)
    before = compile_model(with_changes(), 60, warmup_days=0).run(seeds)
    change = f"pathway = 'P1'\nfrom = {START + timedelta(days=20)}\nfactor = 0.5"
    after = compile_model(with_changes(change), 60, warmup_days=0).run(seeds)
    # The same draws in the same order until the first wait drawn on day 20.
    assert np.array_equal(before[:, :20], after[:, :20])
    nctr = after[:, :, 0, e.NCTR]
    # Four days' wait: 40 at midnight; two days' wait once those waiting before have gone.
    assert before[:, 10:, 0, e.NCTR].mean() == pytest.approx(40, abs=1.0)
    assert nctr[:, 10:20].mean() == pytest.approx(40, abs=1.0)
    assert nctr[:, 25:].mean() == pytest.approx(20, abs=1.0)


def test_a_change_in_force_on_the_first_day_shortens_the_census_patients_waits() -> None:
    waiting = CensusPatient("ward", days_in_service=3.0, pathway="P1", days_waiting=1.0)
    census = Census(START, (waiting,))
    seeds = replication_seeds(1, 5)
    for starts, expected in ((0, 1.5), (1, 3.0)):
        change = f"pathway = 'P1'\nfrom = {START + timedelta(days=starts)}\nfactor = 0.5"
        compiled = compile_model(with_changes(change), 10, census)
        times, _ = compiled.initial_event_times(seeds)
        # Three days of the four left, halved when the change is in force as the run starts.
        assert times[:, 0] == pytest.approx(expected, abs=1e-6)


def test_a_model_file_keeps_its_wait_changes() -> None:
    model = with_changes(
        "pathway = 'P1'\nfrom = 2026-02-01\nfactor = 0.25",
        "pathway = 'P1'\nfrom = 2026-03-01\nto = 2026-03-31\nfactor = 2.0",
    )
    assert parse_model(model_to_toml(model)) == model


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("pathway = 'P1'\nfrom = 2026-02-01\nfactor = -1", "wait_change[0].factor"),
        ("pathway = 'P7'\nfrom = 2026-02-01\nfactor = 0.5", "wait_change[0].pathway"),
        ("pathway = 'P1'\nfactor = 0.5", "wait_change[0]"),
        ("pathway = 'P1'\nfrom = 'soon'\nfactor = 0.5", "wait_change[0].from"),
        ("pathway = 'P1'\nfrom = 2026-02-01\nto = 2026-01-01\nfactor = 0.5", "wait_change[0].to"),
        ("pathway = 'P1'\nfrom = 2026-02-01\nfactor = 0.5\nsite = 'RX101'", "wait_change[0]"),
        # The ward's patients on pathway 2 have no wait to change.
        ("pathway = 'P2'\nfrom = 2026-02-01\nfactor = 0.5", "wait_change.pathway"),
    ],
)
def test_a_bad_wait_change_names_its_field(change: str, field: str) -> None:
    with pytest.raises(InvalidInput) as problem:
        with_changes(change)
    assert problem.value.field == f"service 'ward'.{field}"


def test_a_scenario_changes_a_service_s_waits_from_a_date() -> None:
    scenario = parse_scenario(
        'name = "team"\n[[wait_change]]\nservice = "ward"\npathway = "P1"\n'
        "from = 2026-02-01\nfactor = 0.3\n"
    )
    ward = with_scenario(parse_model(WAITING), scenario).service("ward")
    assert ward.wait_factor_on("P1", date(2026, 1, 31)) == 1.0
    assert ward.wait_factor_on("P1", date(2026, 2, 1)) == 0.3
    assert ward.wait_factor_on("P0", date(2026, 2, 1)) == 1.0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "[[wait_change]]\npathway = 'P1'\nfrom = 2026-02-01\nfactor = 0.3",
            "wait_change[0].service",
        ),
        ("[[wait_change]]\nservice = 'ward'\npathway = 'P1'\nfactor = 0.3", "wait_change[0]"),
        ("wait_change = 3", "wait_change"),
    ],
)
def test_a_bad_scenario_wait_change_names_its_field(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_scenario(text)
    assert refused.value.field == problem


def test_a_scenario_s_wait_change_must_name_a_service_and_a_pathway_with_a_wait() -> None:
    model = parse_model(WAITING)
    for service, pathway, named in (("theatre", "P1", "theatre"), ("ward", "P3", "P3")):
        scenario = parse_scenario(
            f'name = "x"\n[[wait_change]]\nservice = "{service}"\npathway = "{pathway}"\n'
            "from = 2026-02-01\nfactor = 0.3\n"
        )
        with pytest.raises(InvalidInput, match=named):
            with_scenario(model, scenario)
