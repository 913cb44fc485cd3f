"""Fewer found ready and fewer leaving at the weekend: the shares fitted from the history, the
days they keep a patient, worked out by hand (sim/calibrate), and the engine keeping patients
to the next day as the shares say (sim/engine)."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from homeflow.domain.errors import InvalidInput
from homeflow.sim import draws, engine
from homeflow.sim.calibrate import _nctr_share
from homeflow.sim.compiled import _next_check, compile_model
from homeflow.sim.model import Distribution, parse_model
from homeflow.sim.model_toml import model_to_toml
from homeflow.sim.runner import replication_seeds
from homeflow.sim.weekdays import kept_days, shares_by_weekday


def test_the_shares_from_departures_by_weekday_by_hand() -> None:
    # 100 due a day. Saturday 70 of them go (30 kept); Sunday 65 of its 130 due (65 kept);
    # Monday all 165. Ten of each weekday: Monday 1,650 went, Tuesday to Friday 1,000 each,
    # Saturday 700, Sunday 650 (7,000 in all: 100 a day).
    went = [1650, 1000, 1000, 1000, 1000, 700, 650]
    assert shares_by_weekday(went, [10] * 7) == (1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.5)


def test_too_few_departures_cannot_tell_the_weekdays() -> None:
    assert shares_by_weekday([60, 30, 30, 30, 30, 5, 5], [10] * 7) == (1.0,) * 7


def test_the_days_the_shares_keep_a_patient_by_hand() -> None:
    # Due on a Saturday: kept with 0.3 (a day), then on Sunday with 0.5 of that (a second
    # day): 0.3 + 0.15. Due on a Sunday: kept with 0.5. Due on a weekday: never.
    shares = (1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.5)
    assert kept_days(shares) == pytest.approx((0.45 + 0.5) / 7)
    assert kept_days((1.0,) * 7) == 0.0


MODEL = """
name = "weekend"
start = 2026-01-05
[[service]]
name = "ward"
capacity = 1000
arrivals = {{ per_day = 30 }}
length_of_stay = {{ family = "exponential", mean = 2.0 }}
discharge = {{ nctr_probability = {nctr}, pathway_mix = {{ P0 = 1.0 }}, {shares} }}
pathway.P0 = {{}}
"""


def _departures(text: str) -> np.ndarray:
    """Departures a day (14 days from Monday 5 January 2026), summed over 20 replications."""
    compiled = compile_model(parse_model(text), horizon=14, warmup_days=7)
    figures = compiled.run(replication_seeds(0, 20))
    return np.asarray(figures[:, :, 0, engine.DEPARTURES].sum(axis=0))


def test_no_one_leaves_on_a_weekday_whose_leaving_share_is_nought() -> None:
    text = MODEL.format(nctr=1.0, shares="leaving_weekday = [1, 1, 1, 1, 1, 0, 0]")
    left = _departures(text)
    assert [left[d] for d in (5, 6, 12, 13)] == [0, 0, 0, 0]
    # Those kept over the weekend leave on the Monday, with Monday's own.
    assert left[7] > 2 * left[8]
    # The shares are written to the model file and read back.
    assert parse_model(model_to_toml(parse_model(text))).services[0].leaving_weekday == (
        1.0,
        1.0,
        1.0,
        1.0,
        1.0,
        0.0,
        0.0,
    )


def test_no_one_is_found_ready_on_a_weekday_whose_ready_share_is_nought() -> None:
    # No one stays on once ready, so they leave the day they are found ready.
    left = _departures(MODEL.format(nctr=0.0, shares="ready_weekday = [1, 1, 1, 1, 1, 1, 0]"))
    assert left[6] == 0 and left[13] == 0
    assert left[7] > left[8]


def test_shares_above_one_or_all_nought_are_refused_naming_the_field() -> None:
    for shares in ("[1, 1, 1, 1, 1, 1, 2]", "[0, 0, 0, 0, 0, 0, 0]"):
        with pytest.raises(InvalidInput) as refused:
            parse_model(MODEL.format(nctr=1.0, shares=f"leaving_weekday = {shares}"))
        assert refused.value.field == "service 'ward'.discharge.leaving_weekday"


def _stays(n: int, nctr: bool, pathway: str, left: str) -> pd.DataFrame:
    at = pd.Timestamp(left, tz="Europe/London")
    return pd.DataFrame({"nctr": [nctr] * n, "pathway": [pathway] * n, "discharged_at": [at] * n})


def test_the_nctr_share_and_mix_are_the_recent_weeks_when_they_hold_enough() -> None:
    # 56 days to 30 August 2026 begin on 6 July. Before: 1,000 stays, 200 NCTR on P2. Since:
    # 900 stays, 300 NCTR, 200 on P1 and 100 on P3.
    older = [_stays(800, False, "P0", "2026-06-01"), _stays(200, True, "P2", "2026-07-05 23:30")]
    recent = [
        _stays(600, False, "P0", "2026-07-06 00:30"),
        _stays(200, True, "P1", "2026-08-01"),
        _stays(100, True, "P3", "2026-08-30 23:00"),
    ]
    share, mix, note = _nctr_share(pd.concat([*older, *recent]), date(2026, 8, 30))
    assert share == pytest.approx(300 / 900)
    assert mix == pytest.approx((0.0, 2 / 3, 0.0, 1 / 3))
    assert "in the last 56 days" in note
    # One NCTR stay fewer since: too few to tell, so all 1,899 stays.
    fewer = pd.concat([*older, *recent[:2], _stays(99, True, "P3", "2026-08-30")])
    share, mix, _ = _nctr_share(fewer, date(2026, 8, 30))
    assert share == pytest.approx(499 / 1899)
    assert mix == pytest.approx((0.0, 200 / 499, 200 / 499, 99 / 499))


def test_a_census_patient_whose_stay_ended_at_the_weekend_is_found_at_the_next_check() -> None:
    # The run starts at a Monday's midnight; only Sunday keeps anyone (half of those due).
    shares = np.array([[1, 1, 1, 1, 1, 1, 0.5]] * 2)
    gens = draws.streams(np.arange(20), 1)
    # Fixed stays of 3 days. In 3.5 days, so the stay ended on Sunday at noon and Sunday kept
    # them: the next check is Monday at noon. In 2 days: the stay ends a day after the start.
    times = _next_check(Distribution("fixed", 3.0), np.array([3.5, 2.0]), shares, 0, gens)
    assert times == pytest.approx(np.tile([0.5, 1.0], (20, 1)))


def test_a_census_patient_is_likelier_to_be_due_on_monday_after_a_weekend_that_kept_them() -> None:
    # Exponential stays of a day; in 10 days at the start (a Monday's midnight); Saturday and
    # Sunday keep half of those due. Per e^-10: not ended, 1; ended on Sunday and kept,
    # 0.5 (e - 1); ended on Saturday and kept twice, 0.25 (e^2 - e) (on Friday: none kept).
    # Those kept are due at the first check after the start, within a day; the others within
    # a day with chance 1 - 1/e.
    e = math.e
    kept = 0.5 * (e - 1) + 0.25 * (e**2 - e)
    within_a_day = (kept + (1 - 1 / e)) / (1 + kept)  # 0.879 (0.632 with no weekend)
    weekend = np.array([[1, 1, 1, 1, 1, 0.5, 0.5]] * 20_000)
    gens = draws.streams(np.array([5]), 1)
    times = _next_check(Distribution("exponential", 1.0), np.full(20_000, 10.0), weekend, 0, gens)
    assert (times > 0).all()
    assert (times <= 1.0).mean() == pytest.approx(within_a_day, abs=0.015)
