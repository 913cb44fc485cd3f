"""Forecasts that add up: ward, site, trust and ICB series forecast together and reconciled.

Each level's daily series (the wards', and their sums by site, trust and ICB) gets a base
forecast from statsforecast: the mean of AutoETS, AutoTheta and MSTL, each with weekly
seasonality (a mean of a few models forecasts better than any one chosen per series:
Petropoulos and Svetunkov, "A simple combination of univariate models", IJF 2020). The base
forecasts do not add up; hierarchicalforecast's reconciliation (MinTrace, Wickramasuriya,
Athanasopoulos and Hyndman, JASA 2019) makes them add up exactly: wards to their site, sites
to their trust, trusts to the ICB.

The intervals are split-conformal (Vovk, Gammerman and Shafer, "Algorithmic Learning in a
Random World", 2005; Lei et al., JASA 2018), calibrated per level on the reconciled forecasts'
errors in the last six earlier rolling-origin windows, which the models had not seen. Each
error is divided by how much its series had been moving in the four weeks before its origin
(Lei et al.'s locally weighted conformal inference), so the wards of a level share one
quantile and a series whose days have lately grown more variable gets a wider interval.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from homeflow.domain.errors import InvalidInput
from homeflow.forecasting.demand import SEASON, _scale

PLACES = ("icb", "trust", "site", "ward")  # top to bottom
BASELINE = "seasonal-naive"
# Seasonal naive is a member too: the weekday pattern of admissions drifts, which last week's
# values follow and the smoothed models do not; the mean of both beats either on held-out data.
MEMBERS = ("autoets", "autotheta", "mstl", BASELINE)
ENSEMBLE = "ensemble"
METHODS = ("bottom-up", "wls-struct", "mint-shrink")
LEVEL = 80
# The errors of the last six windows calibrate the next: earlier ones were made from shorter
# histories (larger errors, too wide an interval), and the demand of months ago moved less or
# more than now.
RECENT_WINDOWS = 6
SCALE_DAYS = 28  # "lately", for a series' recent movement
HIERARCHY_COLUMNS = ("level", "series_id", "date", "mean", f"lo{LEVEL}", f"hi{LEVEL}")


def _models(members: Sequence[str]) -> list[Any]:
    from statsforecast.models import MSTL, AutoETS, AutoTheta, SeasonalNaive

    made: dict[str, Callable[[], Any]] = {
        "autoets": lambda: AutoETS(season_length=SEASON, alias="autoets"),
        # Additive: a ward's admissions are zero on some days, which a multiplicative
        # decomposition cannot divide by.
        "autotheta": lambda: AutoTheta(
            season_length=SEASON, decomposition_type="additive", alias="autotheta"
        ),
        "mstl": lambda: MSTL(
            season_length=[SEASON], trend_forecaster=AutoETS(model="ZZN"), alias="mstl"
        ),
        BASELINE: lambda: SeasonalNaive(season_length=SEASON, alias=BASELINE),
    }
    return [made[m]() for m in members]


def _method(name: str) -> Any:
    from hierarchicalforecast.methods import BottomUp, MinTrace

    if name not in METHODS:
        raise InvalidInput("--method", f"{name!r} is not one of {', '.join(METHODS)}")
    return BottomUp() if name == "bottom-up" else MinTrace(method=name.replace("-", "_"))


def aggregated(wards: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """From ward rows (icb, trust, site, ward, ds, y): every level's series, the summing
    matrix and the tags naming each level's series (hierarchicalforecast's shapes)."""
    from hierarchicalforecast.utils import aggregate

    missing = set(PLACES) - set(wards.columns)
    if missing:
        raise InvalidInput("wards", f"needs the columns {', '.join(sorted(missing))}")
    full = _every_day(wards)
    spec = [list(PLACES[: depth + 1]) for depth in range(len(PLACES))]
    series, summing, tags = aggregate(full, spec)
    return series, summing, dict(zip(PLACES, tags.values(), strict=True))


def _every_day(wards: pd.DataFrame) -> pd.DataFrame:
    """Every ward on every day of the period; a day without a row had nothing (zero)."""
    days = pd.date_range(wards["ds"].min(), wards["ds"].max(), freq="D")
    places = wards[list(PLACES)].drop_duplicates()
    grid = places.merge(pd.DataFrame({"ds": days}), how="cross")
    full = grid.merge(wards, on=[*PLACES, "ds"], how="left").fillna({"y": 0.0})
    return full.astype({"y": float})


def _with_ensemble(frame: pd.DataFrame) -> pd.DataFrame:
    frame[ENSEMBLE] = frame[list(MEMBERS)].mean(axis=1)
    return frame


def _reconcile(
    base: pd.DataFrame,
    summing: pd.DataFrame,
    tags: dict[str, Any],
    method: str,
    fitted: pd.DataFrame | None,
) -> pd.Series:
    """The ensemble's forecasts of one origin, reconciled: a series aligned with `base`."""
    from hierarchicalforecast.core import HierarchicalReconciliation

    engine = HierarchicalReconciliation(reconcilers=[_method(method)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        made = engine.reconcile(
            Y_hat_df=base[["unique_id", "ds", ENSEMBLE]],
            S_df=summing,
            tags=tags,
            Y_df=None if fitted is None else fitted[["unique_id", "ds", "y", ENSEMBLE]],
        )
    column = next(c for c in made.columns if c.startswith(f"{ENSEMBLE}/"))
    keyed = made.set_index(["unique_id", "ds"])[column]
    return pd.Series(
        keyed.reindex(pd.MultiIndex.from_frame(base[["unique_id", "ds"]])).to_numpy(),
        index=base.index,
    )


def cross_validated(
    series: pd.DataFrame,
    summing: pd.DataFrame,
    tags: dict[str, Any],
    horizon: int,
    windows: int,
    method: str = "mint-shrink",
    jobs: int = 1,
) -> pd.DataFrame:
    """Rolling origins `horizon` days apart over the last `windows` × `horizon` days: each
    series' base ensemble, seasonal naive, and the reconciled forecast, beside the actual."""
    from statsforecast import StatsForecast

    engine = StatsForecast(models=_models(MEMBERS), freq="D", n_jobs=jobs)
    insample = method == "mint-shrink"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = engine.cross_validation(
            df=series, h=horizon, n_windows=windows, step_size=horizon, fitted=insample
        )
        fitted = engine.cross_validation_fitted_values() if insample else None
    cv = _with_ensemble(cv.reset_index(drop=True))
    if fitted is not None:
        fitted = _with_ensemble(fitted)
    cv["reconciled"] = np.nan
    for cutoff, window in cv.groupby("cutoff"):
        history = None if fitted is None else fitted[fitted["cutoff"] == cutoff]
        cv.loc[window.index, "reconciled"] = _reconcile(window, summing, tags, method, history)
    return cv


def conformal_half_width(errors: np.ndarray, level: int = LEVEL) -> float:
    """Split-conformal: the ⌈(n+1)·level⌉-th smallest absolute error of n held-out ones
    (the finite-sample correction that keeps coverage at least `level`); inf when too few."""
    n = len(errors)
    rank = math.ceil((n + 1) * level / 100)
    if n == 0 or rank > n:
        return math.inf
    return float(np.sort(np.abs(errors))[rank - 1])


def mase(actual: np.ndarray, predicted: np.ndarray, history: np.ndarray) -> float:
    """Mean absolute error over the mean absolute weekly difference of the history before."""
    return float(np.abs(actual - predicted).mean()) / _scale(pd.Series(history))


def coverage(actual: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """The share of actual values inside [low, high]."""
    return float(((actual >= low) & (actual <= high)).mean())


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Each evaluated window of each series: MASE of the reconciled forecast and of seasonal
    naive, and the share of actual days inside the conformal 80% interval."""

    windows: pd.DataFrame  # level, series_id, cutoff, mase, naive_mase, covered, days

    def by_level(self) -> pd.DataFrame:
        """Per level: mean MASE, seasonal naive's, their ratio and the 80% coverage."""
        w = self.windows.assign(inside=self.windows["covered"] * self.windows["days"])
        grouped = w.groupby("level", sort=False)
        out = pd.DataFrame(
            {
                "series": grouped["series_id"].nunique(),
                "mase": grouped["mase"].mean(),
                "naive_mase": grouped["naive_mase"].mean(),
                "coverage80": grouped["inside"].sum() / grouped["days"].sum(),
            }
        )
        out["ratio"] = out["mase"] / out["naive_mase"]
        return out.reindex([p for p in PLACES if p in out.index])


def _histories(series: pd.DataFrame) -> dict[Any, pd.Series]:
    """Each series' values by day, in order."""
    return {k: g.set_index("ds")["y"].sort_index() for k, g in series.groupby("unique_id")}


def recent_scale(history: np.ndarray) -> float:
    """How much a series has been moving lately: the mean absolute weekly difference over its
    last SCALE_DAYS days (1 where it has not moved, so that errors can be divided by it)."""
    return _scale(pd.Series(history[-SCALE_DAYS:]))


def scored(cv: pd.DataFrame, series: pd.DataFrame, tags: dict[str, Any]) -> pd.DataFrame:
    """The rolling-origin forecasts with each row's level, its series' recent scale at the
    origin, and its conformal score: the reconciled forecast's absolute error over that scale."""
    level_of = {str(s): level for level, names in tags.items() for s in names}
    history = _histories(series)
    origins = cv[["unique_id", "cutoff"]].drop_duplicates().itertuples(index=False)
    scale = {
        (sid, cutoff): recent_scale(history[sid][history[sid].index <= cutoff].to_numpy())
        for sid, cutoff in origins
    }
    out = cv.assign(
        level=cv["unique_id"].map(lambda s: level_of[str(s)]),
        scale=[scale[key] for key in zip(cv["unique_id"], cv["cutoff"], strict=True)],
    )
    out["score"] = (out["y"] - out["reconciled"]).abs() / out["scale"]
    return out


def level_quantiles(calibration: pd.DataFrame) -> pd.Series:
    """Each level's conformal quantile of its series' scores (a half-width in scales)."""
    return calibration.groupby("level")["score"].apply(
        lambda scores: conformal_half_width(scores.to_numpy())
    )


def evaluate(
    cv: pd.DataFrame, series: pd.DataFrame, tags: dict[str, Any], calibration: int
) -> Evaluation:
    """Score every window after the first `calibration`, each with a conformal interval from
    its level's scores on the (at most RECENT_WINDOWS) windows before it, none overlapping it."""
    found = scored(cv, series, tags)
    history = _histories(series)
    cutoffs = sorted(found["cutoff"].unique())
    rows = []
    for number, cutoff in enumerate(cutoffs[calibration:], start=calibration):
        recent = cutoffs[max(0, number - RECENT_WINDOWS) : number]
        quantile = level_quantiles(found[found["cutoff"].isin(recent)])
        for series_id, window in found[found["cutoff"] == cutoff].groupby("unique_id"):
            level = window["level"].iloc[0]
            half = quantile[level] * window["scale"].iloc[0]
            before = history[series_id][history[series_id].index <= cutoff].to_numpy()
            y, made = window["y"].to_numpy(), window["reconciled"].to_numpy()
            rows.append(
                {
                    "level": level,
                    "series_id": str(series_id).rsplit("/", 1)[-1],
                    "cutoff": cutoff,
                    "mase": mase(y, made, before),
                    "naive_mase": mase(y, window[BASELINE].to_numpy(), before),
                    "covered": coverage(y, made - half, made + half),
                    "days": len(window),
                }
            )
    return Evaluation(pd.DataFrame(rows))


def forecast(
    series: pd.DataFrame,
    summing: pd.DataFrame,
    tags: dict[str, Any],
    horizon: int,
    calibration: int = 6,
    method: str = "mint-shrink",
    jobs: int = 1,
) -> pd.DataFrame:
    """The next `horizon` days of every series at every level, reconciled so that they add
    up, with conformal 80% intervals calibrated per level on the last `calibration`
    rolling-origin windows."""
    from statsforecast import StatsForecast

    days = series.groupby("unique_id")["ds"].count().min()
    needed = (calibration + 2) * horizon
    if days < needed:
        raise InvalidInput(
            "--days",
            f"the series have {days} days; {calibration} calibration windows of {horizon} "
            f"days and the fit need {needed}",
        )
    cv = cross_validated(series, summing, tags, horizon, calibration, method, jobs)
    engine = StatsForecast(models=_models(MEMBERS), freq="D", n_jobs=jobs)
    insample = method == "mint-shrink"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = engine.forecast(df=series, h=horizon, fitted=insample)
        fitted = engine.forecast_fitted_values() if insample else None  # type: ignore[no-untyped-call]
    base = _with_ensemble(base.reset_index(drop=True))
    fitted = None if fitted is None else _with_ensemble(fitted)
    base["mean"] = _reconcile(base, summing, tags, method, fitted)
    level_of = {str(s): level for level, names in tags.items() for s in names}
    quantile = level_quantiles(scored(cv, series, tags))
    scale = {k: recent_scale(y.to_numpy()) for k, y in _histories(series).items()}
    half = base["unique_id"].map(lambda s: quantile[level_of[str(s)]] * scale[s])
    return pd.DataFrame(
        {
            "level": base["unique_id"].map(lambda s: level_of[str(s)]),
            "series_id": base["unique_id"].map(lambda s: str(s).rsplit("/", 1)[-1]),
            "date": base["ds"].dt.date,
            "mean": base["mean"],
            f"lo{LEVEL}": (base["mean"] - half).clip(lower=0),
            f"hi{LEVEL}": base["mean"] + half,
        }
    )
