"""Mental health delayed discharge periods (NHS Data Dictionary: "Mental Health Delayed Discharge
Period"; MHSDS v6 table MHS518 Clinically Ready for Discharge): the stretches of a mental-health
stay when the patient is clinically ready for discharge but still in a bed, several a spell.

A period counts the days it covers the way NHS England counts MHSDS's days clinically ready for
discharge in a month: from its start date up to, not including, its end date (the day the patient
left or was no longer ready is not a delayed day); a period still open at the month's end counts
through the last day of the month. A period still open when the patient is discharged ends at the
discharge, and no day before the admission counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from homeflow.domain import events as ev
from homeflow.domain.clock import local_date


@dataclass(frozen=True, slots=True)
class MhDelayPeriod:
    period_id: str
    start_date: date
    end_date: date | None
    reason: str
    attributable_to: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Places:
    """What the figures are grouped by: each ward's type, each site's provider, each spell's
    patient's local authority (where recorded) and the names of organisations."""

    ward_types: Mapping[str, str]
    org_of_site: Mapping[str, str]
    council_of_spell: Mapping[str, str]
    names: Mapping[str, str]


def recorded(periods: dict[str, MhDelayPeriod], payload: ev.MhDelayRecorded, at: datetime) -> None:
    """Record a period, or correct or end it: the same id again replaces what it said."""
    periods[payload.period_id] = MhDelayPeriod(
        payload.period_id,
        payload.start_date,
        payload.end_date,
        payload.reason,
        payload.attributable_to,
        at,
    )


def end_of(period: MhDelayPeriod, discharged_on: date | None) -> date | None:
    """The day the period ends: its end date, or the discharge if that comes first."""
    ends = [d for d in (period.end_date, discharged_on) if d is not None]
    return min(ends) if ends else None


def days_within(
    period: MhDelayPeriod,
    first: date,
    last: date,
    admitted_on: date | None,
    discharged_on: date | None,
) -> list[date]:
    """The period's delayed days from `first` to `last` (both inclusive)."""
    start = max(d for d in (period.start_date, first, admitted_on) if d is not None)
    end = end_of(period, discharged_on)
    stop = last + timedelta(days=1) if end is None else min(end, last + timedelta(days=1))
    return [start + timedelta(days=n) for n in range((stop - start).days)]


def delayed_days(
    periods: Iterable[MhDelayPeriod],
    first: date,
    last: date,
    admitted_on: date | None,
    discharged_on: date | None,
) -> int:
    """A stay's delayed days from `first` to `last`: each day any of its periods covers, once.
    Periods that share days (two records of one delay under different ids, or a new period
    that reached homeflow before the end of the one before it) never count a day twice."""
    return len(
        {
            day
            for period in periods
            for day in days_within(period, first, last, admitted_on, discharged_on)
        }
    )


def ward_at_start(stays: Iterable[tuple[str, datetime]], start_date: date) -> str | None:
    """The ward the patient was on when the period started: the last ward stay (code, start)
    begun by the end of that day, else the first (a period from before the admission); None
    before any stay is known."""
    ordered = sorted(stays, key=lambda s: s[1])
    if not ordered:
        return None
    begun = [code for code, start in ordered if local_date(start) <= start_date]
    return begun[-1] if begun else ordered[0][0]
