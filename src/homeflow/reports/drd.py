"""The monthly discharge ready date (DRD) measures, as NHS England publishes them: for the
stays that ended in the month, the share discharged on their DRD and 1+ days after it, the
average days from DRD to discharge, and discharges and bed-days by delay band. Pure: it takes
folded spells and where each belongs, and gives each figure with the spells behind it.

The columns are the publication's (its monthly "Provider" sheet); docs/returns.md ("Discharge
ready date") cites it and says which stays are counted (`domain.ready_date`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from homeflow.domain.clock import local_date
from homeflow.domain.ready_date import BANDS, Band, band_of, measured_delay
from homeflow.domain.spell import SpellState

DISCHARGED = "Total # of patients discharged"
BED_DAYS = "Total bed days lost to DD"
SAME_DAY = "DoD is same as DRD (%)"
LATER = "DoD is 1+ days after DRD (%)"
AVERAGE_ALL = "Average days from DRD to DoD (inc 0-day delays)"
AVERAGE_DELAYED = "Average days from DRD to DoD (exc 0-day delays)"


def _count_column(band: Band) -> str:
    if band.first == 0:
        return "No delay between DoD & DRD (#)"
    return f"{band.label} day delay between DoD & DRD (#)"


def _bed_days_column(band: Band) -> str:
    if band.last is None:
        return f"Total bed days after DRD for patients discharged within {band.first} days or more"
    unit = "day" if band.first == band.last else "days"
    return f"Total bed days after DRD for patients discharged within {band.label} {unit}"


COUNT_COLUMNS = tuple(_count_column(b) for b in BANDS)
# A patient discharged on their DRD adds no bed-days: the publication has no column for them.
BED_DAYS_COLUMNS = tuple(_bed_days_column(b) for b in BANDS if b.first > 0)
# The figures each made of patients (a count, or bed-days adding each patient's days).
FIGURES = (DISCHARGED, BED_DAYS, *COUNT_COLUMNS, *BED_DAYS_COLUMNS)
BED_DAY_FIGURES = frozenset((BED_DAYS, *BED_DAYS_COLUMNS))
MEASURES = (DISCHARGED, BED_DAYS, SAME_DAY, LATER, *COUNT_COLUMNS, *BED_DAYS_COLUMNS)
MEASURES += (AVERAGE_ALL, AVERAGE_DELAYED)
PLACE_COLUMNS = ("Period", "By", "Code", "Name")
COLUMNS = (*PLACE_COLUMNS, *MEASURES)
# The same as the long format homeflow's returns take (a measure a row): what a person reads
# in a terminal, and what a spreadsheet pivots back to the publication's shape.
LONG_COLUMNS = (*PLACE_COLUMNS, "Measure", "Value")

Members = dict[str, list[tuple[SpellState, int]]]


def drd_members(
    first: date,
    last: date,
    spells: Iterable[SpellState],
    place_of: Callable[[SpellState], str | None],
) -> dict[str, Members]:
    """The spells behind each figure of each place, for stays that ended from `first` to
    `last`: each with what it adds (one patient; for bed-days, that patient's days after their
    DRD), so every figure is the sum of its list."""
    found: dict[str, Members] = {}
    for spell in spells:
        delay = measured_delay(spell)
        if delay is None:
            continue
        assert spell.discharged_at is not None
        if not first <= local_date(spell.discharged_at) <= last:
            continue
        place = place_of(spell)
        if place is None:
            continue
        tally = found.setdefault(place, {})
        band = band_of(delay)
        tally.setdefault(DISCHARGED, []).append((spell, 1))
        tally.setdefault(_count_column(band), []).append((spell, 1))
        if delay > 0:
            tally.setdefault(BED_DAYS, []).append((spell, delay))
            tally.setdefault(_bed_days_column(band), []).append((spell, delay))
    return found


def figure_of(members: Members, name: str) -> int:
    return sum(weight for _, weight in members.get(name, ()))


def measures(members: Members) -> dict[str, int | float | None]:
    """A place's measures, from its figures: shares and averages of none are blank."""
    counts: dict[str, int | float | None] = {name: figure_of(members, name) for name in FIGURES}
    discharged = figure_of(members, DISCHARGED)
    on_the_day = figure_of(members, COUNT_COLUMNS[0])
    delayed = discharged - on_the_day
    bed_days = figure_of(members, BED_DAYS)
    counts[SAME_DAY] = _ratio(100 * on_the_day, discharged)
    counts[LATER] = _ratio(100 * delayed, discharged)
    counts[AVERAGE_ALL] = _ratio(bed_days, discharged)
    counts[AVERAGE_DELAYED] = _ratio(bed_days, delayed)
    return {name: counts[name] for name in MEASURES}


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 1) if denominator else None


def drd_rows(
    period: str, by: str, members: Mapping[str, Members], names: Mapping[str, str]
) -> list[dict[str, Any]]:
    """One row a place: every place in `names` (with zeros), then any other place found."""
    rows = []
    for code in [*names, *sorted(set(members) - set(names))]:
        place = {"Period": period, "By": by, "Code": code, "Name": names.get(code, code)}
        rows.append(place | measures(members.get(code, {})))
    return rows


def long_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of `drd_rows`, a measure a row."""
    return [
        {**{c: row[c] for c in PLACE_COLUMNS}, "Measure": m, "Value": row[m]}
        for row in rows
        for m in MEASURES
    ]
