"""Demand forecasts for daily series (admissions, NCTR counts, discharges), with statsforecast.

For each series the model (MSTL, AutoETS or AutoARIMA, weekly seasonality) is chosen by
rolling-origin cross-validation on its own history, scored by MASE against the seasonal naive
forecast; the forecast carries 80% and 95% intervals, calibrated on the same cross-validation. Missing days and runs of zeros (a zero
count in these returns means nothing was reported) are treated as missing and interpolated
before fitting.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from homeflow.domain.errors import InvalidInput

SEASON = 7
LEVELS = (80, 95)
MIN_DAYS = 8 * SEASON
CANDIDATES = ("mstl", "autoets", "autoarima")
BASELINE = "seasonal-naive"
FORECAST_COLUMNS = ("series_id", "date", "mean", "lo80", "hi80", "lo95", "hi95", "model")


def _model(name: str) -> Any:
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, SeasonalNaive

    makers: dict[str, Callable[[], Any]] = {
        "mstl": lambda: MSTL(
            season_length=[SEASON], trend_forecaster=AutoETS(model="ZZN"), alias="mstl"
        ),
        "autoets": lambda: AutoETS(season_length=SEASON, alias="autoets"),
        # A bounded search: the full one takes seconds a series, which a planning meeting
        # with a hundred trusts cannot wait for, and chose the same orders in trials.
        "autoarima": lambda: AutoARIMA(
            season_length=SEASON,
            max_p=2,
            max_q=2,
            max_P=1,
            max_Q=1,
            approximation=True,
            nmodels=20,
            alias="autoarima",
        ),
        BASELINE: lambda: SeasonalNaive(season_length=SEASON, alias=BASELINE),
    }
    return makers[name]()


def read_series(path: Path) -> pd.DataFrame:
    """`series_id,date,value` rows; a bad row is refused naming its line and field."""
    try:
        handle = path.open(newline="")
    except OSError as error:
        raise InvalidInput("--input", f"cannot read {path}: {error.strerror}") from None
    rows = []
    with handle:
        reader = csv.DictReader(handle)
        missing = {"series_id", "date", "value"} - set(reader.fieldnames or ())
        if missing:
            raise InvalidInput(
                "--input", f"needs columns series_id,date,value; no {sorted(missing)}"
            )
        for number, row in enumerate(reader, start=2):
            try:
                day = date.fromisoformat(row["date"])
            except ValueError:
                raise InvalidInput(
                    f"line {number}, date", f"{row['date']!r} is not a date"
                ) from None
            text = row["value"].strip()
            try:
                value = float(text) if text else float("nan")
            except ValueError:
                raise InvalidInput(f"line {number}, value", f"{text!r} is not a number") from None
            if not row["series_id"]:
                raise InvalidInput(f"line {number}, series_id", "is required")
            rows.append((row["series_id"], day, value))
    if not rows:
        raise InvalidInput("--input", "has no rows")
    frame = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    frame["ds"] = pd.to_datetime(frame["ds"])
    return frame


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Each series on every day from its first to its last, zeros and gaps interpolated."""
    prepared = []
    for series_id, part in frame.groupby("unique_id", sort=True):
        values = part.groupby("ds")["y"].mean()
        values = values.reindex(pd.date_range(values.index.min(), values.index.max(), freq="D"))
        values = values.mask(values == 0).interpolate(limit_area="inside").dropna()
        if len(values) < MIN_DAYS:
            raise InvalidInput(
                str(series_id), f"has {len(values)} usable days; forecasting needs {MIN_DAYS}"
            )
        prepared.append(
            pd.DataFrame({"unique_id": series_id, "ds": values.index, "y": values.values})
        )
    return pd.concat(prepared, ignore_index=True)


def _cross_validate(
    frame: pd.DataFrame, models: tuple[str, ...], horizon: int, windows: int, jobs: int
) -> pd.DataFrame:
    from statsforecast import StatsForecast

    engine = StatsForecast(models=[_model(m) for m in models], freq="D", n_jobs=jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return engine.cross_validation(
            df=frame, h=horizon, n_windows=windows, step_size=horizon, level=list(LEVELS)
        )


def _scale(history: pd.Series) -> float:
    """MASE's denominator: the mean absolute weekly difference in the training data."""
    diffs = np.abs(history.values[SEASON:] - history.values[:-SEASON])
    return float(diffs.mean()) if len(diffs) and diffs.mean() > 0 else 1.0


def _mase(cv: pd.DataFrame, frame: pd.DataFrame, model: str) -> pd.Series:
    """Mean over windows of each window's MAE over the scale of the data before it."""
    scores: dict[tuple[str, Any], float] = {}
    history = {k: g.set_index("ds")["y"] for k, g in frame.groupby("unique_id")}
    for (series_id, cutoff), window in cv.groupby(["unique_id", "cutoff"]):
        scale = _scale(history[series_id][history[series_id].index <= cutoff])
        scores[(series_id, cutoff)] = float(np.abs(window["y"] - window[model]).mean()) / scale
    return pd.Series(scores).groupby(level=0).mean()


@dataclass(frozen=True, slots=True)
class Choice:
    """Each series' model, and how much to widen or narrow the models' intervals."""

    models: dict[str, str]
    # For each level, the multiple of the model's half-width that held that share of the
    # cross-validation outcomes (pooled over series): the models' own intervals assume larger
    # errors than these series show, and this calibrates them on data the model has not seen.
    interval_scale: dict[int, float]

    def calibrated(self, frame: pd.DataFrame, model_of: pd.Series) -> pd.DataFrame:
        """`frame` with `<model>-lo/hi-<level>` columns rescaled about the mean."""
        out = frame.copy()
        for level in LEVELS:
            for model in set(model_of):
                rows = model_of == model
                mean = out.loc[rows, model]
                half = (
                    out.loc[rows, f"{model}-hi-{level}"] - out.loc[rows, f"{model}-lo-{level}"]
                ) / 2
                out.loc[rows, f"{model}-lo-{level}"] = mean - self.interval_scale[level] * half
                out.loc[rows, f"{model}-hi-{level}"] = mean + self.interval_scale[level] * half
        return out


def choose_models(frame: pd.DataFrame, horizon: int, windows: int = 3, jobs: int = 1) -> Choice:
    """Each series' model: the candidate with the lowest cross-validated MASE; and the
    interval calibration those same windows give."""
    cv = _cross_validate(frame, CANDIDATES, horizon, windows, jobs)
    scores = pd.DataFrame({m: _mase(cv, frame, m) for m in CANDIDATES})
    models = {str(k): str(v) for k, v in scores.idxmin(axis=1).items()}
    chosen = cv["unique_id"].map(models)
    scale = {}
    for level in LEVELS:
        errors, halves = [], []
        for model in CANDIDATES:
            rows = cv[chosen == model]
            errors.append((rows["y"] - rows[model]).abs())
            halves.append((rows[f"{model}-hi-{level}"] - rows[f"{model}-lo-{level}"]) / 2)
        ratio = pd.concat(errors) / pd.concat(halves).clip(lower=1e-9)
        scale[level] = float(ratio.quantile(level / 100))
    return Choice(models, scale)


def forecast(frame: pd.DataFrame, horizon: int, jobs: int = 1) -> pd.DataFrame:
    """The next `horizon` days of every series, by its chosen model, with intervals."""
    from statsforecast import StatsForecast

    choice = choose_models(frame, horizon, jobs=jobs)
    out = []
    for model in sorted(set(choice.models.values())):
        ids = [k for k, m in choice.models.items() if m == model]
        engine = StatsForecast(models=[_model(model)], freq="D", n_jobs=jobs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            made = engine.forecast(
                df=frame[frame["unique_id"].isin(ids)], h=horizon, level=list(LEVELS)
            )
        made = choice.calibrated(made, made["unique_id"].map(choice.models))
        out.append(
            pd.DataFrame(
                {
                    "series_id": made["unique_id"],
                    "date": made["ds"].dt.date,
                    "mean": made[model],
                    **{
                        f"{side}{level}": made[f"{model}-{side}-{level}"]
                        for level in LEVELS
                        for side in ("lo", "hi")
                    },
                    "model": model,
                }
            )
        )
    result = pd.concat(out, ignore_index=True).sort_values(["series_id", "date"])
    return result[list(FORECAST_COLUMNS)].round(2)


@dataclass(frozen=True, slots=True)
class Backtest:
    per_series: pd.DataFrame  # series_id, model, mase, naive_mase, coverage80, coverage95

    @property
    def beats_naive(self) -> float:
        """The share of series whose chosen model has a lower MASE than seasonal naive."""
        return float((self.per_series["mase"] < self.per_series["naive_mase"]).mean())


def backtest(frame: pd.DataFrame, horizon: int, windows: int = 4, jobs: int = 1) -> Backtest:
    """Rolling-origin evaluation over the last `windows` × `horizon` days: each series' model
    is chosen on the data before them, then scored on them beside seasonal naive."""
    evaluated_from = frame.groupby("unique_id")["ds"].transform("max") - pd.Timedelta(
        days=windows * horizon - 1
    )
    earlier = frame[frame["ds"] < evaluated_from]
    choice = choose_models(earlier, horizon, jobs=jobs)
    chosen = choice.models
    cv = _cross_validate(frame, (*CANDIDATES, BASELINE), horizon, windows, jobs)
    cv = choice.calibrated(cv, cv["unique_id"].map(chosen))
    naive = _mase(cv, frame, BASELINE)
    rows = []
    for series_id, model in sorted(chosen.items()):
        part = cv[cv["unique_id"] == series_id]
        rows.append(
            {
                "series_id": series_id,
                "model": model,
                "mase": float(_mase(part, frame, model).iloc[0]),
                "naive_mase": float(naive[series_id]),
                **{
                    f"coverage{level}": float(
                        (
                            (part["y"] >= part[f"{model}-lo-{level}"])
                            & (part["y"] <= part[f"{model}-hi-{level}"])
                        ).mean()
                    )
                    for level in LEVELS
                },
            }
        )
    return Backtest(pd.DataFrame(rows))
