"""homeflow for analysts: the census, the sitrep, KPIs and SPC as pandas data frames.

    from homeflow import api
    census = api.census("2026-11-20", org="RX1")
    nctr = api.kpi("nctr-per-100-beds", level="site", start="2026-09-01", end="2026-11-20")
    chart = api.spc(nctr[nctr.place == "RX101"], better="lower")

Every function reads the database HOMEFLOW_DATABASE_URL names (as the CLI does) unless given
`url`, and returns the same figures as the matching `homeflow` command.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from homeflow.domain.clock import parse_date
from homeflow.reports.kpi import Level, Period
from homeflow.reports.sitrep import COLUMNS as SITREP_COLUMNS
from homeflow.reports.spc import Better, spc_chart
from homeflow.services import returns
from homeflow.services.measures import kpi_targets
from homeflow.store import db, queries

DateLike = date | str


def _day(value: DateLike, name: str) -> date:
    if isinstance(value, date):
        return value
    return parse_date(name, value)


def _engine(url: str | None) -> Engine:
    return db.connect(url)


def census(day: DateLike, org: str | None = None, url: str | None = None) -> pd.DataFrame:
    """One row per ward: beds and the midnight census ending `day`, with that day's flows."""
    rows = queries.census(_engine(url), _day(day, "day"), org)
    return pd.DataFrame([r.as_dict() for r in rows], columns=list(queries.CENSUS_COLUMNS))


def sitrep(day: DateLike, org: str | None = None, url: str | None = None) -> pd.DataFrame:
    """The daily discharge sitrep in NHS England's long format."""
    rows = returns.sitrep_rows(_engine(url), _day(day, "day"), org)
    return pd.DataFrame([r.as_list() for r in rows], columns=list(SITREP_COLUMNS))


def kpi(
    name: str,
    start: DateLike,
    end: DateLike,
    level: str = "org",
    period: str = "daily",
    baseline: DateLike | None = None,
    url: str | None = None,
) -> pd.DataFrame:
    """A KPI per place and period, with its target and the change from `baseline`."""
    rows = returns.kpi_rows(
        _engine(url),
        name,
        Level(level),
        _day(start, "start"),
        _day(end, "end"),
        Period(period),
        _day(baseline, "baseline") if baseline is not None else None,
        kpi_targets(),
    )
    return pd.DataFrame(rows, columns=list(returns.KPI_COLUMNS))


def spc(
    series: pd.DataFrame,
    better: str | None = None,
    target: float | None = None,
    rebase: Sequence[DateLike] = (),
    date_column: str = "period_start",
    value_column: str = "value",
) -> pd.DataFrame:
    """An XmR chart the Making Data Count way for one series (for example one place's rows of
    `kpi`): each point with the mean, process limits, special cause, variation and assurance."""
    clean = series.dropna(subset=[value_column]).sort_values(date_column)
    days = [_day(d, date_column) for d in clean[date_column]]
    chart = spc_chart(
        days,
        [float(v) for v in clean[value_column]],
        Better(better) if better else None,
        target,
        [_day(d, "rebase") for d in rebase],
    )
    return pd.DataFrame(chart.rows())
