"""The capacity model against queueing theory, Ciw, the event history and its own promises."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, text

from homeflow.domain.errors import InvalidInput
from homeflow.sim import engine as e
from homeflow.sim.compiled import Census, CensusPatient, compile_model
from homeflow.sim.model import Distribution, Model, parse_model
from homeflow.sim.runner import replication_seeds, simulate
from homeflow.sim.scenarios import parse_scenario, with_scenario
from tests.conftest import ENGINES, demo_database
from tests.support import homeflow

START = date(2026, 1, 5)


def one_service(capacity: str, when_full: str, los: str, per_day: float) -> Model:
    return parse_model(
        f"""
        name = "one service"
        start = {START}
        [[service]]
        name = "ward"
        {capacity}
        when_full = "{when_full}"
        arrivals = {{ per_day = {per_day} }}
        length_of_stay = {los}
        """
    )


def run(model: Model, reps: int, horizon: int, warmup: int, seed: int = 1) -> np.ndarray:
    compiled = compile_model(model, horizon, warmup_days=warmup)
    return compiled.run(replication_seeds(seed, reps))


def erlang_b(servers: int, load: float) -> float:
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


# ---- Closed forms ----------------------------------------------------------------------------


def test_an_unlimited_service_has_poisson_occupancy_m_g_infinity() -> None:
    # Lognormal stays with mean 3 days: occupancy is Poisson with mean and variance 20 × 3.
    los = Distribution("lognormal", math.log(3) - 0.5**2 / 2, 0.5)
    model = one_service(
        "", "queue", f'{{ family = "lognormal", meanlog = {los.a!r}, sdlog = 0.5 }}', 20
    )
    out = run(model, reps=2000, horizon=41, warmup=40)
    # Snapshots 20 days apart (many stays) are all but independent.
    snapshots = out[:, ::20, 0, e.OCCUPANCY].ravel()
    expected = 20 * los.mean()
    se_mean = math.sqrt(expected / snapshots.size)
    se_var = math.sqrt(2 * expected**2 / snapshots.size)
    assert abs(snapshots.mean() - expected) < 4 * se_mean
    assert abs(snapshots.var(ddof=1) - expected) < 4 * se_var


@pytest.mark.parametrize(
    "los",
    [
        '{ family = "exponential", mean = 1.0 }',
        # Erlang's loss formula holds for any service time with the same mean.
        '{ family = "lognormal", meanlog = -0.5, sdlog = 1.0 }',
    ],
)
def test_a_loss_system_turns_away_the_erlang_b_share(los: str) -> None:
    model = one_service("capacity = 10", "turn_away", los, 8.0)
    out = run(model, reps=100, horizon=400, warmup=20)
    turned = out[..., 0, e.TURNED_AWAY].sum()
    arrived = turned + out[..., 0, e.ADMISSIONS].sum()
    blocked = turned / arrived
    se = math.sqrt(blocked * (1 - blocked) / arrived)
    # Daily counts are correlated over a few hours only; ten standard errors still tell
    # 0.122 (Erlang B) from the 0.11 or 0.14 a wrong rule would give.
    assert abs(blocked - erlang_b(10, 8.0)) < max(10 * se, 0.004)


def test_an_m_m_c_queue_waits_as_erlang_c_says() -> None:
    servers, arrivals, mean_stay = 10, 8.0, 1.0
    model = one_service(
        f"capacity = {servers}", "queue", '{ family = "exponential", mean = 1.0 }', arrivals
    )
    out = run(model, reps=100, horizon=1000, warmup=20)
    load = arrivals * mean_stay
    b = erlang_b(servers, load)
    p_wait = servers * b / (servers - load * (1 - b))
    mean_wait = p_wait / (servers / mean_stay - arrivals)
    ward = out[..., 0, :]
    waited = ward[..., e.WAIT_DAYS].sum() / ward[..., e.ADMISSIONS].sum()
    assert abs(waited - mean_wait) < 0.04 * mean_wait
    # A midnight snapshot sees all servers busy with probability P(wait) (Erlang C) ...
    busy = (ward[..., e.OCCUPANCY] >= servers).mean()
    assert abs(busy - p_wait) < 0.02
    # ... and a queue whose mean length is arrivals × mean wait (Little's law).
    assert abs(ward[..., e.QUEUE].mean() - arrivals * mean_wait) < 0.06 * arrivals * mean_wait


BLOCKING = """
name = "acute with blocking"
start = 2026-01-05
[[service]]
name = "acute"
capacity = 12
arrivals = { per_day = 3.0 }
length_of_stay = { family = "exponential", mean = 3.0 }
discharge = { nctr_probability = 0.35, pathway_mix = { P1 = 0.7142857, P2 = 0.2857143 } }
pathway.P1 = { to = "home care" }
pathway.P2 = { to = "community beds" }
[[service]]
name = "home care"
unit = "packages"
capacity = 4
length_of_stay = { family = "exponential", mean = 4.0 }
[[service]]
name = "community beds"
capacity = 2
length_of_stay = { family = "exponential", mean = 5.0 }
"""


def test_littles_law_holds_on_every_service_of_a_blocking_network() -> None:
    out = run(parse_model(BLOCKING), reps=20, horizon=3000, warmup=50)
    for s in range(out.shape[2]):
        figures = out[:, :, s, :].sum(axis=(0, 1))
        days = out.shape[0] * out.shape[1]
        occupancy = figures[e.BED_DAYS] / days
        throughput = figures[e.DEPARTURES] / days
        time_in = figures[e.SOJOURN_DAYS] / figures[e.DEPARTURES]
        assert abs(occupancy - throughput * time_in) < 0.01 * occupancy, s
    # And the delayed (blocked) patients: mean NCTR = rate becoming NCTR × mean delay is
    # checked against Ciw below; here, delays exist and never exceed the acute bed-days.
    acute = out[:, :, 0, :]
    assert 0 < acute[..., e.DELAYED_BED_DAYS].sum() < acute[..., e.BED_DAYS].sum()


def test_mean_delayed_bed_days_agree_with_ciw() -> None:
    # Ciw is a dev dependency: without it this cross-check fails rather than skips.
    import ciw

    warmup, horizon = 50.0, 400.0
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=3.0), None, None],
        service_distributions=[
            ciw.dists.Exponential(rate=1 / 3),
            ciw.dists.Exponential(rate=1 / 4),
            ciw.dists.Exponential(rate=1 / 5),
        ],
        routing=[[0.0, 0.25, 0.10], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
        number_of_servers=[12, 4, 2],
        queue_capacities=[float("inf"), 0, 0],
    )
    ciw_delays = []
    for seed in range(30):
        ciw.seed(seed)
        sim = ciw.Simulation(network)
        sim.simulate_until_max_time(warmup + horizon)
        blocked = sum(
            r.time_blocked
            for r in sim.get_all_records()
            if r.node == 1 and warmup <= r.service_end_date < warmup + horizon
        )
        ciw_delays.append(blocked / horizon)
    ours = run(parse_model(BLOCKING), reps=400, horizon=int(horizon), warmup=int(warmup))
    our_delays = ours[:, :, 0, e.DELAYED_BED_DAYS].sum(axis=1) / horizon
    difference = our_delays.mean() - np.mean(ciw_delays)
    se = math.sqrt(our_delays.var(ddof=1) / len(our_delays) + np.var(ciw_delays, ddof=1) / 30)
    assert np.mean(ciw_delays) > 0.3  # the network does block
    assert abs(difference) < 3 * se


# ---- The engine's promises ----------------------------------------------------------------


def test_a_seed_gives_the_same_results_in_any_batches_and_on_dask() -> None:
    from distributed import Client, LocalCluster

    model = parse_model(BLOCKING)
    scenario = parse_scenario(
        'name = "more home care"\n[[capacity]]\nservice = "home care"\nfrom = 2026-02-01\nchange = 2\n'
    )
    alone = simulate(model, [scenario], reps=24, horizon=60, warmup_days=30, seed=5, batch_size=24)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        spread = simulate(
            model,
            [scenario],
            reps=24,
            horizon=60,
            warmup_days=30,
            seed=5,
            batch_size=5,
            client=client,
        )
    for a, b in zip(alone.runs, spread.runs, strict=True):
        assert np.array_equal(a.figures, b.figures)
    other = simulate(model, reps=24, horizon=60, warmup_days=30, seed=6)
    assert not np.array_equal(other.runs[0].figures, alone.runs[0].figures)


def test_capacity_calendars_weekday_transfers_and_placements() -> None:
    model = parse_model(
        """
        name = "calendar"
        start = 2026-01-05
        [[service]]
        name = "acute"
        capacity = 500
        arrivals = { per_day = 10.0 }
        length_of_stay = { family = "fixed", value = 0.25 }
        discharge = { nctr_probability = 1.0, pathway_mix = { P1 = 0.5, P3 = 0.5 } }
        pathway.P1 = { to = "reablement" }
        pathway.P3 = { to = "care homes" }
        [[service]]
        name = "reablement"
        unit = "packages"
        capacity = 100
        transfers = "weekdays"
        length_of_stay = { family = "fixed", value = 1.0 }
        capacity_change = [{ from = 2026-01-12, to = 2026-01-18, set = 0 }]
        [[service]]
        name = "care homes"
        unit = "placements"
        capacity = 14
        """
    )
    out = run(model, reps=5, horizon=21, warmup=0)
    reablement = out[:, :, 1, :]
    weekdays = np.array([(START.weekday() + d) % 7 < 5 for d in range(21)])
    closed = np.zeros(21, bool)
    closed[7:14] = True
    # No package starts at weekends or in the closed week; the capacity shown follows the calendar.
    assert (reablement[:, ~weekdays | closed, e.ADMISSIONS] == 0).all()
    assert (reablement[:, weekdays & ~closed, e.ADMISSIONS].sum(axis=0) > 0).all()
    assert (reablement[:, closed, e.CAPACITY] == 0).all()
    # Care homes make two placements a day, never more.
    assert (out[:, :, 2, e.ADMISSIONS] <= 2).all() and out[:, :, 2, e.ADMISSIONS].sum() > 0
    # Those waiting for reablement through the closed week are NCTR in acute, by pathway.
    # Five a day join from the weekend before (day 5) to the end of day 12: about 40.
    assert (out[:, 12, 0, e.NCTR_P0 + 1] > 25).all()
    assert (out[:, 12, 1, e.WAITING_FOR] == out[:, 12, 0, e.NCTR_P0 + 1]).all()


def test_a_census_start_keeps_everyone_and_lets_the_waiting_go_in_order() -> None:
    model = parse_model(BLOCKING)
    census = Census(
        START,
        (
            *(CensusPatient("acute", 2.0) for _ in range(8)),
            *(CensusPatient("acute", 10.0, "P2", days_waiting=w) for w in (1.0, 6.0, 3.0)),
            *(CensusPatient("community beds", 4.0) for _ in range(2)),
        ),
    )
    compiled = compile_model(model, 30, census)
    first = compiled.run(replication_seeds(3, 50))[:, 0]
    # Day one starts with 11 in acute, 3 of them NCTR for P2, and two community beds full.
    times = compiled.initial_event_times(replication_seeds(3, 50))[0]
    assert times.shape == (50, 13) and (times >= 0).all()
    assert (
        first[:, 0, e.OCCUPANCY] + first[:, 0, e.DEPARTURES] - first[:, 0, e.ADMISSIONS] == 11
    ).all()
    # Those already waiting join the P2 queue longest-waiting first, then everyone else.
    assert [waited for _, waited, _ in compiled.init_residual[:3]] == [6.0, 3.0, 1.0]
    assert compiled.init_event.tolist() == [1, 1, 1, *[0] * 10]
    assert (np.diff(times[:, :3], axis=1) >= 0).all()  # no P2 wait: they queue in that order


@settings(max_examples=25, deadline=None)
@given(
    per_day=st.floats(0.5, 30),
    capacity=st.integers(1, 40),
    nctr=st.floats(0, 1),
    downstream=st.integers(0, 10),
)
def test_patients_are_never_lost_or_made(
    per_day: float, capacity: int, nctr: float, downstream: int
) -> None:
    model = parse_model(
        f"""
        name = "conservation"
        start = 2026-01-05
        [[service]]
        name = "acute"
        capacity = {capacity}
        arrivals = {{ per_day = {per_day} }}
        length_of_stay = {{ family = "gamma", shape = 2.0, scale = 1.5 }}
        discharge = {{ nctr_probability = {nctr}, pathway_mix = {{ P0 = 0.2, P2 = 0.8 }} }}
        pathway.P0 = {{ wait = {{ family = "exponential", mean = 1.0 }} }}
        pathway.P2 = {{ to = "beds" }}
        [[service]]
        name = "beds"
        capacity = {downstream}
        length_of_stay = {{ family = "weibull", shape = 1.5, scale = 5.0 }}
        """
    )
    out = run(model, reps=3, horizon=40, warmup=0)
    for s in range(2):
        f = out[:, :, s, :]
        in_service = np.cumsum(f[..., e.ADMISSIONS] - f[..., e.DEPARTURES], axis=1)
        assert np.array_equal(in_service, f[..., e.OCCUPANCY])
        assert (f[..., e.OCCUPANCY] <= np.maximum(capacity if s == 0 else downstream, 0)).all()
        assert (f[..., e.NCTR] <= f[..., e.OCCUPANCY]).all()
        assert np.array_equal(f[..., e.NCTR], f[..., e.NCTR_P0 : e.NCTR_P0 + 4].sum(axis=-1))
    # Everyone waiting for a community bed is an NCTR P2 patient in acute.
    assert np.array_equal(out[:, :, 1, e.WAITING_FOR], out[:, :, 0, e.NCTR_P0 + 2])


# ---- Model and scenario files ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (
            "[[service]]\nname = 'a'\nlength_of_stay = { family = 'normal' }",
            "service 'a'.length_of_stay.family",
        ),
        (
            "[[service]]\nname = 'a'\nlength_of_stay = { family = 'gamma', shape = -1, scale = 1 }",
            "service 'a'.length_of_stay.shape",
        ),
        (
            "[[service]]\nname = 'a'\ncapacity = 'ten'\nlength_of_stay = { family = 'fixed', value = 1 }",
            "service 'a'.capacity",
        ),
        (
            "[[service]]\nname = 'a'\nlength_of_stay = { family = 'fixed', value = 1 }\ndischarge = { nctr_probability = 0.5, pathway_mix = { P1 = 0.5 } }",
            "service 'a'.discharge.pathway_mix",
        ),
        (
            "[[service]]\nname = 'a'\nlength_of_stay = { family = 'fixed', value = 1 }\npathway.P1 = { to = 'nowhere' }",
            "service 'a'.pathway.P1.to",
        ),
        ("[[service]]\nname = 'a'\nunit = 'placements'", "service 'a'.capacity"),
        (
            "start = 'soon'\n[[service]]\nname = 'a'\nlength_of_stay = { family = 'fixed', value = 1 }",
            "start",
        ),
        ("name = [", "model"),
    ],
)
def test_a_bad_model_file_names_the_field(text: str, field: str) -> None:
    with pytest.raises(InvalidInput) as problem:
        parse_model(text)
    assert problem.value.field == field


def test_a_scenario_naming_a_missing_service_is_refused() -> None:
    scenario = parse_scenario('name = "x"\n[length_of_stay]\n"no such ward" = 0.9\n')
    with pytest.raises(InvalidInput, match="no such ward"):
        with_scenario(parse_model(BLOCKING), scenario)


def test_scenarios_change_demand_capacity_stays_mix_and_routes() -> None:
    model = parse_model(BLOCKING)
    changed = with_scenario(
        model,
        parse_scenario(
            """
            name = "winter"
            demand = 1.1
            [[capacity]]
            service = "home care"
            from = 2026-02-01
            change = 3
            [length_of_stay]
            acute = 0.5
            [pathway_mix.acute]
            P2 = 1.0
            [route.acute]
            P2 = "interim"
            [[service]]
            name = "interim"
            capacity = 5
            length_of_stay = { family = "fixed", value = 2.0 }
            """
        ),
    )
    acute = changed.service("acute")
    assert acute.arrivals is not None and acute.arrivals.per_day == pytest.approx(3.3)
    assert acute.length_of_stay is not None and acute.length_of_stay.mean() == pytest.approx(1.5)
    assert acute.pathway_mix == (0.0, 0.0, 1.0, 0.0) and acute.pathways["P2"].destinations == (
        ("interim", 1.0),
    )
    assert changed.service("home care").capacity_on(date(2026, 2, 1)) == 7
    assert changed.service("home care").capacity_on(date(2026, 1, 31)) == 4


# ---- Calibration and the CLI on the demo system ------------------------------------------


@pytest.fixture(scope="module", params=ENGINES)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with demo_database(
        request.param,
        tmp_path_factory.mktemp("sim"),
        "--days",
        "60",
        "--end",
        "2026-03-31",
        "--seed",
        "4",
    ) as url:
        yield url


def test_calibrate_then_simulate_from_the_census(demo_url: str, tmp_path: Path) -> None:
    model_file = tmp_path / "model.toml"
    done = homeflow(demo_url, "calibrate", "--from", "2026-02-01", "--to", "2026-03-31", "--out", str(model_file))  # fmt: skip
    assert done.returncode == 0, done.stderr
    model = parse_model(model_file.read_text())
    # The fitted arrivals are the admissions the history holds, counted here from the spells,
    # set at demand's level now (59 days, less than a year): the system's hospital admissions
    # a day in the last 28 days (from 4 March) over the 59 days' average.
    acute = model.service("RX101 Riverside General Hospital")
    spells = create_engine(demo_url)
    count = (
        "SELECT count(*) FROM spells JOIN wards ON wards.code = spells.ward_code"
        " WHERE {where} AND spells.status IN ('admitted', 'discharged')"
        " AND admitted_at >= '{since}' AND admitted_at < '2026-03-31 23:00:00'"
    )  # local days: GMT until 29 March, BST after
    with spells.connect() as conn:
        admitted, in_hospitals, recently = (
            conn.execute(text(count.format(where=where, since=since))).scalar_one()
            for where, since in (
                ("spells.site_code = 'RX101'", "2026-02-01 00:00:00"),
                ("wards.type IN ('acute', 'mental-health')", "2026-02-01 00:00:00"),
                ("wards.type IN ('acute', 'mental-health')", "2026-03-04 00:00:00"),
            )
        )
    spells.dispose()
    level = (recently / 28) / (in_hospitals / 59)
    assert acute.arrivals is not None
    assert acute.arrivals.per_day == pytest.approx(admitted / 59 * level, abs=0.001)
    assert 0 < acute.nctr_probability < 1 and acute.capacity == 704
    assert {"P1 home-based care", "P2 community beds", "P3 care home placements"} <= {
        s.name for s in model.services
    }
    scenario = tmp_path / "more.toml"
    scenario.write_text('name = "Demand +8%"\ndemand = 1.08\n')
    out = tmp_path / "results.parquet"
    done = homeflow(demo_url, "simulate", str(model_file), "--scenario", str(scenario), "--reps", "20", "--horizon", "14", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = pd.read_parquet(out)
    assert set(results.scenario) == {"Baseline", "Demand +8%"}
    assert set(results.columns) >= {"date", "service", "measure", "mean", "p5", "p50", "p95"}
    # A census start begins with the patients the database has in RX101's beds: on day one,
    # those at midnight plus those who left less those who came (means over replications).
    census = homeflow(demo_url, "census", "--date", "2026-03-31", "--format", "json")
    in_beds = sum(r["occupied"] for r in json.loads(census.stdout) if r["site_code"] == "RX101")
    first = results[
        (results.date == results.date.min())
        & (results.service == acute.name)
        & (results.scenario == "Baseline")
    ]
    day_one = first.set_index("measure")["mean"]
    started = day_one["occupancy"] + day_one["departures"] - day_one["admissions"]
    assert started == pytest.approx(in_beds)
    ordered = results[results.measure == "delayed_bed_days"]
    assert (ordered.p5 <= ordered.p50).all() and (ordered.p50 <= ordered.p95).all()


def test_simulate_names_a_bad_file_and_option(demo_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[[service]]\nname = 'a'\nlength_of_stay = { family = 'gamma', shape = 0, scale = 1 }\n"
    )
    done = homeflow(demo_url, "simulate", str(bad), "--out", str(tmp_path / "r.parquet"))
    assert done.returncode == 2 and "length_of_stay.shape" in done.stderr
    done = homeflow(
        demo_url, "calibrate", "--from", "2026-03-31", "--to", "2026-02-01", "--out", str(bad)
    )
    assert done.returncode == 2 and "--to" in done.stderr


def test_arrivals_follow_a_forecast_on_the_days_it_covers(tmp_path: Path) -> None:
    from homeflow.sim.scenarios import with_forecasts

    (tmp_path / "forecast.csv").write_text(
        "series_id,date,mean,lo80,hi80,lo95,hi95\n"
        "RX101,2026-01-06,50.0,40,60,35,65\nRX101,2026-01-07,60.0,50,70,45,75\n"
        "RX102,2026-01-06,9.0,8,10,7,11\n"
    )
    text = (
        'name = "forecast"\nstart = 2026-01-05\n[[service]]\nname = "acute"\n'
        'arrivals = { per_day = 20.0, forecast = { file = "forecast.csv", series = "RX101" } }\n'
        'length_of_stay = { family = "fixed", value = 1.0 }\n'
    )
    model = with_forecasts(parse_model(text), lambda name: (tmp_path / name).read_text())
    compiled = compile_model(model, 4, warmup_days=0)
    assert compiled.arrival_rate[0].tolist() == [20.0, 50.0, 60.0, 20.0]
    out = compiled.run(replication_seeds(2, 300))
    assert abs(out[:, 2, 0, e.ADMISSIONS].mean() - 60.0) < 4 * math.sqrt(60.0 / 300)
    missing = parse_model(text.replace('series = "RX101"', 'series = "RX999"'))
    with pytest.raises(InvalidInput) as problem:
        with_forecasts(missing, lambda name: (tmp_path / name).read_text())
    assert problem.value.field == "service 'acute'.arrivals.forecast.series"


@pytest.mark.parametrize(
    "los",
    [
        Distribution("gamma", 2.0, 21.0),
        Distribution("lognormal", 2.0, 0.8),
        Distribution("weibull", 1.5, 10.0),
        Distribution("empirical", values=(1.0, 2.0, 9.0)),
    ],
)
def test_packages_already_running_have_the_renewal_residual_time(los: Distribution) -> None:
    # Met at a random moment, a stay has E[S²] / (2 E[S]) left on average (renewal theory).
    model = parse_model(
        f"""
        name = "running packages"
        start = {START}
        [[service]]
        name = "hospital"
        sites = ["H1"]
        length_of_stay = {{ family = "fixed", value = 1.0 }}
        [[service]]
        name = "home care"
        unit = "packages"
        occupied_at_start = 400
        length_of_stay = {{ family = "fixed", value = 1.0 }}
        """
    )
    from dataclasses import replace

    home_care = replace(model.services[1], length_of_stay=los)
    model = replace(model, services=(model.services[0], home_care))
    compiled = compile_model(model, 5, Census(START, (CensusPatient("hospital", 1.0),)))
    left = compiled.initial_event_times(replication_seeds(9, 100))[0][:, 1:]
    second_moments = {
        "gamma": lambda: los.a * (los.a + 1) * los.b**2,
        "lognormal": lambda: math.exp(2 * los.a + 2 * los.b**2),
        "weibull": lambda: los.b**2 * math.gamma(1 + 2 / los.a),
        "empirical": lambda: float(np.mean(np.square(los.values))),
    }
    second_moment = second_moments[los.family]()
    expected = second_moment / (2 * los.mean())
    assert abs(left.mean() - expected) < 0.03 * expected


def test_a_web_run_that_cannot_finish_says_why(engine: Engine, tmp_path: Path) -> None:
    from homeflow.domain.privacy import Role
    from homeflow.store import simulation_runs as runs
    from homeflow.store.access import Viewer
    from homeflow.web.pages.scenarios import _run_in_background

    analyst = Viewer("a@b.test", "QDE", Role.ANALYST, "test")

    (tmp_path / "scenarios").mkdir()
    (tmp_path / "ward.toml").write_text(BLOCKING)
    (tmp_path / "scenarios" / "more.toml").write_text('name = "More"\ndemand = 1.1\n')
    done = runs.queue_run(engine, analyst, "QDE", "ward.toml", ["more.toml"], 5, 10, "empty", 1)
    _run_in_background(engine, done, tmp_path)
    finished = runs.run_of(engine, done)
    assert finished is not None and finished["status"] == runs.DONE
    assert [t["scenario"] for t in finished["results"]["totals"]] == ["Baseline", "More"]
    # The scenario file went between asking and running; and a census start with nobody in.
    (tmp_path / "scenarios" / "more.toml").unlink()
    gone = runs.queue_run(engine, analyst, "QDE", "ward.toml", ["more.toml"], 5, 10, "empty", 1)
    empty = runs.queue_run(engine, analyst, "QDE", "ward.toml", [], 5, 10, "census", 1)
    for run_id, why in ((gone, "cannot read a file"), (empty, "start: nobody is in a bed")):
        _run_in_background(engine, run_id, tmp_path)
        failed = runs.run_of(engine, run_id)
        assert failed is not None and failed["status"] == runs.FAILED
        assert why in failed["message"] and failed["results"] is None
    # A server that stopped mid-run leaves no run "running" once it starts again.
    stuck = runs.queue_run(engine, analyst, "QDE", "ward.toml", [], 5, 10, "empty", 1)
    runs.mark(engine, stuck, runs.RUNNING)
    runs.interrupt_unfinished(engine)
    assert runs.run_of(engine, stuck)["status"] == runs.FAILED  # type: ignore[index]
    assert runs.run_of(engine, done)["status"] == runs.DONE  # type: ignore[index]


def test_validate_starts_from_the_stored_census_and_compares_with_it(demo_url: str) -> None:
    done = homeflow(demo_url, "validate", "--to", "2026-03-20", "--days", "5", "--reps", "20", "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = {(r["service"], r["measure"]): r for r in json.loads(done.stdout)}

    def census(day: str) -> list[dict[str, Any]]:
        printed = homeflow(demo_url, "census", "--date", day, "--format", "json").stdout
        return list(json.loads(printed))

    start = census("2026-03-20")
    after = [census(f"2026-03-{d}") for d in range(21, 26)]
    places = {
        "RX101 Riverside General Hospital": {"RX101"},
        "P2 community beds": {"RY101", "RY102"},
    }
    for service, sites in places.items():
        for measure, column in (("occupancy", "occupied"), ("nctr", "nctr")):
            actual = [sum(r[column] for r in day if r["site_code"] in sites) for day in after]
            # The run starts from the patients in beds at the midnight ending --to, placed by
            # their ward, NCTR or not as they were then: the stored census of that day.
            first = sum(r[column] for r in start if r["site_code"] in sites)
            row = rows[service, measure]
            assert row["days"] == 5
            assert row["actual mean"] == pytest.approx(np.mean(actual), abs=0.01)
            assert row["reference bias"] == pytest.approx(first - np.mean(actual), abs=0.01)
            reference_mae = np.mean([abs(first - a) for a in actual])
            assert row["reference MAE"] == pytest.approx(reference_mae, abs=0.01)
            assert 0 <= row["inside 50% band"] <= row["inside 90% band"] <= 1
    pooled = rows["all services", "occupancy"]
    assert pooled["days"] == 5 * sum(1 for s, m in rows if m == "occupancy" and s != "all services")


def test_validate_names_the_option_it_cannot_use(demo_url: str) -> None:
    done = homeflow(demo_url, "validate", "--to", "2026-02-03", "--days", "5", "--reps", "5")
    assert done.returncode == 2 and done.stderr.startswith("error: --to: "), done.stderr
    done = homeflow(demo_url, "validate", "--to", "2026-03-20", "--days", "0")
    assert done.returncode == 2 and "--days" in done.stderr, done.stderr
    # The last day compared must have ended too.
    done = homeflow(demo_url, "validate", "--to", "2026-03-20", "--days", "366")
    assert done.returncode == 2 and done.stderr.startswith("error: --days: "), done.stderr


# The scenario changes the model after it is read: the reading is the other validate tests'.
@pytest.mark.one_engine
def test_validate_applies_a_planned_change_and_names_a_bad_scenario(
    demo_url: str, tmp_path: Path
) -> None:
    def riverside_nctr(*extra: str) -> dict[str, Any]:
        done = homeflow(demo_url, "validate", "--to", "2026-03-20", "--days", "5", "--reps", "20", "--format", "json", *extra)  # fmt: skip
        assert done.returncode == 0, done.stderr
        rows = json.loads(done.stdout)
        return next(r for r in rows if r["service"].startswith("RX101") and r["measure"] == "nctr")

    team = tmp_path / "team.toml"
    team.write_text(
        'name = "discharge team"\n[[wait_change]]\nservice = "RX101 Riverside General Hospital"\n'
        'pathway = "P1"\nfrom = 2026-03-21\nfactor = 0\n'
    )
    # Pathway 1 patients at Riverside go as soon as they are ready: fewer wait in its beds.
    assert riverside_nctr("--scenario", str(team))["bias"] < riverside_nctr()["bias"]
    team.write_text(team.read_text().replace("RX101 Riverside", "RX909 Nowhere"))
    done = homeflow(demo_url, "validate", "--to", "2026-03-20", "--days", "5", "--scenario", str(team))  # fmt: skip
    assert done.returncode == 2 and done.stderr.startswith("error: --scenario"), done.stderr
    assert "RX909 Nowhere" in done.stderr
    done = homeflow(demo_url, "validate", "--to", "2026-03-20", "--days", "5", "--scenario", str(tmp_path / "none.toml"))  # fmt: skip
    assert done.returncode == 2 and done.stderr.startswith("error: --scenario none.toml"), (
        done.stderr
    )


@pytest.mark.one_engine  # as the test above
def test_the_demo_s_own_change_is_a_scenario_its_calibrated_model_takes(
    demo_url: str, tmp_path: Path
) -> None:
    from homeflow.demo.improvement import team_scenario

    # The demo above ends on 31 March; its team starts on the Monday four weeks before.
    team = tmp_path / "team.toml"
    team.write_text(team_scenario(date(2026, 3, 31)))
    done = homeflow(demo_url, "validate", "--to", "2026-03-20", "--days", "5", "--reps", "10", "--scenario", str(team))  # fmt: skip
    assert done.returncode == 0, done.stderr
    title = " ".join(done.stdout.split())  # however the table's title wraps
    assert "with the scenario 'Integrated discharge team at Riverside General Hospital'" in title
