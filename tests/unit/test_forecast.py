"""Demand forecasting: reading and cleaning series, forecasts that can be checked by hand,
the backtest's measures, and the commands with bad input."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from homeflow.domain.errors import InvalidInput
from homeflow.forecasting.demand import CANDIDATES, backtest, forecast, prepare, read_series

START = date(2025, 1, 6)  # a Monday
WEEK = [120.0, 130.0, 125.0, 128.0, 140.0, 90.0, 85.0]


def write(path: Path, rows: list[tuple[str, date, float | str]]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["series_id", "date", "value"])
        writer.writerows((s, d.isoformat(), v) for s, d, v in rows)
    return path


def weekly(
    series_id: str, days: int, noise: float = 0.0, seed: int = 1
) -> list[tuple[str, date, float]]:
    rng = np.random.default_rng(seed)
    return [
        (series_id, START + timedelta(days=n), WEEK[n % 7] + noise * float(rng.normal()))
        for n in range(days)
    ]


def test_bad_rows_are_refused_naming_the_line_and_field(tmp_path: Path) -> None:
    for rows, field in (
        ([("A", "2025-13-01", "1")], "line 2, date"),
        ([("A", "2025-01-01", "1"), ("A", "2025-01-02", "many")], "line 3, value"),
        ([("", "2025-01-01", "1")], "line 2, series_id"),
    ):
        path = tmp_path / "bad.csv"
        with path.open("w", newline="") as f:
            csv.writer(f).writerows([("series_id", "date", "value"), *rows])
        with pytest.raises(InvalidInput) as refused:
            read_series(path)
        assert refused.value.field == field
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("trust,day,count\nA,2025-01-01,3\n")
    with pytest.raises(InvalidInput, match="series_id,date,value"):
        read_series(wrong)


def test_missing_days_and_runs_of_zeros_are_interpolated(tmp_path: Path) -> None:
    rows = [("A", START + timedelta(days=n), float(100 + n)) for n in range(70)]
    del rows[10]  # a missing day
    rows[20:23] = [(s, d, 0.0) for s, d, _ in rows[20:23]]  # days 21-23 reported as zero
    prepared = prepare(read_series(write(tmp_path / "s.csv", rows))).set_index("ds")["y"]
    assert len(prepared) == 70
    assert prepared[pd.Timestamp(START + timedelta(days=10))] == pytest.approx(110)
    assert prepared[pd.Timestamp(START + timedelta(days=22))] == pytest.approx(122)  # was 100 + 22
    short = write(tmp_path / "short.csv", rows[:30])
    with pytest.raises(InvalidInput) as refused:
        prepare(read_series(short))
    assert refused.value.field == "A" and "56" in refused.value.reason


def test_a_weekly_pattern_is_forecast_and_the_intervals_nest(tmp_path: Path) -> None:
    rows = weekly("flat", 140) + weekly("noisy", 140, noise=6.0, seed=3)
    made = forecast(prepare(read_series(write(tmp_path / "s.csv", rows))), horizon=14)
    assert len(made) == 28 and set(made["model"]) <= set(CANDIDATES)
    flat = made[made["series_id"] == "flat"]
    expected = [WEEK[(140 + n) % 7] for n in range(14)]
    assert flat["mean"].tolist() == pytest.approx(expected, abs=1.0)
    assert list(flat["date"]) == [START + timedelta(days=140 + n) for n in range(14)]
    assert (made["lo95"] <= made["lo80"]).all() and (made["lo80"] <= made["mean"]).all()
    assert (made["mean"] <= made["hi80"]).all() and (made["hi80"] <= made["hi95"]).all()


def test_the_backtest_scores_models_against_seasonal_naive(tmp_path: Path) -> None:
    # A weekly pattern on a steady climb: seasonal naive lags a week behind the trend.
    rows = [
        (s, d, v + 0.8 * n) for n, (s, d, v) in enumerate(weekly("rising", 196, noise=3.0, seed=5))
    ]
    result = backtest(prepare(read_series(write(tmp_path / "s.csv", rows))), horizon=14, windows=3)
    row = result.per_series.iloc[0]
    assert row["model"] in CANDIDATES
    assert row["mase"] < row["naive_mase"] and result.beats_naive == 1.0
    assert 0.0 <= row["coverage80"] <= row["coverage95"] <= 1.0
