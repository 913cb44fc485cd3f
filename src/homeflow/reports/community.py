"""Community teams' measures, week by week: caseload flow, how people leave, and whether plans,
carers, contacts and peer reviews are as the trust wants them. Each value keeps the episodes
behind it, so a figure opens to its people."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from homeflow.domain.clock import format_day
from homeflow.domain.community.caseload import Caseloads, Episode
from homeflow.domain.events import DayColour
from homeflow.reports.spc import Better


@dataclass(frozen=True, slots=True)
class WeekValue:
    week_start: date
    value: float | None
    numerator: float
    denominator: float | None
    # What was counted, one entry each: the episode and, where it is not the episode itself,
    # which contact or review.
    counted: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class CommunityMeasure:
    name: str
    description: str
    better: Better | None  # None: neither direction is better (a count of work)
    compute: Callable[[Caseloads, list[Episode], date, date, date], WeekValue]


def _share(week: date, hits: Iterable[Episode], of: Iterable[Episode]) -> WeekValue:
    hit_ids = tuple(sorted({e.episode_id for e in hits}))
    all_ids = {e.episode_id for e in of}
    value = 100.0 * len(hit_ids) / len(all_ids) if all_ids else None
    return WeekValue(week, value, len(hit_ids), len(all_ids), tuple((i, "") for i in hit_ids))


def _count(week: date, episodes: Iterable[Episode]) -> WeekValue:
    ids = tuple(sorted({e.episode_id for e in episodes}))
    return WeekValue(week, float(len(ids)), len(ids), None, tuple((i, "") for i in ids))


def _open_at(episodes: list[Episode], day: date, today: date) -> list[Episode]:
    def still_open(e: Episode) -> bool:
        closed = e.closed_on(today)
        return e.opened.opened_on <= day and (closed is None or closed > day)

    return [e for e in episodes if still_open(e)]


def _closed_in(episodes: list[Episode], first: date, last: date, today: date) -> list[Episode]:
    return [e for e in episodes if first <= (e.closed_on(today) or date.max) <= last]


def referrals_in(
    c: Caseloads, eps: list[Episode], first: date, last: date, today: date
) -> WeekValue:
    return _count(first, [e for e in eps if first <= e.opened.referral_received <= last])


def episodes_closed(
    c: Caseloads, eps: list[Episode], first: date, last: date, today: date
) -> WeekValue:
    return _count(first, _closed_in(eps, first, last, today))


def episode_length(
    c: Caseloads, eps: list[Episode], first: date, last: date, today: date
) -> WeekValue:
    closed = _closed_in(eps, first, last, today)
    days = [((e.closed_on(today) or today) - e.opened.opened_on).days for e in closed]
    counted = tuple(sorted((e.episode_id, f"{d} days") for e, d in zip(closed, days, strict=True)))
    return WeekValue(first, float(median(days)) if days else None, sum(days), len(days), counted)


def through_check_in(
    c: Caseloads, eps: list[Episode], first: date, last: date, today: date
) -> WeekValue:
    closed = _closed_in(eps, first, last, today)
    return _share(first, [e for e in closed if e.through_check_in(today)], closed)


def reaccess_90(
    c: Caseloads, eps: list[Episode], first: date, last: date, today: date
) -> WeekValue:
    closed = _closed_in(eps, first, last, today)
    return _share(first, [e for e in closed if c.re_referred(e, today)], closed)


def agreed_plans(
    c: Caseloads, eps: list[Episode], first: date, last: date, today: date
) -> WeekValue:
    open_ = _open_at(eps, last, today)
    return _share(first, [e for e in open_ if e.plan_has_agreed_goals(last)], open_)


def carers_identified(
    c: Caseloads, eps: list[Episode], first: date, last: date, today: date
) -> WeekValue:
    open_ = _open_at(eps, last, today)
    return _share(
        first, [e for e in open_ if any(x.recorded_on <= last for x in e.carers.values())], open_
    )


def carers_assessed(
    c: Caseloads, eps: list[Episode], first: date, last: date, today: date
) -> WeekValue:
    with_carers = [
        e
        for e in _open_at(eps, last, today)
        if any(x.recorded_on <= last for x in e.carers.values())
    ]
    assessed = [
        e
        for e in with_carers
        if any(x.assessment.value in ("done", "declined") for x in e.carers.values())
    ]
    return _share(first, assessed, with_carers)


def red_contacts(
    c: Caseloads, eps: list[Episode], first: date, last: date, today: date
) -> WeekValue:
    contacts = [(e, x) for e in eps for x in e.contacts.values() if first <= x.on <= last]
    red = [(e, x) for e, x in contacts if x.colour is DayColour.RED]
    value = 100.0 * len(red) / len(contacts) if contacts else None
    counted = tuple(sorted((e.episode_id, f"{format_day(x.on)}: {x.red_reason}") for e, x in red))
    return WeekValue(first, value, len(red), len(contacts), counted)


def reviews_on_time(
    c: Caseloads, eps: list[Episode], first: date, last: date, today: date
) -> WeekValue:
    due = [(e, r) for e in eps for r in c.reviews_due(e, today) if first <= r.due <= last < today]
    on_time = [(e, r) for e, r in due if r.on_time]
    value = 100.0 * len(on_time) / len(due) if due else None
    counted = tuple(
        sorted((e.episode_id, f"{r.milestone} due {format_day(r.due)}") for e, r in on_time)
    )
    return WeekValue(first, value, len(on_time), len(due), counted)


MEASURES = {
    m.name: m
    for m in (
        CommunityMeasure("community-referrals", "referrals to community teams", None, referrals_in),
        CommunityMeasure("community-closed", "episodes of care closed", None, episodes_closed),
        CommunityMeasure(
            "community-episode-days",
            "median length of closed episodes (days)",
            None,
            episode_length,
        ),
        CommunityMeasure(
            "community-check-in-pct",
            "% of closed episodes ended through check-in",
            Better.HIGHER,
            through_check_in,
        ),
        CommunityMeasure(
            "community-reaccess-90-pct",
            "% of closed episodes re-referred within 90 days",
            Better.LOWER,
            reaccess_90,
        ),
        CommunityMeasure(
            "community-agreed-plans-pct",
            "% of open episodes with an agreed plan and goals",
            Better.HIGHER,
            agreed_plans,
        ),
        CommunityMeasure(
            "community-carers-pct",
            "% of open episodes with a carer identified",
            Better.HIGHER,
            carers_identified,
        ),
        CommunityMeasure(
            "community-carers-assessed-pct",
            "% of episodes with carers whose carer's assessment is done or declined",
            Better.HIGHER,
            carers_assessed,
        ),
        CommunityMeasure(
            "community-red-contacts-pct", "% of contacts rated red", Better.LOWER, red_contacts
        ),
        CommunityMeasure(
            "community-reviews-on-time-pct",
            "% of peer reviews held on time",
            Better.HIGHER,
            reviews_on_time,
        ),
    )
}


def weekly(
    caseloads: Caseloads,
    episodes: list[Episode],
    measure: str,
    first: date,
    last: date,
    today: date,
) -> list[WeekValue]:
    """The measure for each whole week (Monday to Sunday) from `first`'s week to `last`'s."""
    compute = MEASURES[measure].compute
    start = first - timedelta(days=first.weekday())
    weeks = []
    while start + timedelta(days=6) <= last:
        weeks.append(compute(caseloads, episodes, start, start + timedelta(days=6), today))
        start += timedelta(weeks=1)
    return weeks
