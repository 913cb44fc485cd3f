"""Every KPI of one place as an SPC chart: what the measures dashboard and the weekly report
show. The KPIs are computed from one load of the data; each series becomes an XmR chart and a
Vega-Lite spec."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine

from homeflow.config import settings
from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput
from homeflow.reports.charts import spc_spec, spec_json
from homeflow.reports.kpi import (
    CENSUS_COUNTED,
    DISCHARGES_COUNTED,
    KPIS,
    Kpi,
    Level,
    Period,
    kpi_data_of,
)
from homeflow.reports.spc import Better, SpcChart, spc_chart
from homeflow.reports.targets import Target, system_targets
from homeflow.services.community import community_measures
from homeflow.services.projects import change_dates
from homeflow.services.returns import kpi_rows
from homeflow.store.queries import kpi_data, place_codes


@dataclass(frozen=True, slots=True)
class MeasureChart:
    kpi: str
    measure: str
    title: str
    better: str
    chart: SpcChart
    target: float | None  # the value the chart's target line is drawn at
    spec: dict[str, Any]
    # Where the people behind the latest value are listed, for measures kept outside the KPIs.
    people: str | None = None
    target_text: str = "no target set"

    @property
    def spec_json(self) -> str:
        return spec_json(self.spec)


def places(engine: Engine, level: Level) -> list[str]:
    """The places of a level that have measures: ward, site or organisation codes."""
    return ["system"] if level is Level.SYSTEM else place_codes(engine, level.value)


def kpi_targets(path: str | None = None) -> dict[str, Target]:
    """The published KPI targets, with the system's own from its settings file."""
    from homeflow.services.delay_measures import TARGET_TABLES

    section = dict(settings(path).get("targets", {}))
    change = section.pop("change", {})
    for by_pathway in TARGET_TABLES:  # a list's targets by pathway: delay_measures reads them
        section.pop(by_pathway, None)
    for where, table in (("targets", section), ("targets.change", change)):
        for name, value in table.items():
            if name not in KPIS:
                raise InvalidInput(f"{where}.{name}", "is not a KPI")
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise InvalidInput(f"{where}.{name}", "must be a number")
    return system_targets(section, change)


def measure_charts(
    engine: Engine,
    level: Level,
    place: str,
    first: date,
    last: date,
    period: Period,
    width: int = 440,
    rebase: Sequence[date] = (),
    delays: bool = False,
) -> list[MeasureChart]:
    """An SPC chart for each KPI (and each measure of a KPI with several) at one place,
    rebased (new mean and limits) at each date in `rebase`, where a change was made; with
    `delays`, the longest and internal delays by pathway too (they fold every stay of the
    range, so only the Measures page asks)."""
    known = places(engine, level)
    place = place or (known[0] if known else "system")
    if place not in known:
        raise InvalidInput("place", f"{place!r} is not a {level.value} in the registry")
    # One place's records: the KPIs below each bucket them again.
    data = kpi_data_of(kpi_data(engine, first, last), level, place)
    targets = kpi_targets()
    marks = change_dates(engine, level.value, place)
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
        for measure, points in series.items():
            if len(points) < 2:
                continue
            where = (level, place, first, last, width)
            charts.append(_kpi_chart(kpi, measure, points, where, rebase, target, marks))
    if delays:
        from homeflow.services.delay_measures import delay_charts  # it builds MeasureCharts

        charts += delay_charts(engine, level, place, first, last, period, width, rebase)
    if level is Level.SITE:
        from homeflow.services.bed_measures import bed_charts  # it builds MeasureCharts

        charts += bed_charts(engine, place, first, last, period, width, rebase)
        from homeflow.services.request_measures import request_charts  # likewise

        charts += request_charts(engine, place, first, last, period, width, rebase)
    if level in (Level.ORG, Level.SYSTEM):
        charts += _community_charts(engine, place, first, last, width, rebase)
    return charts


def _kpi_chart(
    kpi: Kpi,
    measure: str,
    points: list[dict[str, Any]],
    where: tuple[Level, str, date, date, int],
    rebase: Sequence[date],
    target: Target | None,
    marks: dict[tuple[str, str], list[tuple[date, str]]],
) -> MeasureChart:
    """One KPI measure's SPC chart at a place: its target line, the changes made, and each
    point opening to its people."""
    level, place, first, last, width = where
    days = [p["period_start"] for p in points]
    values = [float(p["value"]) for p in points]
    phases = [d for d in rebase if first < d <= last]
    chart = spc_chart(days, values, kpi.better, None, phases)
    line = target_line(target, chart)
    if line is not None:
        chart = spc_chart(days, values, kpi.better, line, phases)
    title = kpi.description + (f": {measure}" if measure else "")
    changes = [
        (day, idea)
        for key in ((kpi.name, measure), (kpi.name, ""))
        for day, idea in marks.get(key, [])
        if first <= day <= last
    ]
    return MeasureChart(
        kpi.name,
        measure,
        title,
        kpi.better.value if kpi.better else "neither",
        chart,
        line,
        spc_spec(
            chart,
            title[:1].upper() + title[1:],
            target=line,
            width=width,
            changes=sorted(set(changes)),
            links=_people_links(kpi.name, measure, level, place, points),
        ),
        target_text=target_text(target, line),
    )


def _people_links(
    name: str, measure: str, level: Level, place: str, points: list[dict[str, Any]]
) -> list[str] | None:
    """Where each point's patients are listed, for a KPI that counts patients in beds."""
    if name not in CENSUS_COUNTED and name not in DISCHARGES_COUNTED:
        return None
    return [
        "/people/kpi?"
        + urlencode(
            {
                "kpi": name,
                "measure": measure,
                "level": level.value,
                "place": place,
                "start": p["period_start"].isoformat(),
                "end": p["period_end"].isoformat(),
            }
        )
        for p in points
    ]


def target_line(target: Target | None, chart: SpcChart) -> float | None:
    """Where a target sits on a chart: its value, or for a change from a baseline (a 40%
    reduction, say) that change from the mean of the chart's first phase."""
    if target is None:
        return None
    if not target.on_change:
        return target.value
    return chart.points[0].mean * (1 + target.value / 100)


def target_text(target: Target | None, line: float | None) -> str:
    if target is None or line is None:
        return "no target set"
    if not target.on_change:
        return f"target {target.value:g} ({target.source})"
    change = "reduction" if target.value < 0 else "increase"
    return (
        f"target a {abs(target.value):g}% {change} from the first period's mean, "
        f"{line:.1f} ({target.source})"
    )


def _community_charts(
    engine: Engine, place: str, first: date, last: date, width: int, rebase: Sequence[date]
) -> list[MeasureChart]:
    """The community teams' measures, week by week, at a trust or the system."""
    charts = []
    for series in community_measures(engine, place, first, last, clock.today()):
        points = [w for w in series.weeks if w.value is not None]
        if len(points) < 2:
            continue
        better = Better(series.better) if series.better else None
        chart = spc_chart(
            [w.week_start for w in points],
            [float(w.value) for w in points if w.value is not None],
            better,
            None,
            [d for d in rebase if first < d <= last],
        )
        title = series.description[:1].upper() + series.description[1:] + ", weekly"
        people = f"/community/measures/{series.name}?place={place}&week={points[-1].week_start}"
        charts.append(
            MeasureChart(
                series.name,
                "",
                title,
                series.better or "neither",
                chart,
                None,
                spc_spec(chart, title, width=width),
                people,
            )
        )
    return charts
