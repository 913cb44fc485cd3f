"""The discharge ready date (DRD) as the national data item, and what NHS England's monthly
measures count of it. One rule, used by the monthly figures, their lists, the KPIs and the
tests' recount.

NHS England, "Discharge ready date: guidance, examples and frequently asked questions"
(https://www.england.nhs.uk/long-read/discharge-ready-date-guidance-examples-and-frequently-asked-questions/):
the DRD "is the date that a patient no longer met the 'Criteria to Reside' in a hospital
bed". Where the patient met the criteria again, "for finished episodes of care, the Discharge
Ready Date should record the start date of the final period that the patient no longer met
the 'Criteria to Reside'"; "for unfinished episodes of care, ... the start date of the
current period ..., if applicable". And "for those patients discharged on the same day as
their discharge ready date (i.e. there was no delay), providers may leave the Discharge Ready
Date field unfilled". docs/returns.md ("Discharge ready date") says how homeflow reads each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from homeflow.domain.clock import local_date
from homeflow.domain.spell import SpellState, SpellStatus


@dataclass(frozen=True, slots=True)
class Band:
    """Days from the DRD to the discharge date, as the publication groups them."""

    label: str
    first: int
    last: int | None  # None: and more

    def holds(self, days: int) -> bool:
        return self.first <= days and (self.last is None or days <= self.last)


BANDS = (
    Band("0", 0, 0),
    Band("1", 1, 1),
    Band("2-3", 2, 3),
    Band("4-6", 4, 6),
    Band("7-13", 7, 13),
    Band("14-20", 14, 20),
    Band("21+", 21, None),
)


def band_of(days: int) -> Band:
    """The band a delay of `days` (0 or more) falls in."""
    return next(band for band in BANDS if band.holds(days))


def discharge_ready_date(spell: SpellState) -> date | None:
    """The stay's DRD as the data item records it.

    An open stay: the ready date of the period of not meeting the criteria it is in now (None
    if it meets them). A finished stay: the ready date of the period the discharge ended, its
    final one; None if the patient met the criteria again before leaving (the period that
    ended then is not a delay the discharge waited on) or never stopped meeting them. A later
    "does not meet" while a period is open corrects its ready date (the spell fold keeps the
    corrected date on the episode)."""
    if spell.status is SpellStatus.ADMITTED:
        return spell.discharge_ready_date  # the open episode's, if any
    last = spell.delay_episodes[-1] if spell.delay_episodes else None
    if spell.status is SpellStatus.DISCHARGED and last and last.ended_by == "discharged":
        return last.discharge_ready_date
    return None


def days_after_ready_date(ready: date | None, discharged_on: date) -> int:
    """Days from the DRD to the discharge date. No DRD recorded counts as 0: the guidance
    lets a provider leave it unfilled for a patient discharged on their DRD, so a stay without
    one reads as discharged on it. A DRD after the discharge date (a patient who left before
    the day they were expected to be ready) is not a delay either: 0."""
    if ready is None:
        return 0
    return max(0, (discharged_on - ready).days)


def counted_in_measures(admitted_on: date, discharged_on: date, died: bool) -> bool:
    """Whether a finished stay is one the monthly measures count: a stay of one night or
    longer (the guidance records a DRD for "all inpatients with a stay of one night or
    longer") that ended in a discharge, not a death (a death is no discharge a patient was
    ready for, and no DRD can be read into it)."""
    return not died and discharged_on > admitted_on


def measured_delay(spell: SpellState) -> int | None:
    """A finished stay's days from DRD to discharge as the measures count them; None for a
    stay they do not count (open, cancelled, same-day, a death)."""
    if spell.status is not SpellStatus.DISCHARGED:
        return None
    assert spell.admitted_at is not None and spell.discharged_at is not None
    discharged_on = local_date(spell.discharged_at)
    if not counted_in_measures(local_date(spell.admitted_at), discharged_on, spell.died):
        return None
    return days_after_ready_date(discharge_ready_date(spell), discharged_on)
