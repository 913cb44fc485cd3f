"""The demo's support after discharge: for each discharge on pathway 1, 2 or 3, the episode
that followed it — reablement or home care, a discharge-to-assess or interim bed, a care-home
placement — from the councils' reablement teams, four home-care agencies, the community
trust's beds and the care homes, with outcomes near the national figures (about eight in ten
older people at home 91 days after reablement, ASCOF 2B(1)); and each provider's weekly
capacity return.

A person readmitted during their support ends it that day as readmitted. Nothing ends, and
nobody is followed up at 91 days, after the demo's last day."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from homeflow.domain.after_discharge.capacity import ProviderCapacityRecorded, open_on
from homeflow.domain.after_discharge.outcomes import Discharge
from homeflow.domain.after_discharge.records import (
    Referrer,
    SupportEpisodeRecorded,
    SupportKind,
    SupportOutcome,
    WhereAt91Days,
)

REABLEMENT_TEAMS = {"RX1": "LAR01", "RX2": "LAE01"}  # each trust's council
HOME_CARE_AGENCIES = ("HC-ACORN", "HC-BRIGHTWAYS", "HC-COMPASS", "HC-DALEVIEW")
D2A_BEDS = "RY1"
INTERIM_BEDS = ("CH-MAPLES", "CH-WILLOWS")
CARE_HOMES = ("CH-MAPLES", "CH-WILLOWS", "CH-OAKLANDS")
PLANNED_DAYS = {
    SupportKind.REABLEMENT: 42,  # six weeks of reablement
    SupportKind.HOME_CARE: 28,  # four weeks funded after discharge
    SupportKind.D2A_BED: 28,
    SupportKind.INTERIM_BED: 21,
    SupportKind.CARE_HOME: 28,
}
# Days an episode ends after its planned end (mean, spread): most end by it, some run on
# while the next service is found (about seven in ten by the plan; see docs/demo.md).
PAST_PLAN_DAYS = (-4.0, 8.0)
REABLEMENT_OUTCOMES = (
    (SupportOutcome.NO_ONGOING_SUPPORT, 0.56),
    (SupportOutcome.REDUCED_PACKAGE, 0.18),
    (SupportOutcome.SAME_PACKAGE, 0.12),
    (SupportOutcome.INCREASED_PACKAGE, 0.06),
    (SupportOutcome.LONG_TERM_CARE_HOME, 0.05),
    (SupportOutcome.DIED, 0.03),
)
BED_OUTCOMES = (
    (SupportOutcome.NO_ONGOING_SUPPORT, 0.10),
    (SupportOutcome.REDUCED_PACKAGE, 0.22),
    (SupportOutcome.SAME_PACKAGE, 0.25),
    (SupportOutcome.INCREASED_PACKAGE, 0.08),
    (SupportOutcome.LONG_TERM_CARE_HOME, 0.30),
    (SupportOutcome.DIED, 0.05),
)


def support_episodes(
    discharges: Sequence[Discharge], seed: int, end: date
) -> list[SupportEpisodeRecorded]:
    rng = random.Random(seed * 7919 + 19)
    found = []
    for d in sorted(discharges, key=lambda d: d.spell_key):
        if d.died:
            continue
        if d.pathway in ("P1", "P2", "P3"):
            first = _episode(rng, d, end)
            found.append(first)
            found += _long_term_package(rng, d, first, end)
        elif rng.random() < COMMUNITY_REFERRED:
            found += _community_package(rng, d, end)
    return found


# Of the people who went home with no support, those a GP or district nurse later refers for
# home care.
COMMUNITY_REFERRED = 0.03
STAYS_ON = (SupportOutcome.REDUCED_PACKAGE, SupportOutcome.SAME_PACKAGE, SupportOutcome.INCREASED_PACKAGE)  # fmt: skip


def _long_term_package(
    rng: random.Random, d: Discharge, first: SupportEpisodeRecorded, end: date
) -> list[SupportEpisodeRecorded]:
    """After reablement that ends needing care, the review starts a home-care package."""
    if (
        first.kind is not SupportKind.REABLEMENT
        or first.end is None
        or first.outcome not in STAYS_ON
    ):
        return []
    return [_package(rng, d, first.end, Referrer.REVIEW, first.hours_at_end, end, "R")]


def _community_package(rng: random.Random, d: Discharge, end: date) -> list[SupportEpisodeRecorded]:
    start = d.day + timedelta(days=rng.randint(10, 60))
    if start > end:
        return []
    return [_package(rng, d, start, Referrer.COMMUNITY, None, end, "C")]


def _package(
    rng: random.Random,
    d: Discharge,
    start: date,
    referrer: Referrer,
    hours: float | None,
    end: date,
    tag: str,
) -> SupportEpisodeRecorded:
    planned = start + timedelta(days=rng.choice((42, 84, 182)))
    finished = planned + timedelta(days=round(rng.gauss(PAST_PLAN_DAYS[0], 10)))
    ended = finished <= end
    hours_start = hours or float(rng.choice((7, 10, 12, 14)))
    outcome = rng.choice(STAYS_ON) if ended else None
    return SupportEpisodeRecorded(
        episode_id=f"SUP-{tag}-{d.spell_key.replace(':', '-')}",
        spell_key=d.spell_key,
        kind=SupportKind.HOME_CARE,
        provider=rng.choice(HOME_CARE_AGENCIES),
        start=start,
        planned_end=planned,
        end=finished if ended else None,
        hours_at_start=hours_start,
        hours_at_end=_hours_at_end(rng, outcome, hours_start) if outcome else None,
        outcome=outcome,
        referrer=referrer,
    )


def _kind(rng: random.Random, pathway: str) -> SupportKind:
    if pathway == "P1":
        return SupportKind.REABLEMENT if rng.random() < 0.6 else SupportKind.HOME_CARE
    if pathway == "P2":
        return SupportKind.D2A_BED if rng.random() < 0.7 else SupportKind.INTERIM_BED
    return SupportKind.CARE_HOME


def _provider(rng: random.Random, kind: SupportKind, org_code: str) -> str:
    if kind is SupportKind.REABLEMENT:
        return REABLEMENT_TEAMS.get(org_code, "LAR01")
    if kind is SupportKind.HOME_CARE:
        return rng.choice(HOME_CARE_AGENCIES)
    if kind is SupportKind.D2A_BED:
        return D2A_BEDS
    return rng.choice(INTERIM_BEDS if kind is SupportKind.INTERIM_BED else CARE_HOMES)


def _pick(rng: random.Random, weighted: tuple[tuple[SupportOutcome, float], ...]) -> SupportOutcome:
    outcomes = [outcome for outcome, _ in weighted]
    weights = [weight for _, weight in weighted]
    chosen: SupportOutcome = rng.choices(outcomes, weights)[0]
    return chosen


def _episode(rng: random.Random, d: Discharge, end: date) -> SupportEpisodeRecorded:
    assert d.pathway is not None
    kind = _kind(rng, d.pathway)
    start = min(d.day + timedelta(days=rng.choice((0, 0, 0, 1, 2))), end)
    planned = start + timedelta(days=PLANNED_DAYS[kind])
    finished = planned + timedelta(days=round(rng.gauss(*PAST_PLAN_DAYS)))
    finished = max(start + timedelta(days=3), finished)
    home = kind in (SupportKind.REABLEMENT, SupportKind.HOME_CARE)
    outcome = _pick(rng, REABLEMENT_OUTCOMES if home else BED_OUTCOMES)
    if d.readmitted_after is not None and d.day + timedelta(days=d.readmitted_after) < finished:
        finished, outcome = (
            max(start, d.day + timedelta(days=d.readmitted_after)),
            SupportOutcome.READMITTED,
        )
    ended = finished <= end
    hours_start = float(rng.choice((7, 10, 12, 14, 17, 21))) if home else None
    hours_end = None
    if ended and home and hours_start is not None:
        hours_end = _hours_at_end(rng, outcome, hours_start)
    return SupportEpisodeRecorded(
        episode_id=f"SUP-{d.spell_key.replace(':', '-')}",
        spell_key=d.spell_key,
        kind=kind,
        provider=_provider(rng, kind, d.org_code),
        start=start,
        planned_end=planned,
        end=finished if ended else None,
        hours_at_start=hours_start,
        hours_at_end=hours_end,
        outcome=outcome if ended else None,
        at_91_days=_at_91_days(rng, d, kind, outcome if ended else None, end),
    )


def _hours_at_end(rng: random.Random, outcome: SupportOutcome, start: float) -> float | None:
    if outcome is SupportOutcome.NO_ONGOING_SUPPORT:
        return 0.0
    if outcome is SupportOutcome.REDUCED_PACKAGE:
        return max(1.0, start - rng.choice((3, 5, 7)))
    if outcome is SupportOutcome.SAME_PACKAGE:
        return start
    if outcome is SupportOutcome.INCREASED_PACKAGE:
        return min(42.0, start + rng.choice((3, 5, 7)))
    return None


def _at_91_days(
    rng: random.Random, d: Discharge, kind: SupportKind, outcome: SupportOutcome | None, end: date
) -> WhereAt91Days | None:
    """Where the person was at 91 days, once the day has come: councils follow up the people
    they supported (ASCOF 2B(1) asks it of reablement); most reabled are home, fewer of those
    who left to a bed; some moved to care, died or were not traced."""
    if d.day + timedelta(days=91) > end:
        return None
    if outcome is SupportOutcome.DIED:
        return WhereAt91Days.DIED
    if outcome is SupportOutcome.LONG_TERM_CARE_HOME or kind is SupportKind.CARE_HOME:
        return WhereAt91Days.CARE_HOME if rng.random() < 0.8 else WhereAt91Days.DIED
    if d.readmitted_after is not None and d.readmitted_after <= 91 and rng.random() < 0.3:
        return WhereAt91Days.HOSPITAL
    home = {SupportKind.REABLEMENT: 0.93, SupportKind.HOME_CARE: 0.88}.get(kind, 0.62)
    draw = rng.random()
    if draw < home:
        return WhereAt91Days.AT_HOME
    if draw < home + (1 - home) * 0.45:
        return WhereAt91Days.CARE_HOME
    if draw < home + (1 - home) * 0.85:
        return WhereAt91Days.DIED
    return WhereAt91Days.NOT_TRACED


def capacity_returns(
    episodes: Sequence[SupportEpisodeRecorded], seed: int, end: date
) -> list[ProviderCapacityRecorded]:
    """Each provider's returns up to `end`: home care weekly, every Monday, commissioned a
    little above what was in use that day (sometimes not enough), with its carers, hours,
    travel and vacancies; beds daily (as care homes keep the NHS Capacity Tracker), their
    commissioned beds the week's most in use and a few more, the free ones those not in use
    that day, so that in use and vacancies add up to what was commissioned."""
    rng = random.Random(seed * 104_729 + 3)
    by_provider: dict[tuple[str, SupportKind], list[SupportEpisodeRecorded]] = {}
    for episode in episodes:
        by_provider.setdefault((episode.provider, episode.kind), []).append(episode)
    if not episodes:
        return []
    first = min(e.start for e in episodes)
    monday = first - timedelta(days=first.weekday())
    found = []
    while monday <= end:
        for (provider, kind), mine in sorted(by_provider.items()):
            if kind.bedded:
                found += _bed_returns(rng, provider, kind, monday, mine, end)
                continue
            open_now = [e for e in mine if open_on(e, monday)]
            commissioned = max(1, round(len(open_now) * rng.uniform(0.97, 1.15)))
            found.append(_return(rng, provider, kind, monday, commissioned, open_now))
        monday += timedelta(days=7)
    return found


def _bed_returns(
    rng: random.Random,
    provider: str,
    kind: SupportKind,
    monday: date,
    mine: list[SupportEpisodeRecorded],
    end: date,
) -> list[ProviderCapacityRecorded]:
    days = [monday + timedelta(days=n) for n in range(7) if monday + timedelta(days=n) <= end]
    week = [e for e in mine if e.start <= days[-1] and (e.end is None or e.end > monday)]
    in_use = [sum(1 for e in week if open_on(e, day)) for day in days]
    commissioned = max(1, round(max(in_use) * rng.uniform(1.0, 1.12)))
    return [
        ProviderCapacityRecorded(provider, kind, day, commissioned, vacancies=commissioned - n)
        for day, n in zip(days, in_use, strict=True)
    ]


def _return(
    rng: random.Random,
    provider: str,
    kind: SupportKind,
    on: date,
    commissioned: int,
    open_now: list[SupportEpisodeRecorded],
) -> ProviderCapacityRecorded:
    hours = [e.hours_at_start for e in open_now if e.hours_at_start is not None]
    per_package = sum(hours) / len(hours) if hours else 12.0
    travel = round(rng.uniform(0.15, 0.25), 2)
    # Paid hours cover the visits, the travel between them and some slack.
    contracted = round(commissioned * per_package / ((1 - travel) * rng.uniform(0.88, 0.95)), 1)
    carers = max(1, round(contracted / rng.uniform(20, 26)))
    return ProviderCapacityRecorded(
        provider,
        kind,
        on,
        commissioned,
        carers=carers,
        contracted_hours=contracted,
        delivered_hours=round(sum(hours), 1),
        vacancies=round(carers * rng.uniform(0.06, 0.14)),
        travel_share=travel,
        start_delay_days=round(rng.uniform(1, 6), 1),
    )
