"""Flow rules built on the spell fold: length of stay, stranded, NCTR, days delayed, census.

The thresholds are NHS England's: stranded at 7 or more days in hospital, super-stranded at
21 or more; a patient with no criteria to reside is delayed from the discharge ready date.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from homeflow.domain import events as ev
from homeflow.domain.clock import local_date, local_time, midnight_after
from homeflow.domain.errors import InvalidInput
from homeflow.domain.spell import DelayReasonPeriod, SpellState, SpellStatus, WardStay

# The events a spell's stay, wards, discharge, criteria to reside, delay reasons and pathway
# depend on. Folding only these gives the same census, sitrep and DToC return as folding
# every event (a property test checks it), and reads a quarter fewer events.
CENSUS_EVENT_TYPES = frozenset(
    cls.TYPE
    for cls in (
        ev.Admitted,
        ev.AdmissionPlanned,
        ev.Transferred,
        ev.Discharged,
        ev.AdmissionCancelled,
        ev.TransferCancelled,
        ev.DischargeCancelled,
        ev.LeaveOfAbsenceStarted,
        ev.LeaveOfAbsenceEnded,
        ev.CriteriaToResideAssessed,
        ev.DelayReasonSet,
        ev.DelayReasonCleared,
        ev.PathwayAssigned,
    )
)

STRANDED_DAYS = 7
SUPER_STRANDED_DAYS = 21
NOON = time(12, 0)


def snapshot_at(day: date) -> datetime:
    """The instant of the midnight snapshot ending `day`: its last instant. What happens at
    00:00 belongs to the next day, as its date says (a day runs 00:00 to 23:59), so the day's
    snapshot is yesterday's, plus its admissions, less its discharges."""
    return midnight_after(day) - timedelta(microseconds=1)


def is_in_hospital_at(spell: SpellState, instant: datetime) -> bool:
    if spell.status not in (SpellStatus.ADMITTED, SpellStatus.DISCHARGED):
        return False
    assert spell.admitted_at is not None
    if spell.admitted_at > instant:
        return False
    return spell.discharged_at is None or spell.discharged_at > instant


def length_of_stay_days(spell: SpellState, on: date) -> int:
    """Whole days from the admission date to `on` (or to discharge, if earlier)."""
    assert spell.admitted_at is not None
    end = on
    if spell.discharged_at is not None:
        end = min(end, local_date(spell.discharged_at))
    return max(0, (end - local_date(spell.admitted_at)).days)


def stranded_after(length_of_stay: int) -> bool:
    """Stranded: in hospital for STRANDED_DAYS days or more."""
    return length_of_stay >= STRANDED_DAYS


def super_stranded_after(length_of_stay: int) -> bool:
    return length_of_stay >= SUPER_STRANDED_DAYS


def last_admission_day_stranded_on(day: date) -> date:
    """Patients admitted on this day or earlier and still in hospital are stranded on `day`."""
    return day - timedelta(days=STRANDED_DAYS)


def is_stranded(spell: SpellState, on: date) -> bool:
    return is_in_hospital_at(spell, snapshot_at(on)) and stranded_after(
        length_of_stay_days(spell, on)
    )


def is_super_stranded(spell: SpellState, on: date) -> bool:
    return is_in_hospital_at(spell, snapshot_at(on)) and super_stranded_after(
        length_of_stay_days(spell, on)
    )


def ward_stay_at(spell: SpellState, instant: datetime) -> WardStay | None:
    if not is_in_hospital_at(spell, instant):
        return None
    for stay in reversed(spell.ward_stays):
        if stay.start <= instant and (stay.end is None or instant < stay.end):
            return stay
    return None


def discharge_ready_date_at(spell: SpellState, instant: datetime) -> date | None:
    """The ready date of the delay episode open at `instant`, if the patient is NCTR then."""
    if not is_in_hospital_at(spell, instant):
        return None
    # A ready date may be recorded late (back-dated) or ahead: the date, not the time of
    # recording, decides from which midnight the patient counts as NCTR.
    day = local_date(instant - timedelta(microseconds=1))
    for episode in spell.delay_episodes:
        still_open = episode.end is None or instant < episode.end
        if still_open and episode.discharge_ready_date <= day:
            return episode.discharge_ready_date
    return None


def is_nctr_at(spell: SpellState, instant: datetime) -> bool:
    return discharge_ready_date_at(spell, instant) is not None


def days_delayed(spell: SpellState, on: date) -> int:
    """Days from the discharge ready date to `on`'s midnight; 0 if not delayed then."""
    ready = discharge_ready_date_at(spell, snapshot_at(on))
    return 0 if ready is None else days_delayed_since(ready, on)


def days_delayed_since(discharge_ready_date: date, on: date) -> int:
    """The ready date itself is the first delayed day."""
    return (on - discharge_ready_date).days + 1


def delay_reason_at(spell: SpellState, instant: datetime) -> DelayReasonPeriod | None:
    for period in reversed(spell.delay_reasons):
        if period.covers(instant):
            return period
    return None


@dataclass(frozen=True, slots=True)
class WardDay:
    """One spell's part in one ward's census for one day."""

    day: date
    ward_code: str
    occupied: int = 0
    nctr: int = 0
    stranded: int = 0
    super_stranded: int = 0
    admissions: int = 0
    discharges: int = 0
    discharges_before_noon: int = 0


CENSUS_MEASURES = (
    "occupied",
    "nctr",
    "stranded",
    "super_stranded",
    "admissions",
    "discharges",
    "discharges_before_noon",
)


def census_contributions(spell: SpellState, first: date, last: date) -> Iterator[WardDay]:
    """What a spell adds to the daily census of each ward, day by day from `first` to `last`.

    Counts are taken at the midnight ending each day; admissions and discharges are
    counted on the day they happen, on the ward where they happen.
    """
    if spell.status not in (SpellStatus.ADMITTED, SpellStatus.DISCHARGED):
        return
    assert spell.admitted_at is not None and spell.ward_stays
    admitted_on = local_date(spell.admitted_at)
    discharged_on = local_date(spell.discharged_at) if spell.discharged_at else None
    day = max(first, admitted_on)
    end = min(last, discharged_on) if discharged_on else last
    while day <= end:
        midnight = snapshot_at(day)
        stay = ward_stay_at(spell, midnight)
        if stay is not None:
            los = (day - admitted_on).days
            yield WardDay(
                day,
                stay.ward_code,
                occupied=1,
                nctr=int(discharge_ready_date_at(spell, midnight) is not None),
                stranded=int(stranded_after(los)),
                super_stranded=int(super_stranded_after(los)),
            )
        if day == admitted_on:
            # On the ward the patient was admitted to, wherever they are at midnight.
            yield WardDay(day, spell.ward_stays[0].ward_code, admissions=1)
        if day == discharged_on:
            assert spell.discharged_at is not None
            last_stay = spell.ward_stays[-1]
            yield WardDay(
                day,
                last_stay.ward_code,
                discharges=1,
                discharges_before_noon=int(local_time(spell.discharged_at) < NOON),
            )
        day += timedelta(days=1)


def daily_census(
    spells: Iterable[SpellState], first: date, last: date
) -> dict[tuple[date, str], dict[str, int]]:
    """The census of every ward for every day in [first, last]: a sum of contributions."""
    totals: dict[tuple[date, str], dict[str, int]] = {}
    for spell in spells:
        for part in census_contributions(spell, first, last):
            row = totals.setdefault((part.day, part.ward_code), dict.fromkeys(CENSUS_MEASURES, 0))
            for name in CENSUS_MEASURES:
                row[name] += getattr(part, name)
    return totals


def census_members(
    spells: Iterable[SpellState], day: date, ward_codes: Collection[str], measure: str
) -> list[SpellState]:
    """The spells a census figure counts: those adding to `measure` on `day` on any of the
    wards (each counts once: a census measure is a count of patients)."""
    if measure not in CENSUS_MEASURES:
        raise InvalidInput("measure", f"{measure!r} is not one of {', '.join(CENSUS_MEASURES)}")
    return [
        spell
        for spell in spells
        if any(
            part.ward_code in ward_codes and getattr(part, measure)
            for part in census_contributions(spell, day, day)
        )
    ]
