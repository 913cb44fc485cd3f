"""Forecasts that add up (ward → site → trust → ICB): coherence on a small hand-made tree, and
the evaluation's arithmetic (MASE, coverage, the conformal half-width) on hand-made cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from homeflow.domain.errors import InvalidInput
from homeflow.forecasting import hierarchy
from homeflow.forecasting.hierarchy import (
    BASELINE,
    aggregated,
    conformal_half_width,
    coverage,
    evaluate,
    mase,
    recent_scale,
)

# One ICB, two trusts, three sites, four wards.
TREE = [
    ("Q1", "T1", "S1", "W1"),
    ("Q1", "T1", "S1", "W2"),
    ("Q1", "T1", "S2", "W3"),
    ("Q1", "T2", "S3", "W4"),
]
WEEK = [9.0, 7.0, 7.0, 6.0, 6.0, 3.0, 2.0]


def wards(days: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-05")  # a Monday
    rows = [
        (*place, start + pd.Timedelta(days=n), float(rng.poisson(WEEK[n % 7] * (k + 1))))
        for k, place in enumerate(TREE)
        for n in range(days)
        if n != 10 or place[3] != "W4"  # a day with no row is a day with nothing
    ]
    return pd.DataFrame(rows, columns=[*hierarchy.PLACES, "ds", "y"])


def test_every_ward_every_day_and_each_level_the_sum_of_the_one_below() -> None:
    series, _, tags = aggregated(wards(21))
    assert [len(tags[level]) for level in hierarchy.PLACES] == [1, 2, 3, 4]
    by_id = series.pivot(index="ds", columns="unique_id", values="y")
    assert len(by_id) == 21 and not by_id.isna().any().any()
    assert by_id["Q1/T2/S3/W4"].iloc[10] == 0
    assert (by_id["Q1/T1/S1"] == by_id["Q1/T1/S1/W1"] + by_id["Q1/T1/S1/W2"]).all()
    assert (by_id["Q1"] == by_id["Q1/T1"] + by_id["Q1/T2"]).all()


def test_a_ward_row_without_its_place_is_refused_naming_the_column() -> None:
    with pytest.raises(InvalidInput) as refused:
        aggregated(wards(21).drop(columns=["trust"]))
    assert refused.value.field == "wards" and "trust" in refused.value.reason


@pytest.mark.parametrize("method", ["mint-shrink", "bottom-up"])
def test_the_forecasts_add_up_ward_to_site_to_trust_to_icb(method: str) -> None:
    series, summing, tags = aggregated(wards(42))
    made = hierarchy.forecast(series, summing, tags, horizon=7, calibration=2, method=method)
    assert len(made) == 10 * 7 and (made["hi80"] >= made["mean"]).all()
    mean = made.pivot(index="date", columns="series_id", values="mean")
    for total, parts in {
        "S1": ["W1", "W2"],
        "S2": ["W3"],
        "T1": ["S1", "S2"],
        "T2": ["S3"],
        "Q1": ["T1", "T2"],
    }.items():
        assert np.allclose(mean[total], mean[parts].sum(axis=1), atol=1e-6), total
    assert set(made["level"]) == set(hierarchy.PLACES)


def test_too_short_a_history_is_refused_naming_the_days() -> None:
    series, summing, tags = aggregated(wards(21))
    with pytest.raises(InvalidInput) as refused:
        hierarchy.forecast(series, summing, tags, horizon=7, calibration=2)
    assert refused.value.field == "--days" and "21 days" in refused.value.reason


def test_an_unknown_reconciliation_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput) as refused:
        hierarchy._method("top-down")
    assert refused.value.field == "--method"


def test_conformal_half_width_is_the_corrected_rank_of_the_absolute_errors() -> None:
    errors = np.array([-9.0, 1, -2, 3, 4, -5, 6, 7, -8])
    # n = 9, 80%: the ⌈10 × 0.8⌉ = 8th smallest |error|.
    assert conformal_half_width(errors) == 8
    assert conformal_half_width(errors, 50) == 5  # ⌈10 × 0.5⌉ = 5th
    # Three errors cannot hold 80%: ⌈4 × 0.8⌉ = 4 > 3, so no finite width.
    assert math.isinf(conformal_half_width(np.array([1.0, 2, 3])))


def test_mase_is_the_error_over_the_weekly_differences_before() -> None:
    history = np.array([0.0] * 7 + [7.0] * 7)  # every weekly difference is 7
    assert mase(np.array([10.0, 12]), np.array([11.0, 11]), history) == pytest.approx(1 / 7)


def test_coverage_is_the_share_inside_the_interval_edges_included() -> None:
    actual = np.array([1.0, 2, 3, 4])
    assert coverage(actual, np.full(4, 1.5), np.full(4, 3.0)) == 0.5


def test_each_window_is_scored_with_the_errors_of_the_windows_before_it() -> None:
    days = pd.date_range("2026-01-05", periods=28, freq="D")
    history = pd.DataFrame({"unique_id": "Q1", "ds": days, "y": [0.0] * 7 + [7.0] * 21})
    cutoffs = [days[13], days[20]]
    cv = pd.DataFrame(
        {
            "unique_id": "Q1",
            "cutoff": [cutoffs[0]] * 3 + [cutoffs[1]] * 3,
            "ds": [*days[14:17], *days[21:24]],
            "y": [10.0, 10, 10, 10, 10, 10],
            # Errors 1, 2, 3 in the first window; 0, 2, 4 in the second.
            "reconciled": [9.0, 12, 7, 10, 8, 14],
            BASELINE: [10.0, 10, 10, 13, 13, 13],
        }
    )
    evaluation = evaluate(cv, history, {"icb": np.array(["Q1"])}, calibration=1)
    windows = evaluation.windows
    # Only the second window is scored, against the weekly differences before its cutoff.
    assert len(windows) == 1 and windows.iloc[0]["days"] == 3
    assert windows.iloc[0]["naive_mase"] == pytest.approx(3 / 3.5)  # scale: 7 × 7 / 14
    assert windows.iloc[0]["mase"] == pytest.approx(2 / 3.5)
    # The first window's three errors cannot give an 80% width: every day is inside.
    assert windows.iloc[0]["covered"] == 1.0
    summary = evaluation.by_level()
    assert summary.loc["icb", "ratio"] == pytest.approx(2 / 3)


def test_the_recent_scale_is_the_weekly_movement_of_the_last_four_weeks() -> None:
    wild_first_week = [100.0, 0, 100, 0, 100, 0, 100]
    lately = [0.0] * 7 + [3.0] * 7 + [0.0] * 7 + [3.0] * 7  # every weekly difference is 3
    assert recent_scale(np.array(wild_first_week + lately)) == 3.0
    assert recent_scale(np.full(28, 5.0)) == 1.0  # a series that has not moved: no division by 0


def test_a_levels_series_share_one_quantile_of_errors_over_their_recent_scale() -> None:
    days = pd.date_range("2026-01-05", periods=28, freq="D")
    weeks = np.arange(28) // 7 % 2  # 0 one week, 1 the next: every weekly difference is 1
    history = pd.concat(
        pd.DataFrame({"unique_id": name, "ds": days, "y": weeks * step})
        for name, step in (("A", 2.0), ("B", 4.0))  # recent scales 2 and 4
    )
    first, second = days[13], days[20]
    errors = {
        # Over scale 2: 0.5, 0.5, 1, 1, 0.25; then |errors| 0, 1, 2, 3, 2.
        "A": [1.0, -1, 2, -2, 0.5, 0, 1, 2, 3, -2],
        # Over scale 4: 1, 1, 0.5, 1.5, 0.25; then |errors| 5, 3, 4, 4.5, 0.
        "B": [4.0, -4, 2, -6, 1, 5, -3, 4, -4.5, 0],
    }
    cv = pd.concat(
        pd.DataFrame(
            {
                "unique_id": name,
                "cutoff": [first] * 5 + [second] * 5,
                "ds": [*days[14:19], *days[21:26]],
                "y": 10.0,
                "reconciled": [10.0 - e for e in made],
                BASELINE: 11.0,
            }
        )
        for name, made in errors.items()
    )
    evaluation = evaluate(cv, history, {"ward": np.array(["A", "B"])}, calibration=1)
    # The first window's ten scores, sorted: .25 .25 .5 .5 .5 1 1 1 1 1.5; the ⌈11 × 0.8⌉ =
    # 9th is 1 scale: half-widths 2 for A (4 of its 5 errors inside) and 4 for B (3 of 5).
    # Alone, either series' five scores could not make an 80% interval.
    covered = evaluation.windows.set_index("series_id")["covered"]
    assert covered["A"] == pytest.approx(0.8) and covered["B"] == pytest.approx(0.6)
    assert evaluation.by_level().loc["ward", "coverage80"] == pytest.approx(0.7)
