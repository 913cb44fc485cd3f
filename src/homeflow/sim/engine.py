"""The simulation kernel: a discrete-event loop compiled by numba, replications run in parallel.

The kernel sees only arrays (a model compiled by `homeflow.sim.compiled`), so it can run in this
process, in a Dask worker or in a test, and one replication's results depend only on its seed.

Time is in days from the first simulated day. Each day: capacities and placement allowances are
set from the calendars, the day's external arrivals are drawn (a Poisson count at that day's rate,
times uniform in the day: exactly a Poisson process with a rate constant through the day), then
events are taken in time order from a binary heap until midnight, when the day's figures are
recorded. A patient who finishes service becomes ready to leave (or, with the service's ready
share of that weekday, is found ready the next day); with the service's NCTR
probability they need a pathway, wait the pathway's assessment time, then join the FIFO queue of
the pathway's downstream service while keeping their bed (blocking after service). Every day
they keep it is a delayed bed-day. A patient due to leave a bed that they no longer need (their
pathway needs no service, or its service takes them) leaves then with the service's leaving
share of that weekday, else is kept to the same time the next day (fewer leave at the weekend).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# Distribution families (the model file's names are in homeflow.sim.model.FAMILIES).
EXPONENTIAL, LOGNORMAL, GAMMA, WEIBULL, EMPIRICAL, FIXED = 0, 1, 2, 3, 4, 5

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
    "dist_kind",
    "dist_a",
    "dist_b",
    "emp",
    "emp_n",
    "nctr_probability",
    "mix_cumulative",
    "destination",
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


@njit(cache=True)
def _kept(share):  # type: ignore[no-untyped-def]
    """Whether a patient due to leave today is kept to the next day (share: those who go)."""
    return share < 1.0 and np.random.random() >= share


@njit(cache=True)
def _keep(ht, hp, h0, hn, s, k, t, t_in):  # type: ignore[no-untyped-def]
    """Keep a patient due to leave service s to the same time tomorrow; the heap grown if full."""
    if hn == ht.shape[0]:
        ht, hp, h0 = _grown(ht), _grown(hp), _grown(h0)
    hn = _push(ht, hp, h0, hn, t + 1.0, (s << 4) | _LEAVING | (k << 1) | _TRANSFER_READY, t_in)
    return ht, hp, h0, hn


@njit(cache=True)
def _draw(i, kind, a, b, emp, emp_n):  # type: ignore[no-untyped-def]
    k = kind[i]
    if k == EXPONENTIAL:
        return np.random.exponential(a[i])
    if k == LOGNORMAL:
        return np.random.lognormal(a[i], b[i])
    if k == GAMMA:
        return np.random.gamma(a[i], b[i])
    if k == WEIBULL:
        return b[i] * np.random.weibull(a[i])
    if k == EMPIRICAL:
        return emp[i, np.random.randint(0, emp_n[i])]
    return a[i]


@njit(cache=True)
def _push(ht, hp, h0, n, t, payload, t0):  # type: ignore[no-untyped-def]
    i = n
    while i > 0:
        parent = (i - 1) >> 1
        if ht[parent] <= t:
            break
        ht[i] = ht[parent]
        hp[i] = hp[parent]
        h0[i] = h0[parent]
        i = parent
    ht[i] = t
    hp[i] = payload
    h0[i] = t0
    return n + 1


@njit(cache=True)
def _pop(ht, hp, h0, n):  # type: ignore[no-untyped-def]
    n -= 1
    t = ht[n]
    payload = hp[n]
    t0 = h0[n]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and ht[c + 1] < ht[c]:
            c += 1
        if ht[c] >= t:
            break
        ht[i] = ht[c]
        hp[i] = hp[c]
        h0[i] = h0[c]
        i = c
    ht[i] = t
    hp[i] = payload
    h0[i] = t0
    return n


@njit(cache=True)
def _grown(a):  # type: ignore[no-untyped-def]
    b = np.empty(a.shape[0] * 2, a.dtype)
    b[: a.shape[0]] = a
    return b


@njit(cache=True)
def _unrolled(ring, head, size, capacity):  # type: ignore[no-untyped-def]
    out = np.empty((ring.shape[0], capacity), ring.dtype)
    width = ring.shape[1]
    for s in range(ring.shape[0]):
        for j in range(size[s]):
            out[s, j] = ring[s, (head[s] + j) % width]
    return out


@njit(cache=True)
def _count_change(counts, area, last, s, t, change):  # type: ignore[no-untyped-def]
    """Change a service's count at time t, first adding the time at the old count to its area."""
    area[s] += counts[s] * (t - last[s])
    last[s] = t
    counts[s] += change


@njit(cache=True)
def _leave(s, t, t_in, occ, area_occ, last_occ, day):  # type: ignore[no-untyped-def]
    _count_change(occ, area_occ, last_occ, s, t, -1)
    day[s, DEPARTURES] += 1.0
    day[s, SOJOURN_DAYS] += t - t_in


@njit(cache=True)
def _stop_waiting(s, k, t, nctr, nctr_k, area_nctr, last_nctr):  # type: ignore[no-untyped-def]
    _count_change(nctr, area_nctr, last_nctr, s, t, -1)
    nctr_k[s, k] -= 1


@njit(cache=True)
def _wake(s, in_work, work, wn):  # type: ignore[no-untyped-def]
    """Put a service on the list of those that may now take someone; the list's new length."""
    if not in_work[s]:
        in_work[s] = True
        work[wn] = s
        wn += 1
    return wn


@njit(cache=True, nogil=True, error_model="numpy")
def _replication(seed, out, record_from, start_weekday, model, init_time):  # type: ignore[no-untyped-def]
    (
        capacity_calendar,
        placement_allowance,
        is_placement,
        weekdays_only,
        queue_when_full,
        arrival_rate,
        los_dist,
        wait_dist,
        dist_kind,
        dist_a,
        dist_b,
        emp,
        emp_n,
        nctr_probability,
        mix_cumulative,
        destination,
        leaving_share,
        ready_share,
        init_service,
        init_t0,
        init_event,
        init_pathway,
    ) = model
    np.random.seed(seed)
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

    size = 1024 + 2 * init_service.shape[0]
    ht = np.empty(size)
    hp = np.empty(size, np.int64)
    h0 = np.empty(size)
    hn = 0

    # Patients waiting to start a service, FIFO: where they are, their pathway, since when.
    qw = 256
    q_origin = np.empty((n_services, qw), np.int64)
    q_path = np.empty((n_services, qw), np.int64)
    q_t0 = np.empty((n_services, qw))
    q_joined = np.empty((n_services, qw))
    q_head = np.zeros(n_services, np.int64)
    q_size = np.zeros(n_services, np.int64)
    xw = 256
    x_arrived = np.empty((n_services, xw))
    x_head = np.zeros(n_services, np.int64)
    x_size = np.zeros(n_services, np.int64)

    counts = np.zeros(n_services, np.int64)
    first = np.zeros(n_services, np.int64)
    next_in = np.zeros(n_services, np.int64)
    arrival_t = np.empty(1024)

    work = np.empty(n_services, np.int64)
    in_work = np.zeros(n_services, np.bool_)
    wn = 0

    for i in range(init_service.shape[0]):
        s = init_service[i]
        occ[s] += 1
        if init_event[i] == _TRANSFER_READY:
            nctr[s] += 1
            nctr_k[s, init_pathway[i]] += 1
        payload = (s << 4) | (init_pathway[i] << 1) | init_event[i]
        if hn == ht.shape[0]:
            ht, hp, h0 = _grown(ht), _grown(hp), _grown(h0)
        hn = _push(ht, hp, h0, hn, init_time[i], payload, init_t0[i])

    for d in range(n_days):
        weekday = (start_weekday + d) % 7
        t = float(d)
        for s in range(n_services):
            cap[s] = capacity_calendar[s, d]
            if is_placement[s]:
                # Whole placements unused by midnight are gone; a part-placement carries over.
                budget[s] = budget[s] - np.floor(budget[s]) + placement_allowance[s, d]
            wn = _wake(s, in_work, work, wn)

        # The day's arrivals, each service's already in time order (uniform order statistics
        # from exponential spacings, so no sort), taken by a merge across services.
        n_arrivals = 0
        for s in range(n_services):
            counts[s] = np.random.poisson(arrival_rate[s, d]) if arrival_rate[s, d] > 0.0 else 0
            first[s] = n_arrivals
            next_in[s] = n_arrivals
            n_arrivals += counts[s]
        if n_arrivals > arrival_t.shape[0]:
            arrival_t = np.empty(2 * n_arrivals)
        for s in range(n_services):
            spacing = 0.0
            for j in range(first[s], first[s] + counts[s]):
                spacing += np.random.exponential(1.0)
                arrival_t[j] = spacing
            if counts[s] > 0:
                spacing += np.random.exponential(1.0)
                for j in range(first[s], first[s] + counts[s]):
                    arrival_t[j] = t + arrival_t[j] / spacing
        day_end = t + 1.0

        while True:
            # Let every service that may have room take whoever is waiting for it.
            while wn > 0:
                wn -= 1
                s = work[wn]
                in_work[s] = False
                while True:
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
                        q_head[s] = (h + 1) % q_origin.shape[1]
                        q_size[s] -= 1
                        # The patient leaves the bed they were kept in (or does tomorrow).
                        if _kept(leaving_share[o, weekday]):
                            ht, hp, h0, hn = _keep(ht, hp, h0, hn, o, k, t, t_origin)
                        else:
                            _stop_waiting(o, k, t, nctr, nctr_k, area_nctr, last_nctr)
                            _leave(o, t, t_origin, occ, area_occ, last_occ, day)
                            wn = _wake(o, in_work, work, wn)
                    else:
                        h = x_head[s]
                        day[s, WAIT_DAYS] += t - x_arrived[s, h]
                        x_head[s] = (h + 1) % x_arrived.shape[1]
                        x_size[s] -= 1
                    day[s, ADMISSIONS] += 1.0
                    if is_placement[s]:
                        day[s, DEPARTURES] += 1.0
                        continue
                    _count_change(occ, area_occ, last_occ, s, t, 1)
                    if hn == ht.shape[0]:
                        ht, hp, h0 = _grown(ht), _grown(hp), _grown(h0)
                    stay = _draw(los_dist[s], dist_kind, dist_a, dist_b, emp, emp_n)
                    hn = _push(ht, hp, h0, hn, t + stay, (s << 4) | _READY, t)

            next_heap = ht[0] if hn > 0 else np.inf
            next_arrival = np.inf
            arriving = -1
            for a in range(n_services):
                if next_in[a] < first[a] + counts[a] and arrival_t[next_in[a]] < next_arrival:
                    next_arrival = arrival_t[next_in[a]]
                    arriving = a
            if next_heap >= day_end and next_arrival >= day_end:
                break
            if next_arrival <= next_heap:
                t = next_arrival
                s = arriving
                next_in[s] += 1
                if occ[s] < cap[s] and x_size[s] == 0:
                    x_arrived_now = True
                elif queue_when_full[s]:
                    x_arrived_now = False
                else:
                    day[s, TURNED_AWAY] += 1.0
                    continue
                if x_size[s] == x_arrived.shape[1]:
                    xw = 2 * xw
                    x_arrived = _unrolled(x_arrived, x_head, x_size, xw)
                    x_head[:] = 0
                x_arrived[s, (x_head[s] + x_size[s]) % x_arrived.shape[1]] = t
                x_size[s] += 1
                if x_arrived_now:
                    wn = _wake(s, in_work, work, wn)
                continue

            t = next_heap
            payload = hp[0]
            t_in = h0[0]
            hn = _pop(ht, hp, h0, hn)
            s = payload >> 4
            k = (payload >> 1) & 3
            if payload & _LEAVING:
                if _kept(leaving_share[s, weekday]):
                    ht, hp, h0, hn = _keep(ht, hp, h0, hn, s, k, t, t_in)
                    continue
                _stop_waiting(s, k, t, nctr, nctr_k, area_nctr, last_nctr)
                _leave(s, t, t_in, occ, area_occ, last_occ, day)
                wn = _wake(s, in_work, work, wn)
                continue
            if payload & 1 == _READY:
                # Fewer are found ready on some weekdays (fewer senior reviews at the weekend):
                # the rest are found the next day.
                if _kept(ready_share[s, weekday]):
                    if hn == ht.shape[0]:
                        ht, hp, h0 = _grown(ht), _grown(hp), _grown(h0)
                    hn = _push(ht, hp, h0, hn, t + 1.0, payload, t_in)
                    continue
                u = np.random.random()
                if u >= nctr_probability[s]:
                    _leave(s, t, t_in, occ, area_occ, last_occ, day)
                    wn = _wake(s, in_work, work, wn)
                    continue
                u = np.random.random()
                k = 0
                while k < PATHWAYS - 1 and u >= mix_cumulative[s, k]:
                    k += 1
                _count_change(nctr, area_nctr, last_nctr, s, t, 1)
                nctr_k[s, k] += 1
                if wait_dist[s, k] >= 0:
                    wait = _draw(wait_dist[s, k], dist_kind, dist_a, dist_b, emp, emp_n)
                    if wait > 0.0:
                        if hn == ht.shape[0]:
                            ht, hp, h0 = _grown(ht), _grown(hp), _grown(h0)
                        hn = _push(
                            ht, hp, h0, hn, t + wait, (s << 4) | (k << 1) | _TRANSFER_READY, t_in
                        )
                        continue
            # Ready to transfer: leave now if the pathway needs no service, else queue for it.
            j = destination[s, k]
            if j < 0:
                if _kept(leaving_share[s, weekday]):
                    ht, hp, h0, hn = _keep(ht, hp, h0, hn, s, k, t, t_in)
                    continue
                _stop_waiting(s, k, t, nctr, nctr_k, area_nctr, last_nctr)
                _leave(s, t, t_in, occ, area_occ, last_occ, day)
                wn = _wake(s, in_work, work, wn)
                continue
            if q_size[j] == q_origin.shape[1]:
                qw = 2 * qw
                q_origin = _unrolled(q_origin, q_head, q_size, qw)
                q_path = _unrolled(q_path, q_head, q_size, qw)
                q_t0 = _unrolled(q_t0, q_head, q_size, qw)
                q_joined = _unrolled(q_joined, q_head, q_size, qw)
                q_head[:] = 0
            slot = (q_head[j] + q_size[j]) % q_origin.shape[1]
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
                row = out[d - record_from, s]
                row[:] = day[s]
                row[OCCUPANCY] = occ[s]
                row[BED_DAYS] = area_occ[s]
                row[NCTR] = nctr[s]
                for p in range(PATHWAYS):
                    row[NCTR_P0 + p] = nctr_k[s, p]
                row[DELAYED_BED_DAYS] = area_nctr[s]
                row[QUEUE] = x_size[s]
                row[WAITING_FOR] = q_size[s]
                row[CAPACITY] = placement_allowance[s, d] if is_placement[s] else cap[s]
            area_occ[s] = 0.0
            area_nctr[s] = 0.0
            day[s, :] = 0.0


# nogil: a run in a web server's background thread leaves the server free to answer.
@njit(cache=True, parallel=True, nogil=True)
def run_replications(seeds, n_recorded, record_from, start_weekday, model, init_time):  # type: ignore[no-untyped-def]
    """Figures per replication, recorded day, service and figure (see the module constants).

    `model` is the tuple of arrays named by MODEL_ARRAYS, in that order; `init_time` holds each
    census patient's first event time, per replication."""
    n_services = model[0].shape[0]
    out = np.zeros((seeds.shape[0], n_recorded, n_services, FIGURES))
    for r in prange(seeds.shape[0]):
        _replication(seeds[r], out[r], record_from, start_weekday, model, init_time[r])
    return out
