"""Improvement projects and PDSA cycles joined with the measures: a record is checked against
the KPIs and the registry before it is stored, and a cycle's Study is computed from the weekly
SPC chart of its measure at its place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from homeflow.domain.errors import InvalidInput
from homeflow.domain.improvement.records import PdsaRecorded, ProjectRecorded
from homeflow.domain.improvement.series import MANUAL_KPI, SERIES_LEVEL
from homeflow.reports.kpi import KPIS, Level, Period
from homeflow.reports.spc import Better
from homeflow.reports.study import Study, study
from homeflow.services.returns import kpi_rows
from homeflow.store import projects as store
from homeflow.store.access.scope import Viewer
from homeflow.store.db import reading
from homeflow.store.queries import first_discharge_day, kpi_data, place_codes

# The baseline a study looks back over, before the change date, and the fewest weekly points
# it judges from (limits from fewer than 13 are provisional: the chart says so).
BASELINE_WEEKS = 26
FEWEST_BASELINE_WEEKS = 10


def check_measure(engine: Engine, field: str, kpi: str, level: str, place: str) -> None:
    if kpi == MANUAL_KPI or level == SERIES_LEVEL:
        with reading(engine) as conn:
            known_series = store.manual_series(conn)
        if (kpi, level) != (MANUAL_KPI, SERIES_LEVEL) or place not in known_series:
            raise InvalidInput(
                field, f"{place!r} is not a manual series (kpi manual, level series)"
            )
        return
    if kpi not in KPIS:
        raise InvalidInput(field, f"{kpi!r} is not a KPI; use one of {', '.join(KPIS)}")
    if KPIS[kpi].better is None:
        raise InvalidInput(field, f"{kpi!r} is neither better higher nor lower: nothing to improve")
    known = ["system"] if level == Level.SYSTEM.value else place_codes(engine, level)
    if place not in known:
        raise InvalidInput(field, f"{place!r} is not a {level} in the registry")


def record(
    engine: Engine,
    records: Sequence[ProjectRecorded | PdsaRecorded],
    recorded_by: str | None,
    source: str,
    viewer: Viewer | None = None,
    adding: bool = False,
    seen: int | None = None,
) -> int:
    """Check each record's measures and store those that changed (when `adding`, refuse an
    id already taken)."""
    for item in records:
        if isinstance(item, ProjectRecorded):
            check_measure(engine, "aim_kpi", item.aim_kpi, item.aim_level, item.aim_place)
            for measure in item.measures:
                _, kpi, level, place = measure.split(":")
                check_measure(engine, "measures", kpi, level, place)
        else:
            check_measure(engine, "kpi", item.kpi, item.level, item.place)
    return store.save(engine, list(records), recorded_by, source, viewer, adding, seen)


@dataclass(frozen=True, slots=True)
class Series:
    days: list[date]
    values: list[float]


def weekly_series(
    engine: Engine, kpi: str, measure: str, level: str, place: str, first: date, last: date
) -> Series:
    """The KPI's weekly values (Monday to Sunday, whole weeks only) at one place, from the
    first whole week with discharges on record."""
    started = first_discharge_day(engine)
    if started is None:
        return Series([], [])
    first = max(first, started + timedelta(days=(7 - started.weekday()) % 7))
    monday = first - timedelta(days=first.weekday())
    sunday = last - timedelta(days=(last.weekday() + 1) % 7)
    if sunday < monday:
        return Series([], [])
    rows = kpi_rows(
        engine,
        kpi,
        Level(level),
        monday,
        sunday,
        Period.WEEKLY,
        None,
        {},
        kpi_data(engine, monday, sunday),
    )
    chosen = [
        r
        for r in rows
        if r["place"] == place and r["measure"] == measure and r["value"] is not None
    ]
    return Series([r["period_start"] for r in chosen], [float(r["value"]) for r in chosen])


def pdsa_study(engine: Engine, pdsa: PdsaRecorded, today: date) -> Study:
    """The cycle's Study: weekly points from up to 26 weeks before the change to the last
    whole week, judged against the baseline before the change date."""
    first = pdsa.change_date - timedelta(weeks=BASELINE_WEEKS)
    if pdsa.kpi == MANUAL_KPI:
        with reading(engine) as conn:
            manual = store.manual_series(conn).get(pdsa.place)
        points = [(d, v) for d, v in manual.series() if d < today] if manual else []
        better = Better.HIGHER if manual and manual.better == "higher" else Better.LOWER
        return study(
            [d for d, _ in points],
            [v for _, v in points],
            pdsa.change_date,
            better,
            pdsa.predicted_value,
            FEWEST_BASELINE_WEEKS,
        )
    series = weekly_series(
        engine, pdsa.kpi, pdsa.measure, pdsa.level, pdsa.place, first, today - timedelta(days=1)
    )
    direction = KPIS[pdsa.kpi].better
    assert direction is not None, "check_measure refuses a measure with no better direction"
    return study(
        series.days,
        series.values,
        pdsa.change_date,
        direction,
        pdsa.predicted_value,
        FEWEST_BASELINE_WEEKS,
    )


def pdsa_rows(engine: Engine, today: date) -> list[dict[str, Any]]:
    """Every PDSA cycle with its place, measure, change date, prediction, computed verdict and
    decision: what `homeflow pdsa list` prints."""
    with reading(engine) as conn:
        found = store.projects(conn)
    rows = []
    for (system, project_id), history in sorted(found.items()):
        for pdsa_id, cycle in history.pdsas.items():
            pdsa = cycle.current
            result = pdsa_study(engine, pdsa, today)
            rows.append(
                {
                    "system": system,
                    "project": project_id,
                    "pdsa": pdsa_id,
                    "change_idea": pdsa.change_idea,
                    "level": pdsa.level,
                    "place": pdsa.place,
                    "kpi": pdsa.kpi,
                    "measure": pdsa.measure,
                    "change_date": pdsa.change_date.isoformat(),
                    "prediction": pdsa.prediction,
                    "predicted_value": pdsa.predicted_value,
                    "verdict": result.verdict.value,
                    "points_needed": result.points_needed,
                    "prediction_held": result.prediction_held,
                    "baseline_mean": None
                    if result.baseline_mean is None
                    else round(result.baseline_mean, 3),
                    "after_mean": None
                    if result.after_mean is None
                    else round(result.after_mean, 3),
                    "decision": pdsa.decision.value if pdsa.decision else "",
                }
            )
    return rows


def change_dates(
    engine: Engine, level: str, place: str
) -> dict[tuple[str, str], list[tuple[date, str]]]:
    """The PDSA change dates at a place, with their change ideas, by the KPI and measure each
    tests: the dates the SPC charts of that measure mark."""
    with reading(engine) as conn:
        found = store.projects(conn)
    marks: dict[tuple[str, str], list[tuple[date, str]]] = {}
    for history in found.values():
        for cycle in history.pdsas.values():
            pdsa = cycle.current
            if (pdsa.level, pdsa.place) == (level, place):
                marks.setdefault((pdsa.kpi, pdsa.measure), []).append(
                    (pdsa.change_date, pdsa.change_idea)
                )
    return {key: sorted(dates) for key, dates in marks.items()}


@dataclass(frozen=True)
class PracticeChange:
    """A change in practice a PDSA cycle made: the day, the change idea and the place, and the
    cycle that records it."""

    day: date
    change_idea: str
    level: str
    place: str
    system: str
    project_id: str
    pdsa_id: str


def changes_between(
    engine: Engine, first: date, last: date, system: str | None = None
) -> list[PracticeChange]:
    """The changes PDSA cycles (of `system`, or of every system) made from `first` to `last`,
    in date order. A capacity model calibrated on the history before one cannot know it:
    `homeflow validate` and its page name them beside a check of the days they fall in."""
    with reading(engine) as conn:
        found = store.projects(conn)
    changes = [
        PracticeChange(
            pdsa.change_date, pdsa.change_idea, pdsa.level, pdsa.place, *key, pdsa.pdsa_id
        )
        for key, history in found.items()
        if system is None or key[0] == system
        for pdsa in (cycle.current for cycle in history.pdsas.values())
        if first <= pdsa.change_date <= last
    ]
    return sorted(changes, key=lambda c: (c.day, c.place, c.change_idea))
