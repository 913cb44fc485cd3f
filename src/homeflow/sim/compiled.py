"""A model, a start (today's census or empty with a warm-up) and a horizon, as engine arrays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

import numpy as np
from numba import njit
from scipy import special, stats

from homeflow.domain.errors import InvalidInput
from homeflow.sim import draws, engine
from homeflow.sim.model import MAX_DESTINATIONS, PATHWAYS, Distribution, Model, Service

# The census draws use streams 1 and up, one a group of patients; the waits' level a stream
# above any of those.
WAIT_LEVEL_STREAM = 1 << 20

_FAMILY_CODES = {
    "exponential": engine.EXPONENTIAL,
    "lognormal": engine.LOGNORMAL,
    "gamma": engine.GAMMA,
    "weibull": engine.WEIBULL,
    "empirical": engine.EMPIRICAL,
    "fixed": engine.FIXED,
}


@dataclass(frozen=True, slots=True)
class CensusPatient:
    """One patient in a service on the census day."""

    service: str
    days_in_service: float
    pathway: str | None = None  # set when the patient no longer needs the service (NCTR)
    days_waiting: float = 0.0  # how long they have waited for their pathway


@dataclass(frozen=True, slots=True)
class Census:
    """Who is where at the start of the run: plain values the CLI or web app fetched."""

    day: date
    patients: tuple[CensusPatient, ...]


@dataclass(frozen=True)
class CompiledModel:
    """Everything the engine needs, as arrays; picklable, so it travels to Dask workers."""

    services: tuple[str, ...]
    first_day: date  # the first recorded day
    horizon: int
    record_from: int  # warm-up days simulated before the first recorded day
    start_weekday: int
    capacity_calendar: np.ndarray
    placement_allowance: np.ndarray
    is_placement: np.ndarray
    weekdays_only: np.ndarray
    queue_when_full: np.ndarray
    arrival_rate: np.ndarray
    los_dist: np.ndarray
    wait_dist: np.ndarray
    wait_scale: np.ndarray  # per service, pathway and day: the planned changes' factor
    dist_kind: np.ndarray
    dist_a: np.ndarray
    dist_b: np.ndarray
    emp: np.ndarray
    emp_n: np.ndarray
    nctr_probability: np.ndarray
    mix_cumulative: np.ndarray
    destination: np.ndarray
    destination_cumulative: np.ndarray
    leaving_share: np.ndarray
    ready_share: np.ndarray
    init_service: np.ndarray
    init_t0: np.ndarray
    init_event: np.ndarray
    init_pathway: np.ndarray
    init_residual: tuple[tuple[Distribution | None, float, bool], ...]
    wait_spread: np.ndarray  # each service's `Service.wait_spread`
    cost_occupied: np.ndarray
    cost_capacity: np.ndarray
    cost_start: np.ndarray

    def run(self, seeds: np.ndarray) -> np.ndarray:
        """Figures per replication, day, service and figure, for these replication seeds."""
        return engine.run_replications(  # type: ignore[no-any-return]
            seeds.astype(np.int64),
            self.horizon,
            self.record_from,
            self.start_weekday,
            tuple(getattr(self, name) for name in engine.MODEL_ARRAYS),
            *self.initial_event_times(seeds),
        )

    def wait_factors(self, seeds: np.ndarray) -> np.ndarray:
        """Each replication's factor on each service's waits to leave: lognormal, mean 1, its
        coefficient of variation the service's wait spread (1 where it has none), from a
        generator of the replication's seed of its own (stream WAIT_LEVEL_STREAM)."""
        factors = np.ones((seeds.shape[0], len(self.services)))
        spread = self.wait_spread > 0
        if not spread.any():
            return factors
        sigma = np.sqrt(np.log1p(self.wait_spread[spread] ** 2))
        states = draws.streams(seeds.astype(np.int64), WAIT_LEVEL_STREAM)
        u = draws.uniforms(states, np.full(seeds.shape[0], 1, np.int64), int(spread.sum()))
        normal = special.ndtri(u)  # one standard normal a service a replication
        factors[:, spread] = np.exp(sigma * normal - sigma**2 / 2)
        return factors

    def initial_event_times(self, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """When each census patient's next event falls, drawn per replication from its seed
        (compiled generators: stream 1 of the replication's seed, and a stream a group of
        those whom the weekdays may keep), those waiting to leave at their service's level of
        waits in the replication; and those factors (`wait_factors`)."""
        n = len(self.init_residual)
        times = np.zeros((seeds.shape[0], n))
        factors = self.wait_factors(seeds)
        if not n:
            return times, factors
        seeds = seeds.astype(np.int64)
        states = draws.streams(seeds, 1)
        # Two uniforms per patient per replication.
        u = draws.uniforms(states, np.full(seeds.shape[0], n, np.int64), 2).reshape(-1, n, 2)
        groups: dict[tuple[Distribution, bool], list[int]] = {}
        for i, (dist, _, unknown) in enumerate(self.init_residual):
            if dist is not None:
                groups.setdefault((dist, unknown), []).append(i)
        shares = self._census_shares()
        for group, ((dist, unknown), members) in enumerate(groups.items()):
            idx = np.array(members)
            elapsed = np.array([self.init_residual[i][1] for i in members])
            if unknown:
                values = np.array(dist.values, dtype=float)
                code, size = _FAMILY_CODES[dist.family], len(idx)
                whole = draws.length_biased(states, code, dist.a, dist.b, values, size)
                times[:, idx] = whole * u[:, idx, 1]
            elif (shares[idx] < 1.0).any():
                kept = draws.streams(seeds, 2 + group)
                times[:, idx] = _next_check(dist, elapsed, shares[idx], self.start_weekday, kept)
            else:
                times[:, idx] = _longer_than(dist, elapsed, u[:, idx, 0]) - elapsed
        waiting = self.init_event == 1
        times[:, waiting] *= factors[:, self.init_service[waiting]]
        # Their waits are drawn on the first day, as any planned change stands then.
        first = self.wait_scale[:, :, self.record_from]
        times[:, waiting] *= first[self.init_service[waiting], self.init_pathway[waiting]]
        # Patients already waiting join their queues in order of how long they have waited.
        return times + np.arange(n) * 1e-9, factors

    def _census_shares(self) -> np.ndarray:
        """Per census patient and weekday, the share of those due whom the weekday lets go
        when their stay or wait ends: found ready (`ready_share`) for those not yet ready,
        leaving (`leaving_share`) for those waiting to leave with no service to wait for
        (P0); 1 for those whose wait ends in a queue."""
        shares = np.ones((len(self.init_service), 7))
        for i, (s, event, k) in enumerate(
            zip(self.init_service, self.init_event, self.init_pathway, strict=True)
        ):
            if event == 0:
                shares[i] = self.ready_share[s]
            elif self.destination[s, k, 0] < 0:
                shares[i] = self.leaving_share[s]
        return shares


LOOK_BACK_DAYS = 7  # a stay that ended longer ago and is still kept is too unlikely to draw
MAX_ROUNDS = 200


def _next_check(
    dist: Distribution,
    elapsed: np.ndarray,
    shares: np.ndarray,
    start_weekday: int,
    states: np.ndarray,
) -> np.ndarray:
    """When each census patient's stay (or wait) next comes to an end the engine acts on, per
    replication: from the start, given the patient is still here. Either their stay has not
    ended (it is longer than `elapsed`), or it ended in the last days and the weekday shares
    kept them each day since (a stay ending on a Saturday or Sunday is found on the Monday):
    then the engine's next daily check after the start. Drawn by rejection: a stay longer
    than `elapsed` less the days just before the start that keep some (at most
    LOOK_BACK_DAYS), kept if longer than `elapsed`, or with the chance the weekdays kept it
    through every check before the start. The engine makes that check itself, with its
    share. `states`: a generator per replication (`draws.streams`)."""
    reps, n = states.shape[0], len(elapsed)
    # Only a stay that ended on one of the days just before the start that all keep some
    # can still be here: as many days back as there are.
    back = np.zeros(n)
    keeps = np.ones(n, bool)
    for day in range(1, LOOK_BACK_DAYS + 1):
        keeps &= shares[:, (start_weekday - day) % 7] < 1.0
        back += keeps
    lower = np.maximum(elapsed - back, 0.0)
    times = np.zeros((reps, n))
    # Those not drawn yet, replication by replication.
    rep, who = np.repeat(np.arange(reps), n), np.tile(np.arange(n), reps)
    for _ in range(MAX_ROUNDS):
        if not len(rep):
            break
        u = draws.uniforms(states, np.bincount(rep, minlength=reps), 2)
        ends = _longer_than(dist, lower[who], u[:, 0]) - elapsed[who]  # 0: the start
        after, accept = _after_checks(ends, who, shares, start_weekday, u[:, 1])
        times[rep[accept], who[accept]] = after[accept]
        rep, who = rep[~accept], who[~accept]
    if len(rep):  # none drawn in so many rounds: the stay has not ended
        u = draws.uniforms(states, np.bincount(rep, minlength=reps), 1)[:, 0]
        times[rep, who] = _longer_than(dist, elapsed[who], u) - elapsed[who]
    return times


@njit(cache=True, error_model="numpy")
def _after_checks(ends, who, shares, start_weekday, u):  # type: ignore[no-untyped-def]
    """For stays ending `ends` days after the start (patient `who[i]`): whether each is kept
    (not ended, or by a uniform draw `u` below the chance the weekdays kept it through every
    check since it ended), and when the engine would next act on it (its end, or the first
    check after the start)."""
    after = np.empty(ends.shape[0])
    accept = np.empty(ends.shape[0], np.bool_)
    for i in range(ends.shape[0]):
        end = ends[i]
        if end > 0.0:
            after[i], accept[i] = end, True
            continue
        still = 1.0
        for day in range(LOOK_BACK_DAYS + 1):
            if end + day <= 0.0:
                still *= 1.0 - shares[who[i], (start_weekday + int(np.floor(end + day))) % 7]
        after[i] = end + np.floor(-end) + 1.0  # the first check after the start
        accept[i] = u[i] < still
    return after, accept


@cache
def _frozen(dist: Distribution) -> Any:
    match dist.family:
        case "exponential":
            return stats.expon(scale=dist.a)
        case "lognormal":
            return stats.lognorm(s=dist.b, scale=np.exp(dist.a))
        case "gamma":
            return stats.gamma(a=dist.a, scale=dist.b)
    return stats.weibull_min(c=dist.a, scale=dist.b)


def _longer_than(dist: Distribution, elapsed: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Draws (by inverse survival function) of a stay known to be longer than `elapsed`."""
    if dist.family == "fixed":
        return np.asarray(np.maximum(dist.a, elapsed) + 0 * u, dtype=float)
    if dist.family == "empirical":
        values = np.sort(np.array(dist.values))
        first_longer = np.searchsorted(values, elapsed, side="right")
        left = len(values) - first_longer
        pick = first_longer + np.floor(u * np.maximum(left, 1)).astype(int)
        return np.asarray(
            np.where(left > 0, values[np.minimum(pick, len(values) - 1)], elapsed), dtype=float
        )
    frozen = _frozen(dist)
    tail = frozen.sf(elapsed)
    draws = frozen.isf(u * tail)
    # Beyond the fitted tail (a stay the fit calls impossible) the patient is due to leave now.
    return np.asarray(np.where(tail > 1e-12, np.maximum(draws, elapsed), elapsed), dtype=float)


def _wait_scales(services: Sequence[Service], days: Sequence[date]) -> np.ndarray:
    """Per service, pathway and day, what the planned changes multiply a wait drawn then by."""
    scale = np.ones((len(services), len(PATHWAYS), len(days)))
    for i, s in enumerate(services):
        for k, pathway in enumerate(PATHWAYS):
            if any(c.pathway == pathway for c in s.wait_changes):
                scale[i, k] = [s.wait_factor_on(pathway, day) for day in days]
    return scale


def _calendars(
    services: Sequence[Service], days: Sequence[date]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each service's capacity, placements allowed and arrival rate on each day."""
    n = len(services)
    capacity = np.zeros((n, len(days)), np.int64)
    allowance = np.zeros((n, len(days)))
    rates = np.zeros((n, len(days)))
    for i, s in enumerate(services):
        for d, day in enumerate(days):
            cap = s.capacity_on(day)
            if s.unit == "placements":
                working = 5 if s.transfers == "weekdays" else 7
                open_today = s.transfers == "all" or day.weekday() < 5
                allowance[i, d] = (cap or 0.0) / working if open_today else 0.0
            capacity[i, d] = engine.UNLIMITED if cap is None else round(cap)
            if s.arrivals is not None:
                rates[i, d] = s.arrivals.rate_on(day)
    return capacity, allowance, rates


@dataclass
class _Start:
    """The patients in the services when a run starts, as the engine takes them."""

    service: list[int] = field(default_factory=list)
    t0: list[float] = field(default_factory=list)
    event: list[int] = field(default_factory=list)
    pathway: list[int] = field(default_factory=list)
    residual: list[tuple[Distribution | None, float, bool]] = field(default_factory=list)

    def add(
        self,
        service: int,
        t0: float,
        pathway: int | None,
        residual: tuple[Distribution | None, float, bool],
    ) -> None:
        self.service.append(service)
        self.t0.append(t0)
        self.event.append(0 if pathway is None else 1)
        self.pathway.append(pathway or 0)
        self.residual.append(residual)


def _census_start(census: Census, services: Sequence[Service], index: dict[str, int]) -> _Start:
    """Today's patients (those waiting longest first), and where a service has none in the
    census, its usual occupancy as fresh stays."""
    start = _Start()
    present = set()
    waiting = sorted(
        (p for p in census.patients if p.pathway is not None), key=lambda p: -p.days_waiting
    )
    for p in [*waiting, *(p for p in census.patients if p.pathway is None)]:
        if p.service not in index:
            raise InvalidInput("census.service", f"no service in the model is named {p.service!r}")
        s = services[index[p.service]]
        if s.unit == "placements":
            continue
        present.add(p.service)
        if p.pathway is None:
            residual = (s.length_of_stay, p.days_in_service, False)
            start.add(index[p.service], -p.days_in_service, None, residual)
        else:
            wait = s.pathways[p.pathway].wait if p.pathway in s.pathways else None
            pathway = PATHWAYS.index(p.pathway)
            start.add(index[p.service], -p.days_in_service, pathway, (wait, p.days_waiting, False))
    for i, s in enumerate(services):
        if s.name not in present and s.unit != "placements":
            for _ in range(s.occupied_at_start):
                start.add(i, 0.0, None, (s.length_of_stay, 0.0, True))
    return start


def _destinations(
    services: Sequence[Service], index: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Each service's pathways' services (-1 after the last) and their cumulative shares."""
    shape = (len(services), len(PATHWAYS), MAX_DESTINATIONS)
    destination, cumulative = np.full(shape, -1, np.int64), np.ones(shape)
    for i, s in enumerate(services):
        for k, name in enumerate(PATHWAYS):
            to = s.pathways[name].destinations if name in s.pathways else ()
            for m, (service, _) in enumerate(to):
                destination[i, k, m] = index[service]
            cumulative[i, k, : len(to)] = np.cumsum([share for _, share in to])
    return destination, cumulative


def compile_model(
    model: Model, horizon: int, census: Census | None = None, warmup_days: int | None = None
) -> CompiledModel:
    """Arrays for a run of `horizon` days from the census day, or from the model's start
    after a warm-up from empty when there is no census."""
    if horizon < 1:
        raise InvalidInput("horizon", "must be at least one day")
    warmup = (
        0 if census is not None else (model.warmup_days if warmup_days is None else warmup_days)
    )
    first_day = census.day if census is not None else model.start
    day0 = first_day - timedelta(days=warmup)
    services = model.services
    index = {s.name: i for i, s in enumerate(services)}
    n = len(services)

    dists: list[Distribution] = []

    def dist_id(dist: Distribution | None) -> int:
        if dist is None:
            return -1
        dists.append(dist)
        return len(dists) - 1

    days = [day0 + timedelta(days=d) for d in range(warmup + horizon)]
    capacity, allowance, rates = _calendars(services, days)
    los = np.full(n, -1, np.int64)
    waits = np.full((n, len(PATHWAYS)), -1, np.int64)
    destination, cumulative = _destinations(services, index)
    mix = np.zeros((n, len(PATHWAYS)))
    for i, s in enumerate(services):
        los[i] = dist_id(s.length_of_stay)
        mix[i] = np.cumsum(s.pathway_mix)
        for k, name in enumerate(PATHWAYS):
            pathway = s.pathways.get(name)
            if pathway is not None:
                waits[i, k] = dist_id(pathway.wait)
    start = _census_start(census, services, index) if census is not None else _Start()
    longest = max([len(dist.values) for dist in dists] + [1])
    emp = np.zeros((max(len(dists), 1), longest))
    for j, dist in enumerate(dists):
        emp[j, : len(dist.values)] = dist.values
    return CompiledModel(
        services=tuple(s.name for s in services),
        first_day=first_day,
        horizon=horizon,
        record_from=warmup,
        start_weekday=day0.weekday(),
        capacity_calendar=capacity,
        placement_allowance=allowance,
        is_placement=np.array([s.unit == "placements" for s in services]),
        weekdays_only=np.array([s.transfers == "weekdays" for s in services]),
        queue_when_full=np.array([s.when_full == "queue" for s in services]),
        arrival_rate=rates,
        los_dist=los,
        wait_dist=waits,
        wait_scale=_wait_scales(services, days),
        dist_kind=np.array([_FAMILY_CODES[x.family] for x in dists] or [0], np.int64),
        dist_a=np.array([x.a for x in dists] or [0.0]),
        dist_b=np.array([x.b for x in dists] or [0.0]),
        emp=emp,
        emp_n=np.array([max(len(x.values), 1) for x in dists] or [1], np.int64),
        nctr_probability=np.array([s.nctr_probability for s in services]),
        mix_cumulative=mix,
        destination=destination,
        destination_cumulative=cumulative,
        leaving_share=np.array([s.leaving_weekday for s in services]).reshape(n, 7),
        ready_share=np.array([s.ready_weekday for s in services]).reshape(n, 7),
        init_service=np.array(start.service, np.int64),
        init_t0=np.array(start.t0),
        init_event=np.array(start.event, np.int64),
        init_pathway=np.array(start.pathway, np.int64),
        init_residual=tuple(start.residual),
        wait_spread=np.array([s.wait_spread for s in services]),
        cost_occupied=np.array([s.cost_per_occupied_day for s in services]),
        cost_capacity=np.array([s.cost_per_capacity_day for s in services]),
        cost_start=np.array([s.cost_per_start for s in services]),
    )
