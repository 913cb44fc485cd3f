"""Mental health delayed discharges in a month: the days patients clinically ready for discharge
spent in a mental-health bed (MHSDS v6 MHS518 periods), by provider or by the patient's local
authority of residence, as NHS England publishes them. Each figure is the sum of its patients'
days, so the list behind it adds up to it. Pure: it takes folded spells and returns rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from homeflow.domain import mh_delays
from homeflow.domain.clock import local_date
from homeflow.domain.mh_delays import MhDelayPeriod, Places
from homeflow.domain.organisations import WardType
from homeflow.domain.spell import SpellState

# NHS England's breakdowns name a patient with no local authority on record "Unknown".
UNKNOWN = "UNKNOWN"


class By(StrEnum):
    PROVIDER = "provider"
    COUNCIL = "council"


COLUMNS = ("Period", "Breakdown", "Code", "Name", "Delayed Days", "Stays")


@dataclass(frozen=True, slots=True)
class MhDelayRow:
    period: str
    by: By
    code: str
    name: str
    delayed_days: int
    stays: int

    def as_list(self) -> list[str | int]:
        return [self.period, self.by.value, self.code, self.name, self.delayed_days, self.stays]


def spell_days(spell: SpellState, first: date, last: date, ward_types: Mapping[str, str]) -> int:
    """A spell's delayed days from `first` to `last`: those of its periods that started on a
    mental-health ward (a period of another stay is refused when recorded; one that reached
    homeflow before its admission is judged here)."""
    admitted = local_date(spell.admitted_at) if spell.admitted_at else None
    discharged = local_date(spell.discharged_at) if spell.discharged_at else None
    stays = [(s.ward_code, s.start) for s in spell.ward_stays]
    counted = [
        period
        for period in spell.mh_delays
        if ward_types.get(mh_delays.ward_at_start(stays, period.start_date) or "")
        == WardType.MENTAL_HEALTH
    ]
    return mh_delays.delayed_days(counted, first, last, admitted, discharged)


def latest_period(spell: SpellState, first: date, last: date) -> MhDelayPeriod | None:
    """The period a list shows beside the patient: the latest to start of those with delayed
    days from `first` to `last`."""
    admitted = local_date(spell.admitted_at) if spell.admitted_at else None
    discharged = local_date(spell.discharged_at) if spell.discharged_at else None
    counted = [
        p for p in spell.mh_delays if mh_delays.days_within(p, first, last, admitted, discharged)
    ]
    return max(counted, key=lambda p: p.start_date, default=None)


def mh_delay_members(
    first: date, last: date, spells: Iterable[SpellState], by: By, places: Places
) -> dict[str, list[tuple[SpellState, int]]]:
    """The patients behind each figure, with their delayed days, by provider or council code."""
    members: dict[str, list[tuple[SpellState, int]]] = {}
    for spell in spells:
        if spell.admitted_at is None:
            continue  # a period whose admission has not arrived is no stay yet
        days = spell_days(spell, first, last, places.ward_types)
        if days == 0:
            continue
        if by is By.PROVIDER:
            key = places.org_of_site.get(spell.site_code or "", UNKNOWN)
        else:
            key = places.council_of_spell.get(spell.spell_key, UNKNOWN)
        members.setdefault(key, []).append((spell, days))
    return members


def mh_delay_rows(
    first: date, last: date, spells: Iterable[SpellState], by: By, places: Places
) -> list[MhDelayRow]:
    """One row an organisation with delayed days in the month, in order of code."""
    period = f"{first:%Y-%m}"
    return [
        MhDelayRow(
            period,
            by,
            code,
            places.names.get(code, "Unknown" if code == UNKNOWN else code),
            sum(days for _, days in found),
            len(found),
        )
        for code, found in sorted(mh_delay_members(first, last, spells, by, places).items())
    ]
