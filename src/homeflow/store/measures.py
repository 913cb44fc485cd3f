"""Every KPI of one place as an SPC chart: what the measures dashboard and the weekly report
show. The KPIs are computed from one load of the data; each series becomes an XmR chart and a
Vega-Lite spec."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, select

from homeflow.config import kpi_targets
from homeflow.domain.errors import InvalidInput
from homeflow.reports.charts import spc_spec, spec_json
from homeflow.reports.kpi import KPIS, Level, Period
from homeflow.reports.spc import SpcChart, spc_chart
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.queries import kpi_data, kpi_rows


@dataclass(frozen=True, slots=True)
class MeasureChart:
    kpi: str
    measure: str
    title: str
    better: str
    chart: SpcChart
    target: float | None
    spec: dict[str, Any]

    @property
    def spec_json(self) -> str:
        return spec_json(self.spec)


def places(engine: Engine, level: Level) -> list[str]:
    """The places of a level that have measures: ward, site or organisation codes."""
    with db.reading(engine) as conn:
        return places_at(conn, level)


def places_at(conn: Connection, level: Level) -> list[str]:
    if level is Level.SYSTEM:
        return ["system"]
    column = {
        Level.WARD: t.wards.c.code,
        Level.SITE: t.sites.c.code,
        Level.ORG: t.sites.c.org_code,
    }[level]
    query = select(column).select_from(t.wards.join(t.sites)).distinct().order_by(column)
    return list(conn.execute(query).scalars())


def measure_charts(
    engine: Engine,
    level: Level,
    place: str,
    first: date,
    last: date,
    period: Period,
    width: int = 440,
    rebase: Sequence[date] = (),
) -> list[MeasureChart]:
    """An SPC chart for each KPI (and each measure of a KPI with several) at one place,
    rebased (new mean and limits) at each date in `rebase`, where a change was made."""
    with db.reading(engine) as conn:
        known = places_at(conn, level)
    place = place or (known[0] if known else "system")
    if place not in known:
        raise InvalidInput("place", f"{place!r} is not a {level.value} in the registry")
    data = kpi_data(engine, first, last)
    targets = kpi_targets()
    charts = []
    for kpi in KPIS.values():
        if kpi.weekly_only and period is Period.DAILY:
            continue
        rows = kpi_rows(engine, kpi.name, level, first, last, period, None, targets, data)
        series: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            if row["place"] == place and row["value"] is not None:
                series.setdefault(row["measure"], []).append(row)
        target = targets.get(kpi.name)
        plain_target = target.value if target is not None and not target.on_change else None
        for measure, points in series.items():
            if len(points) < 2:
                continue
            chart = spc_chart(
                [p["period_start"] for p in points],
                [float(p["value"]) for p in points],
                kpi.better,
                plain_target,
                [d for d in rebase if first < d <= last],
            )
            title = kpi.description + (f": {measure}" if measure else "")
            charts.append(
                MeasureChart(
                    kpi.name,
                    measure,
                    title,
                    kpi.better.value,
                    chart,
                    plain_target,
                    spc_spec(
                        chart, title[:1].upper() + title[1:], target=plain_target, width=width
                    ),
                )
            )
    return charts
