"""The home-care split tree: the hours of care a week people need against the hours the
market can deliver, and each lever's share of the gap.

    packages a week = referrals from hospital x conversion + from the community + from reviews
    needed          = packages a week x (weeks a package + start delay) x hours a package
    deliverable     = posts x share filled x contracted hours a carer x time not travelling
                      x utilisation

Needed hours are those of everyone with a package and everyone waiting for one to start (by
Little's law, packages a week x the start delay). Deliverable hours at today's levers are the
hours delivered. Each lever's share of the gap is its Shapley value in moving from a
*reference* market to today's: the reference takes today's referrals and conversion, the
benchmarks for every other lever, and the posts such a market needs to meet its demand
exactly, so its gap is nought. The shares then add up to today's gap exactly (by construction
of Shapley values), whatever order the levers moved in.

Against the market of an earlier day instead, the shares add up to how far the gap has moved
since then: what drove the change, demand's growth included.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from math import factorial

from homeflow.domain.after_discharge.capacity import (
    ProviderCapacityRecorded,
    latest_returns,
    open_on,
)
from homeflow.domain.after_discharge.records import Referrer, SupportEpisodeRecorded, SupportKind
from homeflow.domain.errors import InvalidInput

DEMAND = "demand"
SUPPLY = "supply"


@dataclass(frozen=True, slots=True)
class Benchmarks:
    """What a well-run market achieves (a system may set its own)."""

    hours_a_package: float = 10.0
    weeks_a_package: float = 4.0
    share_filled: float = 0.95
    contracted_hours_a_carer: float = 25.0
    time_not_travelling: float = 0.85
    utilisation: float = 0.90
    start_delay_days: float = 1.0  # care from the day after discharge (discharge guidance)


@dataclass(frozen=True, slots=True)
class Market:
    """The home-care market as measured: demand by where it comes from, and supply."""

    hospital_referrals: float  # the hospital's referrals to home care a week
    conversion: float  # of the hospital's referrals, the share that became packages
    community_referrals: float  # packages a week the community referred
    review_referrals: float  # packages a week that reviews of earlier support referred
    start_delay_days: float  # from referral to the first visit
    hours_a_package: float
    weeks_a_package: float
    posts: float  # care workers in post and vacant posts
    share_filled: float
    contracted_hours_a_carer: float
    time_not_travelling: float
    utilisation: float

    @property
    def packages_a_week(self) -> float:
        hospital = self.hospital_referrals * self.conversion
        return hospital + self.community_referrals + self.review_referrals

    @property
    def needed_hours(self) -> float:
        weeks = self.weeks_a_package + self.start_delay_days / 7
        return self.packages_a_week * weeks * self.hours_a_package

    @property
    def deliverable_hours(self) -> float:
        return (
            self.posts
            * self.share_filled
            * self.contracted_hours_a_carer
            * self.time_not_travelling
            * self.utilisation
        )

    @property
    def gap(self) -> float:
        return self.needed_hours - self.deliverable_hours


# Each lever: its field, the side of the tree it is on, its name and unit.
LEVERS: tuple[tuple[str, str, str, str], ...] = (
    ("hospital_referrals", DEMAND, "Referrals from hospital", "referrals a week"),
    ("conversion", DEMAND, "Hospital referrals becoming packages", "share"),
    ("community_referrals", DEMAND, "Referrals from the community", "packages a week"),
    ("review_referrals", DEMAND, "Referrals from reviews", "packages a week"),
    ("hours_a_package", DEMAND, "Hours a package", "hours a week"),
    ("weeks_a_package", DEMAND, "Package length", "weeks"),
    ("posts", SUPPLY, "Care workers' posts", "posts"),
    ("share_filled", SUPPLY, "Posts filled", "share"),
    ("contracted_hours_a_carer", SUPPLY, "Contracted hours a carer", "hours a week"),
    ("time_not_travelling", SUPPLY, "Time not travelling", "share"),
    ("utilisation", SUPPLY, "Utilisation of visiting time", "share"),
    ("start_delay_days", SUPPLY, "Start delay", "days"),
)


@dataclass(frozen=True, slots=True)
class Lever:
    field: str
    side: str
    name: str
    unit: str
    actual: float
    reference: float
    hours: float  # its share of the gap, hours a week (positive widens the gap)


@dataclass(frozen=True, slots=True)
class SplitTree:
    needed_hours: float
    deliverable_hours: float
    gap: float
    levers: tuple[Lever, ...]
    reference_gap: float = 0.0  # the gap of the market compared with (nought when balanced)

    @property
    def explained(self) -> float:
        """What the levers' shares add up to: the gap, less the reference's."""
        return self.gap - self.reference_gap


# The demand the balanced market is sized for, taken as measured: these levers have no share
# of the gap against it (only against an earlier day's market).
AS_MEASURED = ("hospital_referrals", "conversion", "community_referrals", "review_referrals")


def reference_market(market: Market, benchmarks: Benchmarks) -> Market:
    """Today's referrals and conversion, every other lever at its benchmark, and the posts
    that meet that demand exactly."""
    balanced = replace(
        market,
        start_delay_days=benchmarks.start_delay_days,
        hours_a_package=benchmarks.hours_a_package,
        weeks_a_package=benchmarks.weeks_a_package,
        share_filled=benchmarks.share_filled,
        contracted_hours_a_carer=benchmarks.contracted_hours_a_carer,
        time_not_travelling=benchmarks.time_not_travelling,
        utilisation=benchmarks.utilisation,
        posts=1.0,
    )
    return replace(balanced, posts=balanced.needed_hours / balanced.deliverable_hours)


def shapley(fields: Sequence[str], value: Callable[[frozenset[str]], float]) -> dict[str, float]:
    """Each field's Shapley value of the game `value` (a set of fields moved to today's)."""
    n = len(fields)
    weights = [factorial(k) * factorial(n - k - 1) / factorial(n) for k in range(n)]
    # Each subset's value once, by the bits of the fields it moves: with twelve levers the
    # subsets are 4,096 and each field's sum runs over 2,048 of them.
    values = [
        value(frozenset(f for i, f in enumerate(fields) if mask >> i & 1)) for mask in range(1 << n)
    ]
    found = {}
    for i, field in enumerate(fields):
        bit = 1 << i
        found[field] = sum(
            weights[mask.bit_count()] * (values[mask | bit] - values[mask])
            for mask in range(1 << n)
            if not mask & bit
        )
    return found


def split_tree(
    market: Market, benchmarks: Benchmarks = Benchmarks(), against: Market | None = None
) -> SplitTree:
    """Each lever's share of the gap against the balanced reference market, or of the change
    in the gap since the market `against`."""
    reference = against or reference_market(market, benchmarks)
    fields = [f for f, *_ in LEVERS]

    def gap_with(moved: frozenset[str]) -> float:
        values = {f: getattr(market if f in moved else reference, f) for f in fields}
        return Market(**values).gap

    shares = shapley(fields, gap_with)
    levers = tuple(
        Lever(f, side, name, unit, getattr(market, f), getattr(reference, f), shares[f])
        for f, side, name, unit in LEVERS
    )
    return SplitTree(
        market.needed_hours, market.deliverable_hours, market.gap, levers, reference.gap
    )


def shown(hours: Mapping[str, float], total: float) -> dict[str, float]:
    """Hours to one decimal that still add up to the total shown (largest remainders)."""
    tenths = {k: v * 10 for k, v in hours.items()}
    floored = {k: int(v // 1) for k, v in tenths.items()}
    left = round(round(total, 1) * 10) - sum(floored.values())
    order = sorted(tenths, key=lambda k: tenths[k] - floored[k], reverse=True)
    for k in order[: max(0, left)]:
        floored[k] += 1
    return {k: v / 10 for k, v in floored.items()}


@dataclass(frozen=True, slots=True)
class Demand:
    """The home-care episodes and referrals the demand's levers are measured on."""

    started: tuple[SupportEpisodeRecorded, ...]  # packages started in the window
    lost: tuple[str, ...]  # stays referred to home care, since discharged, with no package
    open_now: tuple[SupportEpisodeRecorded, ...]  # packages open on the day

    def behind(self) -> dict[str, tuple[str, ...]]:
        """For each demand lever measured on people, the episodes (or, for referrals that
        came to nothing, the stays) it counts."""
        by_source = {
            r: tuple(e.episode_id for e in self.started if e.referrer is r) for r in Referrer
        }
        referrals = by_source[Referrer.HOSPITAL] + self.lost
        return {
            "hospital_referrals": referrals,
            "conversion": referrals,
            "community_referrals": by_source[Referrer.COMMUNITY],
            "review_referrals": by_source[Referrer.REVIEW],
            "hours_a_package": tuple(
                e.episode_id for e in self.started if e.hours_at_start is not None
            ),
            "weeks_a_package": tuple(e.episode_id for e in self.open_now),
        }


def home_care_demand(
    day: date, episodes: Sequence[SupportEpisodeRecorded], referred: Collection[str], weeks: int
) -> Demand:
    """The packages started in the `weeks` before `day` and open on it, and the hospital's
    referrals to home care in those weeks that came to nothing (`referred`: the stays
    referred, since discharged)."""
    first = day - timedelta(weeks=weeks)
    home_care = [e for e in episodes if e.kind is SupportKind.HOME_CARE and e.start <= day]
    with_package = {e.spell_key for e in home_care}
    return Demand(
        started=tuple(e for e in home_care if first < e.start),
        lost=tuple(sorted(key for key in set(referred) if key not in with_package)),
        open_now=tuple(e for e in home_care if open_on(e, day)),
    )


def measure_market(
    day: date,
    episodes: Sequence[SupportEpisodeRecorded],
    returns: Iterable[ProviderCapacityRecorded],
    waiting: int,
    referred: Collection[str] = (),
    weeks: int = 8,
) -> Market:
    """The home-care market on `day`: demand from the packages started in the `weeks` before
    it (by referrer), their hours and length, and the hospital's referrals to home care in
    those weeks; supply from each agency's newest return. The start delay is the agencies'
    own, weighted by the hours they deliver; where none returns it, the `waiting` people over
    the packages a week (Little's law)."""
    demand = home_care_demand(day, episodes, referred, weeks)
    if not demand.started:
        raise InvalidInput("date", f"no home-care package started in the {weeks} weeks before it")
    by_source = {r: sum(e.referrer is r for e in demand.started) / weeks for r in Referrer}
    from_hospital = by_source[Referrer.HOSPITAL]
    lost = len(demand.lost) / weeks
    hours = [e.hours_at_start for e in demand.started if e.hours_at_start is not None]
    packages = len(demand.started) / weeks
    agencies = [
        r for (_, kind), r in latest_returns(returns, day).items() if kind is SupportKind.HOME_CARE
    ]
    return Market(
        hospital_referrals=from_hospital + lost,
        conversion=from_hospital / (from_hospital + lost) if from_hospital + lost else 1.0,
        community_referrals=by_source[Referrer.COMMUNITY],
        review_referrals=by_source[Referrer.REVIEW],
        start_delay_days=_start_delay(agencies, waiting / packages * 7),
        hours_a_package=sum(hours) / len(hours) if hours else 0.0,
        # Package length by Little's law: packages open now over packages started a week.
        # (The lengths of the packages that ended lately would leave out the long ones still
        # open.)
        weeks_a_package=len(demand.open_now) / packages,
        **_supply(agencies),
    )


def _start_delay(agencies: Sequence[ProviderCapacityRecorded], otherwise: float) -> float:
    told = [r for r in agencies if r.start_delay_days is not None]
    weight = sum(r.delivered_hours or 0.0 for r in told)
    if not told or not weight:
        return otherwise
    return sum((r.start_delay_days or 0.0) * (r.delivered_hours or 0.0) for r in told) / weight


def _supply(agencies: Sequence[ProviderCapacityRecorded]) -> dict[str, float]:
    carers = sum(r.carers or 0 for r in agencies)
    vacancies = sum(r.vacancies or 0 for r in agencies)
    contracted = sum(r.contracted_hours or 0.0 for r in agencies)
    delivered = sum(r.delivered_hours or 0.0 for r in agencies)
    if not carers or not contracted:
        raise InvalidInput("capacity", "no home-care agency has returned its carers and hours")
    travel = sum((r.travel_share or 0.0) * (r.contracted_hours or 0.0) for r in agencies)
    not_travelling = 1 - travel / contracted
    return {
        "posts": float(carers + vacancies),
        "share_filled": carers / (carers + vacancies),
        "contracted_hours_a_carer": contracted / carers,
        "time_not_travelling": not_travelling,
        "utilisation": delivered / (contracted * not_travelling),
    }


# How far each lever is moved to ask the capacity model what it would save: a stated amount,
# as a fraction of today's value (`scale`) or in the lever's own unit (`add`).
MOVES: dict[str, tuple[str, float]] = {
    "hospital_referrals": ("scale", -0.10),
    "conversion": ("add", -0.05),
    "community_referrals": ("scale", -0.10),
    "review_referrals": ("scale", -0.10),
    "hours_a_package": ("add", -1.0),
    "weeks_a_package": ("add", -0.5),
    "posts": ("scale", 0.05),
    "share_filled": ("add", 0.05),
    "contracted_hours_a_carer": ("add", 2.0),
    "time_not_travelling": ("add", 0.05),
    "utilisation": ("add", 0.05),
    "start_delay_days": ("add", -1.0),
}
SHARES = ("conversion", "share_filled", "time_not_travelling", "utilisation")


def moved(market: Market, field: str, how: str, amount: float) -> Market:
    """The market with one lever moved (a share never beyond 1, nothing below 0)."""
    now = float(getattr(market, field))
    value = now * (1 + amount) if how == "scale" else now + amount
    top = 1.0 if field in SHARES else float("inf")
    return replace(market, **{field: min(top, max(0.0, value))})


def move_text(field: str, how: str, amount: float) -> str:
    """A lever's move as people read it: "−10%", "+5 points", "−1 hour a week", "−0.5 weeks"."""
    if how == "scale":
        text = f"{amount:+.0%}"
    elif (unit := next(u for f, _, _, u in LEVERS if f == field)) == "share":
        text = f"{amount * 100:+.0f} points"
    else:
        one = unit.replace("hours", "hour").replace("days", "day")
        text = f"{amount:+g} {one if abs(amount) == 1 else unit}"
    return text.replace("-", "−")
