"""The longest delays and internal delays over 48 hours on the Measures page: for each list
and pathway, the patients on it at each midnight as an SPC chart, against the system's local
target for that pathway (the UEC plan 2025/26 asks each system to set its own by pathway)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from urllib.parse import urlencode

from sqlalchemy import Engine

from homeflow.config import settings
from homeflow.domain.errors import InvalidInput
from homeflow.domain.long_delays import NO_PATHWAY, DelayKind, daily_counts
from homeflow.reports.charts import spc_spec
from homeflow.reports.kpi import PATHWAYS, Level, Period, periods
from homeflow.reports.spc import Better, spc_chart
from homeflow.services.measures import MeasureChart
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store.access.caches import per_log_version
from homeflow.store.registry import ward_places

# Each list's targets are a table of the settings file's [targets], by pathway:
#   [targets.longest-delays]   P1 = 4   (patients 21+ days past the ready date at midnight)
#   [targets.internal-delays]  P0 = 0   (patients with an internal delay over 48 hours)
TARGET_TABLES = {"longest-delays": DelayKind.LONGEST, "internal-delays": DelayKind.INTERNAL}
TITLES = {
    DelayKind.LONGEST: "patients 21+ days past their discharge ready date at midnight",
    DelayKind.INTERNAL: "patients with an internal delay over 48 hours at midnight",
}


def delay_targets(path: str | None = None) -> dict[tuple[DelayKind, str], float]:
    """The system's local targets for each list by pathway, from its settings file; a
    pathway or value that is not one is refused, naming the setting."""
    found: dict[tuple[DelayKind, str], float] = {}
    section = settings(path).get("targets", {})
    for table, kind in TARGET_TABLES.items():
        for pathway, value in section.get(table, {}).items():
            where = f"targets.{table}.{pathway}"
            if pathway not in PATHWAYS:
                raise InvalidInput(where, f"is not a pathway; use {', '.join(PATHWAYS)}")
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise InvalidInput(where, "must be a number of patients, 0 or more")
            found[(kind, pathway)] = float(value)
    return found


def delay_charts(
    engine: Engine,
    level: Level,
    place: str,
    first: date,
    last: date,
    period: Period,
    width: int,
    rebase: Sequence[date] = (),
) -> list[MeasureChart]:
    """Each list's patients at one place, by pathway: the mean a day of each period."""
    counts = per_log_version(
        engine, "delays by day", (first, last), lambda: _counts(engine, first, last)
    )
    place_of = _places(engine, level)
    targets = delay_targets()
    spans = periods(first, last, period)
    charts = []
    for kind in DelayKind:
        for pathway in (*PATHWAYS, NO_PATHWAY):
            per_day: dict[date, int] = {}
            for (day, ward, on, listed), n in counts.items():
                if listed is kind and on == pathway and place_of.get(ward) == place:
                    per_day[day] = per_day.get(day, 0) + n
            if not per_day and (kind, pathway) not in targets:
                continue  # nobody on this pathway's list all along, and no target to meet
            days = [span[0] for span in spans]
            values = [sum(per_day.get(d, 0) for d in span) / len(span) for span in spans]
            if len(days) < 2:
                continue
            target = targets.get((kind, pathway))
            phases = [d for d in rebase if first < d <= last]
            chart = spc_chart(days, values, Better.LOWER, target, phases)
            title = f"{TITLES[kind]}: {pathway}"
            # A day's point opens to its patients; a week's mean of days is no one list.
            daily = period is Period.DAILY
            links = _links(kind, pathway, level, place, spans) if daily else None
            charts.append(
                MeasureChart(
                    f"{kind.value}-delays",
                    pathway,
                    title,
                    Better.LOWER.value,
                    chart,
                    target,
                    spc_spec(
                        chart,
                        title[:1].upper() + title[1:],
                        target=target,
                        width=width,
                        links=links,
                    ),
                    people=links[-1] if links else None,
                    target_text=(
                        f"local target {target:g} (system setting)"
                        if target is not None
                        else "no local target set"
                    ),
                )
            )
    return charts


def _counts(engine: Engine, first: date, last: date) -> dict[tuple[date, str, str, DelayKind], int]:
    with db.reading(engine) as conn:
        spells = proj.spells_in_hospital_on(conn, first, last)
    return daily_counts(spells, first, last)


def _places(engine: Engine, level: Level) -> dict[str, str]:
    """Each ward's place at `level`."""
    with db.reading(engine) as conn:
        site_of, org_of = ward_places(conn)
    if level is Level.WARD:
        return {w: w for w in site_of}
    if level is Level.SITE:
        return site_of
    if level is Level.ORG:
        return org_of
    return dict.fromkeys(site_of, "system")


_LEVELS = {Level.WARD: "ward", Level.SITE: "site", Level.ORG: "trust", Level.SYSTEM: "system"}


def _links(
    kind: DelayKind, pathway: str, level: Level, place: str, spans: list[list[date]]
) -> list[str]:
    """Where each day's patients on the pathway are listed."""
    where = {"level": _LEVELS[level]} | ({} if level is Level.SYSTEM else {"place": place})
    asked = {"kind": kind.value, **where, "pathway": pathway}
    return ["/daily-call/delays?" + urlencode({**asked, "day": f"{s[0]:%d/%m/%Y}"}) for s in spans]
