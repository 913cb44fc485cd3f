"""The simulation kernel: a discrete-event loop compiled by numba, replications run in parallel.

The kernel sees only arrays (a model compiled by `homeflow.sim.compiled`), so it can run in this
process, in a Dask worker or in a test, and one replication's results depend only on its seed.

Time is in days from the first simulated day. Each day: capacities and placement allowances are
set from the calendars, then events are taken in time order until midnight, when the day's
figures are recorded. External arrivals come at exponential spacings at that day's rate (a
Poisson process with a rate constant through the day; each service's next drawn when one
arrives), merged with the patients' own events, which are kept in a calendar: a bucket for
each day, its events in the order filed, sorted when the day starts (counted into 1/128s of the
day, then put right within each: time order, ties in the order filed), so the next is the next
row. A patient who finishes service becomes ready to leave (or, with the service's ready share
of that weekday, is found ready the next day); with the service's NCTR probability they need a
pathway, wait the pathway's assessment time (scaled by any change planned for that day), then
join the FIFO queue of the pathway's downstream service while keeping their bed (blocking after
service). Every day they keep it is a delayed bed-day. A patient due to leave a bed that they
no longer need (their pathway needs no service, or its service takes them) leaves then with the
service's leaving share of that weekday, else is kept to the same time the next day (fewer
leave at the weekend).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from homeflow.sim.draws import EMPIRICAL as EMPIRICAL  # the families, for homeflow.sim.compiled
from homeflow.sim.draws import EXPONENTIAL as EXPONENTIAL
from homeflow.sim.draws import FIXED as FIXED
from homeflow.sim.draws import GAMMA as GAMMA
from homeflow.sim.draws import LOGNORMAL as LOGNORMAL
from homeflow.sim.draws import STATE, draw, exponential, seed, uniform
from homeflow.sim.draws import WEIBULL as WEIBULL

# Figures recorded per replication, day and service.
OCCUPANCY = 0  # patients in the service at midnight ending the day
BED_DAYS = 1  # occupied bed-days (or package-days) in the day
NCTR = 2  # patients at midnight who no longer need this service but are still in it
NCTR_P0 = 3  # NCTR_P0 + k: those waiting for pathway k
DELAYED_BED_DAYS = 7  # days spent in the service by patients who no longer need it
QUEUE = 8  # new arrivals at midnight waiting for a bed in this service
WAITING_FOR = 9  # patients elsewhere at midnight waiting to start this service
TURNED_AWAY = 10  # arrivals refused because the service was full
ADMISSIONS = 11  # patients starting the service (placements: placements made)
DEPARTURES = 12  # patients leaving the service
SOJOURN_DAYS = 13  # total time in the service of those who left today
WAIT_DAYS = 14  # total wait before starting, of those who started today
CAPACITY = 15  # beds or packages that day (placements: placements allowed that day)
FIGURES = 16
PATHWAYS = 4

UNLIMITED = 1 << 40

# The arrays a compiled model hands the engine, in order (homeflow.sim.compiled).
MODEL_ARRAYS = (
    "capacity_calendar",
    "placement_allowance",
    "is_placement",
    "weekdays_only",
    "queue_when_full",
    "arrival_rate",
    "los_dist",
    "wait_dist",
    "wait_scale",
    "dist_kind",
    "dist_a",
    "dist_b",
    "emp",
    "emp_n",
    "nctr_probability",
    "mix_cumulative",
    "destination",
    "destination_cumulative",
    "leaving_share",
    "ready_share",
    "init_service",
    "init_t0",
    "init_event",
    "init_pathway",
)

_READY = 0  # finished service: decide whether a pathway is needed
_TRANSFER_READY = 1  # pathway assessment done: join the downstream queue
_LEAVING = 8  # kept a day after they were due to leave: leave now or be kept another day

_SUBSLOTS = 128  # a day's events are sorted by counting into this many parts of the day first
_ROOM = 256  # events a day first has room for (with the census patients' busiest day's)


@njit(cache=True, error_model="numpy", inline="always")
def _kept(rng, share):  # type: ignore[no-untyped-def]
    """Whether a patient due to leave today is kept to the next day (share: those who go)."""
    return share < 1.0 and uniform(rng) >= share


# The calendar: a bucket for each day, whose rows (when, since when the patient has been in the
# service, and what happens: service, pathway and kind packed in one number) are filed in any
# order, and today's events, sorted when the day starts (by time, ties in the order they were
# filed), which an event for later today joins in its place. An event on or after the last
# day's midnight goes to a bucket that is never read.
@njit(cache=True, error_model="numpy")
def _file(bucket, filed, t, what, since):  # type: ignore[no-untyped-def]
    """File an event in its day's bucket; False if the bucket was full (then the replication is
    run again with more room). (Written without a branch: numba then counts no references to
    the arrays.)"""
    last = filed.shape[0] - 1
    room = bucket.shape[1]
    day = int(min(max(t, 0.0), float(last)))
    count = filed[day]
    row = min(count, room - 1)
    bucket[day, row, 0] = t
    bucket[day, row, 1] = since
    bucket[day, row, 2] = what
    filed[day] = count + (day < last)
    return count < room


@njit(cache=True, error_model="numpy")
def _schedule(when, what, since, day_end, bucket, filed, today, n):  # type: ignore[no-untyped-def]
    """File an event: one before midnight goes at the end of today's n events (the loop puts it
    in its place), a later one in its day's bucket. Today's new count, and whether there was
    room. (Without a branch, as _file.)"""
    later = when >= day_end
    row = min(n, today.shape[0] - 1)
    today[row, 0] = when
    today[row, 1] = since
    today[row, 2] = what
    # An event for today goes to the bucket that is never read as well.
    filed_ok = _file(bucket, filed, when if later else np.inf, what, since)
    return n + 1 - later, filed_ok & (later | (n < today.shape[0]))


@njit(cache=True, error_model="numpy")
def _sort_day(bucket, n, d, today, counts):  # type: ignore[no-untyped-def]
    """Today's n events from their bucket into `today` in time order (ties in the order filed):
    counted into parts of the day, then each put right within its part."""
    counts[:] = 0
    start = float(d)
    for i in range(n):
        part = min(max(int((bucket[d, i, 0] - start) * _SUBSLOTS), 0), _SUBSLOTS - 1)
        counts[part + 1] += 1
    for p in range(_SUBSLOTS):
        counts[p + 1] += counts[p]
    for i in range(n):
        part = min(max(int((bucket[d, i, 0] - start) * _SUBSLOTS), 0), _SUBSLOTS - 1)
        j = counts[part]
        counts[part] = j + 1
        today[j, 0] = bucket[d, i, 0]
        today[j, 1] = bucket[d, i, 1]
        today[j, 2] = bucket[d, i, 2]
    _settle(today, 0, 1, n)


@njit(cache=True, error_model="numpy")
def _settle(today, first, unsorted, n):  # type: ignore[no-untyped-def]
    """Put each of today's events from `unsorted` to n in its place among those from `first`,
    in time order after those at the same time or earlier (insertion sort: few move)."""
    for i in range(unsorted, n):
        t = today[i, 0]
        since = today[i, 1]
        what = today[i, 2]
        j = i
        while j > first and today[j - 1, 0] > t:
            today[j, 0] = today[j - 1, 0]
            today[j, 1] = today[j - 1, 1]
            today[j, 2] = today[j - 1, 2]
            j -= 1
        today[j, 0] = t
        today[j, 1] = since
        today[j, 2] = what


@njit(cache=True, error_model="numpy")
def _looked_up(x, i, kind, emp):  # type: ignore[no-untyped-def]
    """Distribution i's draw x, or for an empirical distribution the value x picks."""
    empirical = kind[i] == EMPIRICAL
    value = emp[i, int(x if empirical else 0.0)]
    return value if empirical else x


@njit(cache=True, error_model="numpy")
def _count_change(counts, area, last, s, t, change):  # type: ignore[no-untyped-def]
    """Change a service's count at time t, first adding the time at the old count to its area."""
    area[s] += counts[s] * (t - last[s])
    last[s] = t
    counts[s] += change


@njit(cache=True, error_model="numpy")
def _leave(s, t, t_in, occ, area_occ, last_occ, day):  # type: ignore[no-untyped-def]
    _count_change(occ, area_occ, last_occ, s, t, -1)
    day[s, DEPARTURES] += 1.0
    day[s, SOJOURN_DAYS] += t - t_in


@njit(cache=True, error_model="numpy")
def _stop_waiting(s, k, t, nctr, nctr_k, area_nctr, last_nctr):  # type: ignore[no-untyped-def]
    _count_change(nctr, area_nctr, last_nctr, s, t, -1)
    nctr_k[s, k] -= 1


@njit(cache=True, error_model="numpy")
def _wake(s, in_work, work, wn):  # type: ignore[no-untyped-def]
    """Put a service on the list of those that may now take someone; the list's new length.
    (Without a branch: numba then counts no references to the arrays.)"""
    work[wn] = s
    added = 1 - in_work[s]
    in_work[s] = True
    return wn + added


@njit(cache=True, error_model="numpy")
def _freed(s, in_work, work, wn, q_size, x_size):  # type: ignore[no-untyped-def]
    """A bed or place in service s has come free: wake s if anyone is waiting for it."""
    waiting = q_size[s] + x_size[s] > 0
    work[wn] = s
    added = waiting & (not in_work[s])
    in_work[s] = in_work[s] | waiting
    return wn + added


@njit(cache=True, error_model="numpy", inline="always")
def _destination(rng, destination, cumulative, s, k):  # type: ignore[no-untyped-def]
    """The service pathway k of service s takes this patient to (-1: none): its only one, or
    one drawn by the services' shares (a draw only then, so a model without shares runs as
    before)."""
    last = destination.shape[2] - 1
    if destination[s, k, 1] < 0:
        return destination[s, k, 0]
    u = uniform(rng)
    m = 0
    while m < last and destination[s, k, m + 1] >= 0 and u >= cumulative[s, k, m]:
        m += 1
    return destination[s, k, m]


@njit(cache=True, error_model="numpy", inline="always")
def _next_arrival(rng, rate, t, day_end):  # type: ignore[no-untyped-def]
    """When a service's next external arrival falls, after t; infinity if not before midnight."""
    if rate <= 0.0:
        return np.inf
    when = t + exponential(rng) / rate
    return when if when < day_end else np.inf


@njit(cache=True, error_model="numpy")
def _soonest(arrive_at, sources):  # type: ignore[no-untyped-def]
    """The service whose external arrival comes first (-1 if none comes today)."""
    first = -1
    soonest = np.inf
    for i in range(sources.shape[0]):
        s = sources[i]
        if arrive_at[s] < soonest:
            first = s
            soonest = arrive_at[s]
    return first


# No array is made or replaced inside the loop (numba would count references to it on every
# event): a replication that outgrows its calendar or queues stops, and is run again from its
# seed with twice the room.
@njit(cache=True, nogil=True, error_model="numpy")
def _replication(  # type: ignore[no-untyped-def]
    seed_value, out, record_from, start_weekday, model, init_time, wait_factor, bucket, rng
):
    """Run one replication into `out` (day, service, figure), drawing from `rng` (a STATE
    record), with `bucket` for the calendar's days (day, row; when, since, what), each
    service's waits to leave scaled by its `wait_factor` (this replication's level of them);
    False if a day's events outgrew its rows or a queue outgrew twice as many."""
    (
        capacity_calendar,
        placement_allowance,
        is_placement,
        weekdays_only,
        queue_when_full,
        arrival_rate,
        los_dist,
        wait_dist,
        wait_scale,
        dist_kind,
        dist_a,
        dist_b,
        emp,
        emp_n,
        nctr_probability,
        mix_cumulative,
        destination,
        destination_cumulative,
        leaving_share,
        ready_share,
        init_service,
        init_t0,
        init_event,
        init_pathway,
    ) = model
    seed(rng, seed_value)
    n_services, n_days = capacity_calendar.shape
    occ = np.zeros(n_services, np.int64)
    nctr = np.zeros(n_services, np.int64)
    nctr_k = np.zeros((n_services, PATHWAYS), np.int64)
    cap = np.zeros(n_services, np.int64)
    budget = np.zeros(n_services)
    area_occ = np.zeros(n_services)
    area_nctr = np.zeros(n_services)
    last_occ = np.zeros(n_services)
    last_nctr = np.zeros(n_services)
    day = np.zeros((n_services, FIGURES))

    room = bucket.shape[1]
    filed = np.zeros(n_days + 1, np.int64)
    today = np.empty((2 * room, 3))
    counts = np.empty(_SUBSLOTS + 1, np.int64)
    ok = True  # every event filed had room

    # Patients waiting to start a service, FIFO: where they are, their pathway, since when.
    width = 2 * room
    q_origin = np.empty((n_services, width), np.int64)
    q_path = np.empty((n_services, width), np.int64)
    q_t0 = np.empty((n_services, width))
    q_joined = np.empty((n_services, width))
    q_head = np.zeros(n_services, np.int64)
    q_size = np.zeros(n_services, np.int64)
    x_arrived = np.empty((n_services, width))
    x_head = np.zeros(n_services, np.int64)
    x_size = np.zeros(n_services, np.int64)

    sources = np.flatnonzero(arrival_rate.sum(axis=1) > 0.0)
    arrive_at = np.full(n_services, np.inf)

    work = np.empty(n_services + 1, np.int64)
    in_work = np.zeros(n_services, np.bool_)
    wn = 0

    for i in range(init_service.shape[0]):
        s = init_service[i]
        occ[s] += 1
        if init_event[i] == _TRANSFER_READY:
            nctr[s] += 1
            nctr_k[s, init_pathway[i]] += 1
        what = (s << 4) | (init_pathway[i] << 1) | init_event[i]
        ok &= _file(bucket, filed, init_time[i], what, init_t0[i])
    if not ok:
        return False

    for d in range(n_days):
        weekday = (start_weekday + d) % 7
        t = float(d)
        day_end = t + 1.0
        n_today = filed[d]
        _sort_day(bucket, n_today, d, today, counts)
        first = 0  # today's next event
        in_order = n_today  # today's events filed today from here on are yet to be put in order
        for s in range(n_services):
            cap[s] = capacity_calendar[s, d]
            if is_placement[s]:
                # Whole placements unused by midnight are gone; a part-placement carries over.
                budget[s] = budget[s] - np.floor(budget[s]) + placement_allowance[s, d]
            wn = _wake(s, in_work, work, wn)
        for i in range(sources.shape[0]):
            s = sources[i]
            arrive_at[s] = _next_arrival(rng, arrival_rate[s, d], t, day_end)
        arriving = _soonest(arrive_at, sources)

        while True:
            # Let every service that may have room take whoever is waiting for it.
            while wn > 0:
                wn -= 1
                s = work[wn]
                in_work[s] = False
                while True:
                    if not ok:
                        return False
                    from_queue = q_size[s] > 0
                    if is_placement[s]:
                        if not from_queue or budget[s] < 1.0:
                            break
                        budget[s] -= 1.0
                    elif occ[s] >= cap[s]:
                        break
                    elif from_queue and not (weekdays_only[s] and weekday >= 5):
                        pass
                    elif x_size[s] > 0:
                        from_queue = False
                    else:
                        break
                    if from_queue:
                        h = q_head[s]
                        o = q_origin[s, h]
                        k = q_path[s, h]
                        day[s, WAIT_DAYS] += t - q_joined[s, h]
                        t_origin = q_t0[s, h]
                        q_head[s] = (h + 1) % width
                        q_size[s] -= 1
                        # The patient leaves the bed they were kept in (or does tomorrow).
                        if _kept(rng, leaving_share[o, weekday]):
                            what = (o << 4) | _LEAVING | (k << 1) | _TRANSFER_READY
                            ok &= _file(bucket, filed, t + 1.0, what, t_origin)
                        else:
                            _stop_waiting(o, k, t, nctr, nctr_k, area_nctr, last_nctr)
                            _leave(o, t, t_origin, occ, area_occ, last_occ, day)
                            wn = _freed(o, in_work, work, wn, q_size, x_size)
                    else:
                        h = x_head[s]
                        day[s, WAIT_DAYS] += t - x_arrived[s, h]
                        x_head[s] = (h + 1) % width
                        x_size[s] -= 1
                    day[s, ADMISSIONS] += 1.0
                    if is_placement[s]:
                        day[s, DEPARTURES] += 1.0
                        continue
                    _count_change(occ, area_occ, last_occ, s, t, 1)
                    i = los_dist[s]
                    stay = draw(rng, dist_kind[i], dist_a[i], dist_b[i], emp_n[i])
                    stay = _looked_up(stay, i, dist_kind, emp)
                    n_today, filed_ok = _schedule(
                        t + stay, (s << 4) | _READY, t, day_end, bucket, filed, today, n_today
                    )
                    ok &= filed_ok

            if not ok:
                return False
            if in_order < n_today:
                _settle(today, first, in_order, n_today)
                in_order = n_today
            next_event = today[first, 0] if first < n_today else np.inf
            next_arrival = arrive_at[arriving] if arriving >= 0 else np.inf
            if next_event >= day_end and next_arrival >= day_end:
                break
            if next_arrival <= next_event:
                t = next_arrival
                s = arriving
                arrive_at[s] = _next_arrival(rng, arrival_rate[s, d], t, day_end)
                arriving = _soonest(arrive_at, sources)
                if occ[s] < cap[s] and x_size[s] + q_size[s] == 0 and not is_placement[s]:
                    # A bed free and no one before them: straight in (as the queue would).
                    day[s, ADMISSIONS] += 1.0
                    _count_change(occ, area_occ, last_occ, s, t, 1)
                    i = los_dist[s]
                    stay = draw(rng, dist_kind[i], dist_a[i], dist_b[i], emp_n[i])
                    stay = _looked_up(stay, i, dist_kind, emp)
                    n_today, filed_ok = _schedule(
                        t + stay, (s << 4) | _READY, t, day_end, bucket, filed, today, n_today
                    )
                    ok &= filed_ok
                    continue
                if occ[s] < cap[s] and x_size[s] == 0:
                    x_arrived_now = True
                elif queue_when_full[s]:
                    x_arrived_now = False
                else:
                    day[s, TURNED_AWAY] += 1.0
                    continue
                if x_size[s] == width:
                    return False
                x_arrived[s, (x_head[s] + x_size[s]) % width] = t
                x_size[s] += 1
                if x_arrived_now:
                    wn = _wake(s, in_work, work, wn)
                continue

            t = today[first, 0]
            t_in = today[first, 1]
            what = int(today[first, 2])
            first += 1
            s = what >> 4
            k = (what >> 1) & 3
            if what & _LEAVING:
                if _kept(rng, leaving_share[s, weekday]):
                    ok &= _file(bucket, filed, t + 1.0, what, t_in)
                    continue
                _stop_waiting(s, k, t, nctr, nctr_k, area_nctr, last_nctr)
                _leave(s, t, t_in, occ, area_occ, last_occ, day)
                wn = _freed(s, in_work, work, wn, q_size, x_size)
                continue
            if what & 1 == _READY:
                # Fewer are found ready on some weekdays (fewer senior reviews at the weekend):
                # the rest are found the next day.
                if _kept(rng, ready_share[s, weekday]):
                    ok &= _file(bucket, filed, t + 1.0, what, t_in)
                    continue
                if uniform(rng) >= nctr_probability[s]:
                    _leave(s, t, t_in, occ, area_occ, last_occ, day)
                    wn = _freed(s, in_work, work, wn, q_size, x_size)
                    continue
                u = uniform(rng)
                k = 0
                while k < PATHWAYS - 1 and u >= mix_cumulative[s, k]:
                    k += 1
                _count_change(nctr, area_nctr, last_nctr, s, t, 1)
                nctr_k[s, k] += 1
                if wait_dist[s, k] >= 0:
                    i = wait_dist[s, k]
                    wait = draw(rng, dist_kind[i], dist_a[i], dist_b[i], emp_n[i])
                    # This replication's level of the service's waits, and any planned change.
                    level = wait_factor[s] * wait_scale[s, k, d]
                    wait = _looked_up(wait, i, dist_kind, emp) * level
                    if wait > 0.0:
                        what = (s << 4) | (k << 1) | _TRANSFER_READY
                        n_today, filed_ok = _schedule(
                            t + wait, what, t_in, day_end, bucket, filed, today, n_today
                        )
                        ok &= filed_ok
                        continue
            # Ready to transfer: leave now if the pathway needs no service, else queue for it.
            j = _destination(rng, destination, destination_cumulative, s, k)
            if j < 0:
                if _kept(rng, leaving_share[s, weekday]):
                    what = (s << 4) | _LEAVING | (k << 1) | _TRANSFER_READY
                    ok &= _file(bucket, filed, t + 1.0, what, t_in)
                    continue
                _stop_waiting(s, k, t, nctr, nctr_k, area_nctr, last_nctr)
                _leave(s, t, t_in, occ, area_occ, last_occ, day)
                wn = _freed(s, in_work, work, wn, q_size, x_size)
                continue
            if q_size[j] == width:
                return False
            slot = (q_head[j] + q_size[j]) % width
            q_origin[j, slot] = s
            q_path[j, slot] = k
            q_t0[j, slot] = t_in
            q_joined[j, slot] = t
            q_size[j] += 1
            wn = _wake(j, in_work, work, wn)

        for s in range(n_services):
            _count_change(occ, area_occ, last_occ, s, day_end, 0)
            _count_change(nctr, area_nctr, last_nctr, s, day_end, 0)
            if d >= record_from:
                figures = out[d - record_from, s]
                figures[:] = day[s]
                figures[OCCUPANCY] = occ[s]
                figures[BED_DAYS] = area_occ[s]
                figures[NCTR] = nctr[s]
                for p in range(PATHWAYS):
                    figures[NCTR_P0 + p] = nctr_k[s, p]
                figures[DELAYED_BED_DAYS] = area_nctr[s]
                figures[QUEUE] = x_size[s]
                figures[WAITING_FOR] = q_size[s]
                figures[CAPACITY] = placement_allowance[s, d] if is_placement[s] else cap[s]
            area_occ[s] = 0.0
            area_nctr[s] = 0.0
            day[s, :] = 0.0
    return True


# nogil: a run in a web server's background thread leaves the server free to answer.
@njit(cache=True, parallel=True, nogil=True)
def run_replications(seeds, n_recorded, record_from, start_weekday, model, init_time, wait_factor):  # type: ignore[no-untyped-def]
    """Figures per replication, recorded day, service and figure (see the module constants).

    `model` is the tuple of arrays named by MODEL_ARRAYS, in that order; `init_time` holds each
    census patient's first event time, and `wait_factor` each service's factor on its waits to
    leave, per replication."""
    n_services, n_days = model[0].shape
    out = np.zeros((seeds.shape[0], n_recorded, n_services, FIGURES))
    for r in prange(seeds.shape[0]):
        state = np.empty(1, STATE)  # the generator's, alive here while the replication runs
        room = _ROOM
        if init_time.shape[1] > 0:
            days = np.minimum(np.maximum(init_time[r], 0.0), n_days).astype(np.int64)
            room += np.bincount(days).max()
        calendar = np.empty((n_days + 1, room, 3))
        while not _replication(
            seeds[r],
            out[r],
            record_from,
            start_weekday,
            model,
            init_time[r],
            wait_factor[r],
            calendar,
            state[0],
        ):
            calendar = np.empty((n_days + 1, 2 * calendar.shape[1], 3))
    return out
