"""Forecasts from the record: each ward's daily admissions or occupied beds, with the registry's
ward → site → trust → ICB tree, forecast at every level and reconciled so that they add up.
`homeflow forecast --level` and `homeflow backtest --level` call it."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine

from homeflow.domain.errors import InvalidInput
from homeflow.store import db
from homeflow.store.queries import ward_days
from homeflow.store.registry import ward_registry


class Measure(StrEnum):
    ADMISSIONS = "admissions"
    OCCUPIED = "occupied"


class Reconciliation(StrEnum):
    """How the levels' forecasts are made to add up (hierarchicalforecast's methods)."""

    MINT_SHRINK = "mint-shrink"
    WLS_STRUCT = "wls-struct"
    BOTTOM_UP = "bottom-up"


class Level(StrEnum):
    """How far down the tree the forecast goes; every level above it is forecast too."""

    ICB = "icb"
    TRUST = "trust"
    SITE = "site"
    WARD = "ward"


def ward_series(engine: Engine, measure: Measure, last: date, days: int) -> Any:
    """The wards' daily `measure` for the `days` ending `last`, each ward with its site, trust
    and ICB (a trust with no ICB above it stands for its own)."""
    import pandas as pd

    from homeflow.forecasting.hierarchy import PLACES

    first = last - timedelta(days=days - 1)
    with db.reading(engine) as conn:
        tree = {
            r.code: {
                "icb": r.parent_code or r.org_code,
                "trust": r.org_code,
                "site": r.site_code,
                "ward": r.code,
            }
            for r in ward_registry(conn)
        }
    if not tree:
        raise InvalidInput("--level", "the registry holds no wards to forecast")
    rows = [
        {**tree[w.ward_code], "ds": w.day, "y": float(getattr(w, measure.value))}
        for w in ward_days(engine, first, last)
        if w.ward_code in tree
    ]
    if not any(row["y"] for row in rows):
        raise InvalidInput(
            "--days", f"the record holds no {measure.value} in the {days} days to {last}"
        )
    # Every ward on every day from the first the record holds (before it, nothing is known,
    # which is not zero) to `last`, a day with no row being zero.
    start = min(row["ds"] for row in rows)
    edges = [{**place, "ds": day, "y": 0.0} for place in tree.values() for day in (start, last)]
    frame = pd.DataFrame(rows + edges)
    frame["ds"] = pd.to_datetime(frame["ds"])
    return frame.groupby([*PLACES, "ds"], as_index=False)["y"].sum()


def _down_to(level: Level) -> list[str]:
    order = [member.value for member in Level]
    return order[: order.index(level.value) + 1]


def forecast_levels(
    engine: Engine,
    measure: Measure,
    level: Level,
    last: date,
    days: int,
    horizon: int,
    method: Reconciliation,
    jobs: int = 1,
) -> Any:
    """Reconciled forecasts of `measure` for every level from the ICB down to `level`."""
    from homeflow.forecasting import hierarchy

    series, summing, tags = hierarchy.aggregated(ward_series(engine, measure, last, days))
    made = hierarchy.forecast(series, summing, tags, horizon, method=method.value, jobs=jobs)
    kept = made[made["level"].isin(_down_to(level))]
    return kept.sort_values(["level", "series_id", "date"], key=_level_order)


def _level_order(column: Any) -> Any:
    if column.name != "level":
        return column
    return column.map([member.value for member in Level].index)


def backtest_levels(
    engine: Engine,
    measure: Measure,
    level: Level,
    last: date,
    days: int,
    horizon: int,
    windows: int,
    method: Reconciliation,
    jobs: int = 1,
) -> Any:
    """Per level down to `level`: the reconciled forecasts' MASE beside seasonal naive's and
    the conformal 80% intervals' coverage, over the last `windows` × `horizon` days, each
    window's intervals calibrated on its level's errors in the windows before it."""
    from homeflow.forecasting import hierarchy

    calibration = 3
    needed = (calibration + windows + 2) * horizon
    if days < needed:
        raise InvalidInput(
            "--days",
            f"{days} days of history are too few: {calibration} calibration and {windows} "
            f"evaluated windows of {horizon} days and the fit need {needed}",
        )
    series, summing, tags = hierarchy.aggregated(ward_series(engine, measure, last, days))
    cv = hierarchy.cross_validated(
        series, summing, tags, horizon, calibration + windows, method.value, jobs
    )
    table = hierarchy.evaluate(cv, series, tags, calibration).by_level()
    return table.loc[_down_to(level)]
