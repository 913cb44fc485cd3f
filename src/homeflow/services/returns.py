"""The returns and the KPI table: the record's data, read by the store, computed by the report
rules. The CLI, the analysts' API and the weekly report call these."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from homeflow.domain.activity import KpiData
from homeflow.domain.clock import local_date
from homeflow.domain.errors import InvalidInput
from homeflow.domain.spell import SpellState
from homeflow.reports.dtoc import DtocRow, dtoc_return, month_days
from homeflow.reports.kpi import (
    CENSUS_COUNTED,
    DISCHARGES_COUNTED,
    Level,
    Period,
    Readmitted,
    change_from_baseline,
    compute_kpi,
    counted_discharges,
    kpi_named,
)
from homeflow.reports.sitrep import (
    PROBLEMS,
    Key,
    Problems,
    SitrepRow,
    sitrep,
    sitrep_members,
    sitrep_problems,
)
from homeflow.reports.targets import Target, published_targets
from homeflow.store.access.caches import per_log_version
from homeflow.store.access.people import People, census_spells, people, spells_by_key, wards_of
from homeflow.store.access.scope import Viewer
from homeflow.store.queries import kpi_data, return_data


def sitrep_rows(engine: Engine, day: date, org_code: str | None = None) -> list[SitrepRow]:
    """The daily discharge sitrep of each acute trust (or of one) for `day`."""
    data = return_data(engine, ("acute",), day, day, org_code)
    return sitrep(day, data.spells, data.org_of_site, data.organisations)


def sitrep_people(
    engine: Engine, viewer: Viewer, day: date, org_code: str, figure: Key, today: date
) -> People:
    """The patients behind one figure of a trust's sitrep for `day`."""

    def every_trust() -> dict[str, dict[Key, list[tuple[SpellState, int]]]]:
        data = return_data(engine, ("acute",), day, day)
        return sitrep_members(day, data.spells, data.org_of_site, data.organisations)

    # A day's figures are opened one after another: work them out once per log version.
    members = per_log_version(engine, f"sitrep members on {day}", day, every_trust)
    if org_code not in members:
        raise InvalidInput("org", f"{org_code!r} is not an acute trust")
    title = f"{org_code} sitrep: " + ", ".join(part for part in figure if part)
    return people(engine, viewer, title, day, members[org_code].get(figure, []), today)


def sitrep_problem_counts(engine: Engine, day: date, org_code: str | None = None) -> Problems:
    """The patients of each acute trust (or of one) to correct before its sitrep for `day` is
    submitted, by problem: they are in no group of the return."""

    def every_trust() -> Problems:
        data = return_data(engine, ("acute",), day, day)
        return sitrep_problems(day, data.spells, data.org_of_site, data.organisations)

    found = per_log_version(engine, f"sitrep problems on {day}", day, every_trust)
    return {org: found[org] for org in found if not org_code or org == org_code}


def sitrep_problem_people(
    engine: Engine, viewer: Viewer, day: date, org_code: str | None, today: date
) -> list[People]:
    """Each problem of each acute trust's sitrep (or one's) for `day` as its list of
    patients, each opening to their stay; problems nobody has are left out."""
    found = sitrep_problem_counts(engine, day, org_code)
    return [
        people(engine, viewer, f"{org} sitrep: {problem.lower()}", day, members, today)
        for org in sorted(found)
        for problem in PROBLEMS
        if (members := [(spell, 1) for spell in found[org].get(problem, [])])
    ]


# What each census figure counts, in words.
CENSUS_TITLES = {
    "occupied": "patients in a bed",
    "nctr": "patients with no criteria to reside",
    "stranded": "stranded patients (in hospital 7 days or more)",
    "super_stranded": "super-stranded patients (in hospital 21 days or more)",
    "admissions": "patients admitted",
    "discharges": "patients discharged",
    "discharges_before_noon": "patients discharged before noon",
}


def census_people(
    engine: Engine,
    viewer: Viewer,
    day: date,
    measure: str,
    wards: list[str],
    name: str,
    today: date,
) -> People:
    """The patients behind one census figure of these wards on `day`."""
    members = [(spell, 1) for spell in census_spells(engine, day, measure, wards)]
    title = f"{CENSUS_TITLES.get(measure, measure.replace('_', ' '))} – {name}"
    return people(engine, viewer, title, day, members, today)


def dtoc_rows(engine: Engine, year: int, month: int, org_code: str | None = None) -> list[DtocRow]:
    """The monthly DToC return of each mental-health and community provider (or of one)."""
    days = month_days(year, month)
    data = return_data(engine, ("mental-health", "community"), days[0], days[-1], org_code)
    return dtoc_return(year, month, data.spells, data.org_of_site, data.organisations)


KPI_COLUMNS = (
    "period_start",
    "period_end",
    "level",
    "place",
    "kpi",
    "measure",
    "value",
    "numerator",
    "denominator",
    "target",
    "meets_target",
    "change_from_baseline_pct",
)


def kpi_rows(
    engine: Engine,
    name: str,
    level: Level,
    first: date,
    last: date,
    period: Period = Period.DAILY,
    baseline: date | None = None,
    targets: Mapping[str, Target] | None = None,
    data: KpiData | None = None,
) -> list[dict[str, Any]]:
    """A KPI's values with the target each is held to and, given a baseline day, the change
    since the period holding it (the range is widened to include the baseline). `data`,
    if given, must cover that range (several KPIs can share one load)."""
    kpi = kpi_named(name)
    start = min(first, baseline) if baseline else first
    data = data if data is not None else kpi_data(engine, start, last, kpi.reads_ratings)
    values = compute_kpi(name, level, start, last, period, data)
    changes = change_from_baseline(values, baseline) if baseline else {}
    target = (targets if targets is not None else published_targets()).get(name)
    rows = []
    for i, v in enumerate(values):
        if v.period_end < first:
            continue
        change = changes.get(i)
        judged = change if target is not None and target.on_change else v.value
        rows.append(
            {
                "period_start": v.period_start,
                "period_end": v.period_end,
                "level": v.level.value,
                "place": v.place,
                "kpi": v.kpi,
                "measure": v.measure,
                "value": None if v.value is None else round(v.value, 3),
                "numerator": v.numerator,
                "denominator": v.denominator,
                "target": None if target is None else target.value,
                "meets_target": None if target is None else target.met_by(judged),
                "change_from_baseline_pct": None if change is None else round(change, 1),
            }
        )
    return rows


def kpi_people(
    engine: Engine,
    viewer: Viewer,
    name: str,
    measure: str,
    level: Level,
    place: str,
    first: date,
    last: date,
    today: date,
) -> People:
    """The patients behind a KPI's value at a place over a period: what its numerator counts
    (a census measure's patient-days, or the discharges it counts)."""
    kpi_named(name)
    where = {Level.WARD: "ward", Level.SITE: "site", Level.ORG: "org"}.get(level)
    wards, label = wards_of(engine, **({where: place} if where else {}))
    title = (
        f"{name}{' ' + measure if measure else ''} – {label}, {first:%d/%m/%Y} to {last:%d/%m/%Y}"
    )
    if name in CENSUS_COUNTED:
        days: dict[str, tuple[SpellState, int]] = {}
        for n in range((last - first).days + 1):
            for spell in census_spells(
                engine, first + timedelta(days=n), CENSUS_COUNTED[name], wards
            ):
                held = days.get(spell.spell_key)
                days[spell.spell_key] = (spell, held[1] + 1 if held else 1)
        return people(engine, viewer, title, last, list(days.values()), today)
    if name not in DISCHARGES_COUNTED:
        raise InvalidInput("kpi", f"{name} counts no patients in beds: it has no list")
    data = kpi_data(engine, first, last)
    at_place = [
        d
        for d in data.discharges
        if d.ward_code in wards and first <= local_date(d.discharged_at) <= last
    ]
    chosen = counted_discharges(name, measure, at_place, Readmitted(data.admissions))
    spells = spells_by_key(engine, [d.spell_key for d in chosen])
    return people(engine, viewer, title, last, [(s, 1) for s in spells], today)
