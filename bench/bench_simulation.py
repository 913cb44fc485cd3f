"""The simulation engine against SimPy and Ciw on the same blocking network and replications.

Run: .venv/bin/python bench/bench_simulation.py [--simpy-reps 10] [--ciw-reps 5] [--reps 1000]

The network is the issue's yardstick: one acute site of 420 beds taking 80 admissions a day
(lognormal stays), 30% of patients needing a pathway when ready: 70% home care (700 packages,
exponential 40 days), 30% community beds (190 beds, exponential 25 days). A patient whose
downstream service is full keeps the acute bed (blocking after service). One year from empty.
SimPy and Ciw are the reference; each reports the mean delayed bed-days a replication with a
95% confidence interval, and seconds a replication. The comparison is on equal cores: homeflow
on one numba thread against each reference in one process, and homeflow on all the machine's
cores (numba threads across replications) against each reference running its replications in
parallel on as many processes (as Ciw's documentation does for replications). No ratio is
given between unequal numbers of cores. On one core each is timed in CPU time (its process's:
homeflow's one thread, the reference's one process), so other work on a shared machine does
not tilt the ratio (a busy machine stretches an interpreter's wall time more than the engine's);
on all cores, in wall time.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numba

from bench.ratios import report
from homeflow.sim import engine
from homeflow.sim.compiled import compile_model
from homeflow.sim.model import parse_model
from homeflow.sim.runner import replication_seeds

DAYS = 365
ARRIVALS = 80.0
ACUTE_BEDS, P1_PACKAGES, P2_BEDS = 420, 750, 200
MEANLOG, SDLOG = 1.2, 0.8
NCTR, P1_SHARE = 0.3, 0.7
P1_DAYS, P2_DAYS = 40.0, 25.0

MODEL = f"""
name = "benchmark site"
start = 2026-01-05
[[service]]
name = "acute"
capacity = {ACUTE_BEDS}
arrivals = {{ per_day = {ARRIVALS} }}
length_of_stay = {{ family = "lognormal", meanlog = {MEANLOG}, sdlog = {SDLOG} }}
discharge = {{ nctr_probability = {NCTR}, pathway_mix = {{ P1 = {P1_SHARE}, P2 = {1 - P1_SHARE} }} }}
pathway.P1 = {{ to = "home care" }}
pathway.P2 = {{ to = "community beds" }}
[[service]]
name = "home care"
unit = "packages"
capacity = {P1_PACKAGES}
length_of_stay = {{ family = "exponential", mean = {P1_DAYS} }}
[[service]]
name = "community beds"
capacity = {P2_BEDS}
length_of_stay = {{ family = "exponential", mean = {P2_DAYS} }}
"""


def simpy_replication(seed: int) -> tuple[float, int]:
    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    acute = simpy.Resource(env, ACUTE_BEDS)
    p1 = simpy.Resource(env, P1_PACKAGES)
    p2 = simpy.Resource(env, P2_BEDS)
    delayed = [0.0]
    patients = [0]

    def patient() -> object:
        bed = acute.request()
        yield bed
        yield env.timeout(rng.lognormvariate(MEANLOG, SDLOG))
        if rng.random() < NCTR:
            downstream, days = (p1, P1_DAYS) if rng.random() < P1_SHARE else (p2, P2_DAYS)
            ready = env.now
            place = downstream.request()
            result = yield place | env.timeout(DAYS - ready)
            delayed[0] += min(env.now, DAYS) - ready
            acute.release(bed)
            if place in result:
                yield env.timeout(rng.expovariate(1 / days))
                downstream.release(place)
        else:
            acute.release(bed)

    def arrivals() -> object:
        while True:
            yield env.timeout(rng.expovariate(ARRIVALS))
            patients[0] += 1
            env.process(patient())

    env.process(arrivals())
    env.run(until=DAYS)
    return delayed[0], patients[0]


def ciw_replication(seed: int) -> tuple[float, int]:
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=ARRIVALS), None, None],
        service_distributions=[
            ciw.dists.Lognormal(MEANLOG, SDLOG),
            ciw.dists.Exponential(rate=1 / P1_DAYS),
            ciw.dists.Exponential(rate=1 / P2_DAYS),
        ],
        routing=[[0.0, NCTR * P1_SHARE, NCTR * (1 - P1_SHARE)], [0.0] * 3, [0.0] * 3],
        number_of_servers=[ACUTE_BEDS, P1_PACKAGES, P2_BEDS],
        queue_capacities=[float("inf"), 0, 0],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(DAYS)
    records = sim.get_all_records()
    delayed = sum(r.time_blocked for r in records if r.node == 1)
    # Those still blocked at the end have waited since their service ended.
    delayed += sum(DAYS - i.service_end_date for i in sim.nodes[1].all_individuals if i.is_blocked)
    return delayed, len({r.id_number for r in records if r.node == 1})


def set_days(days: int) -> None:
    """A shorter year for `make bench-tiny` (SimPy's and Ciw's replications read DAYS too; the
    pool's processes are forked, so they see it)."""
    global DAYS
    DAYS = days


def interval(values: list[float]) -> tuple[float, float]:
    """Mean and the half-width of its 95% confidence interval (Student's t)."""
    t = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 9: 2.26}.get(len(values) - 1, 1.96)
    half = t * statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.inf
    return statistics.fmean(values), half


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simpy-reps", type=int, default=10)
    parser.add_argument("--ciw-reps", type=int, default=5)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--days", type=int, default=DAYS, help="days a replication runs")
    args = parser.parse_args()
    set_days(args.days)

    compiled = compile_model(parse_model(MODEL), DAYS, warmup_days=0)
    compiled.run(replication_seeds(0, 2))  # compile (or load the cached machine code)

    cores = numba.config.NUMBA_NUM_THREADS
    results: dict[tuple[str, int], tuple[float, float, float, float]] = {}
    for name, replicate, reps in (
        ("SimPy", simpy_replication, args.simpy_reps),
        ("Ciw", ciw_replication, args.ciw_reps),
    ):
        for processes in sorted({1, cores}):
            results[(name, processes)] = reference_run(replicate, reps, processes)

    seeds = replication_seeds(1, args.reps)
    for threads in sorted({1, cores}):
        numba.set_num_threads(threads)
        started, cpu = time.perf_counter(), time.process_time()
        out = compiled.run(seeds)
        seconds = (time.perf_counter() - started) / args.reps
        if threads == 1:
            seconds = (time.process_time() - cpu) / args.reps
        delayed = out[:, :, 0, engine.DELAYED_BED_DAYS].sum(axis=1).tolist()
        patients = float(out[:, :, 0, engine.ADMISSIONS].sum(axis=1).mean())
        mean, half = interval(delayed)
        results[("homeflow", threads)] = (mean, half, seconds, patients / seconds)

    print(
        f"{'engine':12} {'cores':>5} {'delayed bed-days/rep':>26} {'s/rep':>9} {'patients/s':>12}"
    )
    for (name, n), (mean, half, seconds, rate) in results.items():
        print(f"{name:12} {n:>5} {mean:>15,.0f} ± {half:>8,.0f} {seconds:>9.4f} {rate:>12,.0f}")
    for reference in ("SimPy", "Ciw"):
        for n in sorted({1, cores}):
            theirs, ours = results[(reference, n)][2], results[("homeflow", n)][2]
            print(
                f"on {n} core{'s' if n > 1 else ''}: homeflow is {theirs / ours:,.0f}x {reference}"
            )
            report(
                f"simulation homeflow / {reference}, {n} core{'s' if n > 1 else ''}", theirs / ours
            )
        mean, half = results[(reference, 1)][:2]
        inside = abs(results[("homeflow", 1)][0] - mean) <= half
        print(f"homeflow's mean is {'inside' if inside else 'OUTSIDE'} {reference}'s 95% interval")
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")


def reference_run(
    replicate: object, reps: int, processes: int
) -> tuple[float, float, float, float]:
    """A reference's replications in one process (CPU time a replication), or in parallel on
    `processes` processes (wall time), as homeflow's threads are timed."""
    started, cpu = time.perf_counter(), time.process_time()
    if processes == 1:
        runs = [replicate(seed) for seed in range(reps)]  # type: ignore[operator]
        seconds = (time.process_time() - cpu) / reps
    else:
        with ProcessPoolExecutor(processes) as pool:
            runs = list(pool.map(replicate, range(reps)))  # type: ignore[arg-type]
        seconds = (time.perf_counter() - started) / reps
    mean, half = interval([d for d, _ in runs])
    patients = statistics.fmean(p for _, p in runs)
    return mean, half, seconds, patients / seconds


if __name__ == "__main__":
    main()
