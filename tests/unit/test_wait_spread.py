"""The wait spread (sim/level, sim/compiled): how far a service's NCTR moved from one four weeks
to the next in the history, counted by hand from stays and from its definition; each
replication's factor on the waits; and what it does to a run's bands."""

from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from homeflow.domain.errors import InvalidInput
from homeflow.sim import engine
from homeflow.sim.compiled import compile_model
from homeflow.sim.level import SPAN_DAYS, level_spread, nctr_by_day
from homeflow.sim.model import parse_model
from homeflow.sim.model_toml import model_to_toml
from homeflow.sim.runner import replication_seeds

LONDON = ZoneInfo("Europe/London")


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 7, day, hour, tzinfo=LONDON)


def _series(values: list[datetime | None]) -> pd.Series:
    return pd.Series(pd.to_datetime(values, utc=True))


def test_nctr_is_counted_on_each_midnight_from_the_ready_day_to_the_day_before_leaving() -> None:
    ready = _series(
        [
            _at(2, 10),  # ready 2 July, left 5 July: 2, 3 and 4 July
            _at(4, 9),  # ready 4 July, not left by the last day: 4, 5 and 6 July
            None,  # never ready: no day
            datetime(2026, 6, 28, 12, tzinfo=LONDON),  # ready before the window, left 3 July: 1, 2
            _at(6, 23),  # ready late on the last day and still there: 6 July
            _at(3, 8),  # ready and left on 3 July: no midnight
        ]
    )
    left = _series([_at(5, 11), None, _at(2, 15), _at(3, 10), None, _at(3, 17)])
    counts = nctr_by_day(ready, left, date(2026, 7, 1), date(2026, 7, 6))
    assert counts.tolist() == [1, 2, 1, 2, 1, 2]


def test_days_are_counted_whole_across_the_changes_of_the_clocks() -> None:
    # The clocks go back on 25 October 2026: a stay ready on 26 October (GMT) and leaving on
    # 28 October is counted on the 26th and 27th, the 5th and 6th days from 22 October (BST).
    ready = _series([datetime(2026, 10, 26, 9, tzinfo=LONDON)])
    left = _series([datetime(2026, 10, 28, 9, tzinfo=LONDON)])
    counts = nctr_by_day(ready, left, date(2026, 10, 22), date(2026, 10, 29))
    assert counts.tolist() == [0, 0, 0, 0, 1, 1, 0, 0]
    # They go forward on 29 March: ready on 30 March (BST), leaving on 1 April, counted on the
    # 30th and 31st, the 4th and 5th days from 27 March (GMT), not a day early.
    ready = _series([datetime(2026, 3, 30, 9, tzinfo=LONDON)])
    left = _series([datetime(2026, 4, 1, 9, tzinfo=LONDON)])
    counts = nctr_by_day(ready, left, date(2026, 3, 27), date(2026, 4, 2))
    assert counts.tolist() == [0, 0, 0, 1, 1, 0, 0]


def _by_definition(counts: list[float]) -> float:
    """The spread as docs/simulation.md defines it, loop by loop."""
    logs = []
    for o in range(SPAN_DAYS, len(counts) - SPAN_DAYS + 1):
        before = sum(counts[o - SPAN_DAYS : o]) / SPAN_DAYS
        after = sum(counts[o : o + SPAN_DAYS]) / SPAN_DAYS
        logs.append(math.log(after / before))
    rms = math.sqrt(sum(x * x for x in logs) / len(logs))
    return math.sqrt(math.exp(rms * rms) - 1)


def test_a_level_that_doubled_has_the_spread_its_four_weeks_say() -> None:
    # 56 days at 10, then 56 at 20: the four weeks after each day run from level to double.
    counts = [10.0] * 56 + [20.0] * 56
    spread = level_spread(np.array(counts))
    assert spread == pytest.approx(_by_definition(counts))
    # At the step itself the after is twice the before: the spread is above none, below that.
    assert 0.2 < spread < math.sqrt(math.exp(math.log(2) ** 2) - 1)


def test_a_steady_level_or_too_short_a_history_has_no_spread() -> None:
    assert level_spread(np.full(200, 12.0)) == 0.0
    # 28 days with four weeks each side need 83 days; 82 cannot tell.
    rising = np.arange(1.0, 84.0)
    assert level_spread(rising[:82]) == 0.0
    assert level_spread(rising) == pytest.approx(_by_definition(rising.tolist()))
    # Four weeks with no NCTR at all cannot be compared.
    assert level_spread(np.array([0.0] * 40 + [5.0] * 60)) == 0.0


MODEL = """name = "spread"
start = 2026-01-05
[[service]]
name = "ward"
capacity = 400
arrivals = {{ per_day = 30.0 }}
length_of_stay = {{ family = "exponential", mean = 5.0 }}
discharge = {{ nctr_probability = 0.3, pathway_mix = {{ P0 = 1.0 }}, wait_spread = {spread} }}
pathway.P0 = {{ wait = {{ family = "exponential", mean = 4.0 }} }}
"""


def test_each_replication_scales_the_waits_by_a_factor_of_mean_one_and_the_spread() -> None:
    seeds = replication_seeds(5, 4000)
    none = compile_model(parse_model(MODEL.format(spread=0)), 5, warmup_days=0)
    assert (none.wait_factors(seeds) == 1.0).all()
    spread = compile_model(parse_model(MODEL.format(spread=0.2)), 5, warmup_days=0)
    factors = spread.wait_factors(seeds)[:, 0]
    assert factors.mean() == pytest.approx(1.0, abs=0.01)
    assert factors.std() / factors.mean() == pytest.approx(0.2, abs=0.01)
    # A replication's factor is its seed's alone, whatever else runs beside it.
    assert spread.wait_factors(seeds[7:9])[:, 0] == pytest.approx(factors[7:9])


def test_a_spread_widens_the_nctr_band_and_leaves_the_rest_of_the_run_as_it_was() -> None:
    seeds = replication_seeds(3, 300)

    def nctr_at_day_60(spread: float) -> np.ndarray:
        compiled = compile_model(parse_model(MODEL.format(spread=spread)), 60, warmup_days=60)
        return compiled.run(seeds)[:, -1, 0, engine.NCTR]

    steady, spread = nctr_at_day_60(0.0), nctr_at_day_60(0.3)
    width = np.subtract(*np.percentile([spread, steady], (95, 5), axis=1))
    assert width[0] > 1.2 * width[1]
    # 30 a day × 0.3 × 4 days waiting: 36 NCTR on average either way.
    assert steady.mean() == pytest.approx(36, rel=0.08)
    assert spread.mean() == pytest.approx(36, rel=0.08)


def test_the_wait_spread_is_read_written_and_refused_by_name() -> None:
    model = parse_model(MODEL.format(spread=0.125))
    assert model.services[0].wait_spread == 0.125
    assert parse_model(model_to_toml(model)).services[0].wait_spread == 0.125
    for bad, why in (("-0.1", "must be at least 0"), ("2.5", "must be at most 2")):
        with pytest.raises(InvalidInput) as refused:
            parse_model(MODEL.format(spread=bad))
        assert refused.value.field == "service 'ward'.discharge.wait_spread"
        assert why in str(refused.value)


def test_a_census_patient_waiting_to_leave_waits_at_the_replications_level() -> None:
    from homeflow.sim.compiled import Census, CensusPatient

    census = Census(date(2026, 1, 5), (CensusPatient("ward", 3.0, "P0", 1.0),))
    model = parse_model(MODEL.format(spread=0.5))
    compiled = compile_model(model, 5, census)
    seeds = replication_seeds(2, 2000)
    times, factors = compiled.initial_event_times(seeds)
    # An exponential wait of mean 4 has 4 days left whatever it has waited; times the factor.
    assert (times[:, 0] / factors[:, 0]).mean() == pytest.approx(4.0, rel=0.06)
    assert np.corrcoef(times[:, 0], factors[:, 0])[0, 1] > 0.3
