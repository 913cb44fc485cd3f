"""The longest delays and internal delays the UEC plan 2025/26 asks systems to end.

NHS England, "Urgent and emergency care plan 2025/26" (June 2025,
https://www.england.nhs.uk/long-read/urgent-and-emergency-care-plan-2025-26/): tackle the
delays of patients waiting to be discharged, "starting with the nearly 30,000 patients a year
staying 21 days over their discharge-ready-date", and in each system's winter plan "set local
performance targets by pathway to improve patient discharge times, and eliminate internal
discharge delays of more than 48 hours in all settings".

- A **longest delay**: a patient in hospital, not meeting the criteria to reside, 21 or more
  days past the discharge ready date, the days counted as the sitrep counts delayed bed-days
  (the ready date itself is the first: `flow.days_delayed_since`).
- An **internal delay over 48 hours**: such a patient whose current delay reason is internal
  to the hospital and has been, without a break, for more than 48 hours. The plan does not say
  from when the 48 hours run; homeflow reads "internal discharge delays of more than 48 hours"
  as the time the delay has been internal, so they run from when the current reason became an
  internal one (a change from one internal reason to another does not restart them; a change
  to an external reason ends the internal delay), and never from before the start of the
  discharge ready date: a patient waiting 10 days for a care home who then waits a day for
  transport has had a one-day internal delay.
- **Internal reasons**: the 37 reasons of the acute discharge sitrep (since 27 May 2024) come
  in five families. "Hospital process" (HP01-HP07: medical, therapy and formal decisions,
  medicines and letters, transport, referral to the care transfer hub, infection control) is
  the acute trust's own; the others wait on the care transfer hub (a joint health and social
  care team), on providers outside the hospital and their capacity, or on wellbeing concerns.
  NHS England publishes the families but does not itself label any "internal": homeflow reads
  the Hospital process family as the plan's internal delays, and no other. A legacy DToC reason
  (mental-health and community stays) has no hospital-process family and is never internal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from homeflow.domain import codes
from homeflow.domain.clock import local_date, start_of_day
from homeflow.domain.flow import (
    days_delayed_since,
    discharge_ready_date_at,
    snapshot_at,
    ward_stay_at,
)
from homeflow.domain.spell import DelayReasonPeriod, SpellState

LONGEST_DELAY_DAYS = 21
INTERNAL_DELAY = timedelta(hours=48)
# The sitrep's families of delay reason that are the hospital's own (see the docstring).
INTERNAL_FAMILIES = frozenset({"Hospital process"})


class DelayKind(StrEnum):
    LONGEST = "longest"  # 21+ days past the discharge ready date
    INTERNAL = "internal"  # an internal reason for more than 48 hours


KIND_TITLES = {
    DelayKind.LONGEST: "Patients 21 or more days past their discharge ready date",
    DelayKind.INTERNAL: "Internal (hospital process) delays over 48 hours",
}


def is_internal(reason: str | None) -> bool:
    """Whether one of the 37 sitrep delay reasons is internal to the hospital."""
    if reason is None:
        return False
    return codes.nctr_delay_reasons().get(reason).family in INTERNAL_FAMILIES


def internal_reasons() -> tuple[codes.Code, ...]:
    return tuple(c for c in codes.nctr_delay_reasons().codes if c.family in INTERNAL_FAMILIES)


@dataclass(frozen=True, slots=True)
class Delay:
    """A patient not meeting the criteria to reside at an instant, with what the lists show."""

    spell: SpellState
    at: datetime
    ward_code: str
    discharge_ready_date: date
    days_past: int  # days past the ready date, counting it (as the sitrep's bed-days)
    reason: DelayReasonPeriod | None
    internal_since: datetime | None  # when the current run of internal reasons began

    @property
    def hours_internal(self) -> float | None:
        if self.internal_since is None:
            return None
        return (self.at - self.internal_since) / timedelta(hours=1)

    def counts_as(self, kind: DelayKind) -> bool:
        if kind is DelayKind.LONGEST:
            return self.days_past >= LONGEST_DELAY_DAYS
        return self.internal_since is not None and self.at - self.internal_since > INTERNAL_DELAY


def delay_at(spell: SpellState, at: datetime) -> Delay | None:
    """The spell's delay at `at` (the midnight ending a day, or now), if it has one."""
    ready = discharge_ready_date_at(spell, at)
    stay = ward_stay_at(spell, at)
    if ready is None or stay is None:
        return None
    reason = _reason_at(spell, at)
    return Delay(
        spell,
        at,
        stay.ward_code,
        ready,
        days_delayed_since(ready, local_date(at)),
        reason[1] if reason else None,
        _internal_since(spell, reason, ready),
    )


def _reason_at(spell: SpellState, at: datetime) -> tuple[int, DelayReasonPeriod] | None:
    for n in range(len(spell.delay_reasons) - 1, -1, -1):
        if spell.delay_reasons[n].covers(at):
            return n, spell.delay_reasons[n]
    return None


def _internal_since(
    spell: SpellState, reason: tuple[int, DelayReasonPeriod] | None, ready: date
) -> datetime | None:
    if reason is None or not is_internal(reason[1].reason):
        return None
    n, current = reason
    since = current.start
    # Back through the reasons that ran on into this one without a break, while internal.
    for earlier in reversed(spell.delay_reasons[:n]):
        if earlier.end != since or not is_internal(earlier.reason):
            break
        since = earlier.start
    return max(since, start_of_day(ready))


def delays(spells: Iterable[SpellState], at: datetime, kind: DelayKind) -> list[Delay]:
    """The patients a list of `kind` holds at `at`, the longest delayed first."""
    found = [d for s in spells if (d := delay_at(s, at)) is not None and d.counts_as(kind)]
    found.sort(key=lambda d: (-d.days_past, d.spell.spell_key))
    return found


NO_PATHWAY = "not recorded"


def daily_counts(
    spells: Iterable[SpellState], first: date, last: date
) -> dict[tuple[date, str, str, DelayKind], int]:
    """The patients on each list at the midnight ending each day from `first` to `last`, by
    day, ward, pathway (the latest recorded, or NO_PATHWAY) and list: what the measures chart."""
    counts: dict[tuple[date, str, str, DelayKind], int] = {}
    for spell in spells:
        for day in _delayed_days(spell, first, last):
            delay = delay_at(spell, snapshot_at(day))
            if delay is None:
                continue
            for kind in DelayKind:
                if delay.counts_as(kind):
                    key = (day, delay.ward_code, spell.pathway or NO_PATHWAY, kind)
                    counts[key] = counts.get(key, 0) + 1
    return counts


def _delayed_days(spell: SpellState, first: date, last: date) -> list[date]:
    """The days from `first` to `last` some delay episode of the spell may cover (only those
    need asking, most stays having none)."""
    days: set[date] = set()
    for episode in spell.delay_episodes:
        start = max(first, episode.discharge_ready_date)
        end = min(last, local_date(episode.end) if episode.end else last)
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return sorted(days)
