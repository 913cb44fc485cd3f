"""Outcomes after discharge, each a rate whose people can be listed: who is counted above the
line and who below it, so every figure opens to the spells behind it.

- **ASCOF 2B(1)**: people aged 65 or over discharged from hospital into reablement who were at
  home 91 days after discharge. Someone who died, is in hospital or a care home, or was not
  traced counts as not at home; someone whose 91 days have not yet passed is not counted yet.
- **Placements to bedded settings**: of the people discharged alive needing support (pathway
  P1, P2 or P3), those discharged to a bed (P2 or P3: a discharge-to-assess, interim or
  care-home bed).
- **Supported more independently**: of the reablement and home-care episodes that ended, those
  ending with no ongoing support, or with fewer hours a week at the end than at the start.
- **Readmitted within 30 and 91 days**, by pathway (P0-P3; a discharge with no pathway
  recorded is in none of them): of the people discharged alive, those admitted again within
  so many days (counted once the days have passed).
- **Support within its planned length**: of the episodes that ended and had a planned end,
  those that ended by it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from homeflow.domain.after_discharge.records import (
    Referrer,
    SupportEpisodeRecorded,
    SupportKind,
    SupportOutcome,
    WhereAt91Days,
)

ASCOF_AGE = 65
ASCOF_DAYS = 91
PATHWAYS = ("P0", "P1", "P2", "P3")
SUPPORTING_PATHWAYS = ("P1", "P2", "P3")
BEDDED_PATHWAYS = ("P2", "P3")
HOME_SUPPORT = (SupportKind.REABLEMENT, SupportKind.HOME_CARE)
ASCOF = "ASCOF 2B(1) at home 91 days after reablement (65+)"
BEDDED = "Placements to bedded settings (P2-P3 of P1-P3)"
INDEPENDENT = "Supported more independently (reablement and home care ended)"
WITHIN_PLAN = "Support ended within its planned length"
READMITTED_30 = "Readmitted within 30 days, any pathway"


@dataclass(frozen=True, slots=True)
class Discharge:
    """A hospital discharge as the outcomes see it."""

    spell_key: str
    day: date
    pathway: str | None
    age: int | None
    site_code: str
    org_code: str
    died: bool
    readmitted_after: int | None  # days to the person's next admission; None if none since


@dataclass(frozen=True, slots=True)
class Rate:
    """`counted` of `of` (spell keys or episode ids); `waiting` not yet countable."""

    counted: tuple[str, ...]
    of: tuple[str, ...]
    waiting: int = 0

    @property
    def percent(self) -> float | None:
        return round(100 * len(self.counted) / len(self.of), 1) if self.of else None


def latest_versions(records: Iterable[SupportEpisodeRecorded]) -> list[SupportEpisodeRecorded]:
    """Each episode as last recorded (records come in the order they were stored)."""
    latest: dict[str, SupportEpisodeRecorded] = {}
    for record in records:
        latest[record.episode_id] = record
    return list(latest.values())


def first_support(
    episodes: Iterable[SupportEpisodeRecorded],
) -> dict[str, SupportEpisodeRecorded]:
    """The first episode of support after each spell (by start, then id)."""
    found: dict[str, SupportEpisodeRecorded] = {}
    for episode in sorted(episodes, key=lambda e: (e.start, e.episode_id)):
        found.setdefault(episode.spell_key, episode)
    return found


def ascof_2b1(
    discharges: Iterable[Discharge], first: dict[str, SupportEpisodeRecorded], as_of: date
) -> Rate:
    counted, of, waiting = [], [], 0
    for d in discharges:
        episode = first.get(d.spell_key)
        if d.died or d.age is None or d.age < ASCOF_AGE or episode is None:
            continue
        if episode.kind is not SupportKind.REABLEMENT:
            continue
        if d.day + timedelta(days=ASCOF_DAYS) > as_of:
            waiting += 1
            continue
        of.append(d.spell_key)
        if episode.at_91_days is WhereAt91Days.AT_HOME:
            counted.append(d.spell_key)
    return Rate(tuple(counted), tuple(of), waiting)


def bedded_placements(discharges: Iterable[Discharge]) -> Rate:
    needing = [d for d in discharges if not d.died and d.pathway in SUPPORTING_PATHWAYS]
    bedded = [d.spell_key for d in needing if d.pathway in BEDDED_PATHWAYS]
    return Rate(tuple(bedded), tuple(d.spell_key for d in needing))


def more_independent(episodes: Iterable[SupportEpisodeRecorded], start: date, end: date) -> Rate:
    """Of the reablement and home-care episodes that ended from `start` to `end`."""
    ended = [
        e
        for e in episodes
        if e.kind in HOME_SUPPORT
        and e.end is not None
        and start <= e.end <= end
        and e.outcome is not None
    ]
    counted = [
        e.episode_id
        for e in ended
        if e.outcome is SupportOutcome.NO_ONGOING_SUPPORT
        or (
            e.hours_at_start is not None
            and e.hours_at_end is not None
            and e.hours_at_end < e.hours_at_start
        )
    ]
    return Rate(tuple(counted), tuple(e.episode_id for e in ended))


def readmitted_within(
    discharges: Iterable[Discharge], days: int, as_of: date, pathway: str | None = None
) -> Rate:
    counted, of, waiting = [], [], 0
    for d in discharges:
        if d.died or (pathway is not None and d.pathway != pathway):
            continue
        if d.day + timedelta(days=days) > as_of:
            waiting += 1
            continue
        of.append(d.spell_key)
        if d.readmitted_after is not None and d.readmitted_after <= days:
            counted.append(d.spell_key)
    return Rate(tuple(counted), tuple(of), waiting)


def within_plan(episodes: Iterable[SupportEpisodeRecorded], start: date, end: date) -> Rate:
    ended = [
        e
        for e in episodes
        if e.end is not None and e.planned_end is not None and start <= e.end <= end
    ]
    counted = [
        e.episode_id
        for e in ended
        if e.end is not None and e.planned_end is not None and e.end <= e.planned_end
    ]
    return Rate(tuple(counted), tuple(e.episode_id for e in ended))


FLOW = "At 91 days"
NO_EPISODE = "no episode recorded"


def flow_at_91_days(
    discharges: Iterable[Discharge], first: dict[str, SupportEpisodeRecorded], as_of: date
) -> dict[tuple[str, str], Rate]:
    """From the pathway at discharge to where people were 91 days later: for each pathway
    (P1-P3) and place, those there of everyone discharged alive on that pathway whose 91 days
    have passed. Someone whose support has no follow-up recorded is not traced; someone with
    no episode at all is shown so."""
    due: dict[str, list[str]] = {}
    where_of: dict[str, str] = {}
    for d in discharges:
        if d.died or d.pathway not in SUPPORTING_PATHWAYS:
            continue
        if d.day + timedelta(days=ASCOF_DAYS) > as_of:
            continue
        due.setdefault(d.pathway, []).append(d.spell_key)
        episode = first.get(d.spell_key)
        if episode is None:
            where_of[d.spell_key] = NO_EPISODE
        else:
            where_of[d.spell_key] = (episode.at_91_days or WhereAt91Days.NOT_TRACED).value
    flows: dict[tuple[str, str], Rate] = {}
    for pathway, keys in sorted(due.items()):
        for where in sorted({where_of[k] for k in keys}):
            there = tuple(k for k in keys if where_of[k] == where)
            flows[pathway, where] = Rate(there, tuple(keys))
    return flows


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    place: str
    measure: str
    rate: Rate


def outcomes(
    discharges: Sequence[Discharge],
    episodes: Sequence[SupportEpisodeRecorded],
    start: date,
    end: date,
    as_of: date,
    place_of: Callable[[Discharge], str],
    first: dict[str, SupportEpisodeRecorded] | None = None,
) -> list[OutcomeRow]:
    """Every measure for each place (`place_of` a discharge: the system, its trust or its
    site), for discharges and episodes ending from `start` to `end`. (`first`: each spell's
    first support, when the caller has it already.)"""
    in_window = [d for d in discharges if start <= d.day <= end]
    places = sorted({place_of(d) for d in in_window})
    spell_place = {d.spell_key: place_of(d) for d in discharges}
    first = first_support(episodes) if first is None else first
    rows = []
    for place in places:
        here = [d for d in in_window if place_of(d) == place]
        episodes_here = [e for e in episodes if spell_place.get(e.spell_key) == place]
        rows += [
            OutcomeRow(
                place,
                ASCOF,
                ascof_2b1(here, first, as_of),
            ),
            OutcomeRow(
                place,
                BEDDED,
                bedded_placements(here),
            ),
            OutcomeRow(
                place,
                INDEPENDENT,
                more_independent(episodes_here, start, end),
            ),
            OutcomeRow(
                place,
                WITHIN_PLAN,
                within_plan(episodes_here, start, end),
            ),
        ]
        for referrer in Referrer:
            referred = [e for e in episodes_here if e.referrer is referrer]
            rows += [
                OutcomeRow(
                    place,
                    f"{INDEPENDENT}, referred by {referrer.value}",
                    more_independent(referred, start, end),
                ),
                OutcomeRow(
                    place,
                    f"{WITHIN_PLAN}, referred by {referrer.value}",
                    within_plan(referred, start, end),
                ),
            ]
        for pathway in SUPPORTING_PATHWAYS:
            on_it = [e for e in episodes_here if e.kind.pathway == pathway]
            rows.append(
                OutcomeRow(
                    place, f"{WITHIN_PLAN}, pathway {pathway}", within_plan(on_it, start, end)
                )
            )
        for (pathway, where), rate in flow_at_91_days(here, first, as_of).items():
            rows.append(OutcomeRow(place, f"{FLOW}: {where} after {pathway}", rate))
        for days in (30, 91):
            any_pathway = readmitted_within(here, days, as_of)
            rows.append(
                OutcomeRow(place, f"Readmitted within {days} days, any pathway", any_pathway)
            )
            for pathway in PATHWAYS:
                rows.append(
                    OutcomeRow(
                        place,
                        f"Readmitted within {days} days, pathway {pathway}",
                        readmitted_within(here, days, as_of, pathway),
                    )
                )
    return rows


def weekly_rates(
    discharges: Sequence[Discharge],
    episodes: Sequence[SupportEpisodeRecorded],
    first_monday: date,
    weeks: int,
    as_of: date,
    place_of: Callable[[Discharge], str],
    place: str,
    measures: Collection[str],
) -> dict[str, list[tuple[date, Rate]]]:
    """Some of a place's outcomes week by week (discharges, or episodes ending, Monday to
    Sunday), for charts over time; a week with nobody to count is left out of its measure.
    Each week is measured as `outcomes` measures a window of that week, on the discharges of
    the year before it too, so a week's point counts the people its window lists."""
    series: dict[str, list[tuple[date, Rate]]] = {}
    first = first_support(episodes)
    by_day = sorted(discharges, key=lambda d: d.day)
    days = [d.day for d in by_day]
    for n in range(weeks):
        start = first_monday + timedelta(weeks=n)
        end = start + timedelta(days=6)
        if end > as_of:
            break
        year = by_day[bisect_left(days, start - timedelta(days=365)) : bisect_right(days, end)]
        for row in outcomes(year, episodes, start, end, as_of, place_of, first):
            if row.place == place and row.measure in measures and row.rate.of:
                series.setdefault(row.measure, []).append((start, row.rate))
    return series
