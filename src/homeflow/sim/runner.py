"""Runs scenarios for many replications, in batches, here or on a Dask cluster, and summarises.

Replication r of a run with seed N always gets the same seed (from numpy's SeedSequence), in
every scenario and whatever the batch or the worker that runs it, so results for a seed are
identical on one core or fifty, and scenarios are compared on common random numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from homeflow.sim import engine
from homeflow.sim.compiled import Census, CompiledModel, compile_model
from homeflow.sim.model import Model
from homeflow.sim.scenarios import BASELINE, Scenario, with_scenario

PERCENTILES = (5, 25, 50, 75, 95)

# The figures published per day, service and scenario, by name.
MEASURES = {
    "occupancy": engine.OCCUPANCY,
    "bed_days": engine.BED_DAYS,
    "nctr": engine.NCTR,
    "nctr_p0": engine.NCTR_P0,
    "nctr_p1": engine.NCTR_P0 + 1,
    "nctr_p2": engine.NCTR_P0 + 2,
    "nctr_p3": engine.NCTR_P0 + 3,
    "delayed_bed_days": engine.DELAYED_BED_DAYS,
    "queue": engine.QUEUE,
    "waiting_to_start": engine.WAITING_FOR,
    "turned_away": engine.TURNED_AWAY,
    "admissions": engine.ADMISSIONS,
    "departures": engine.DEPARTURES,
    "capacity": engine.CAPACITY,
}


def replication_seeds(seed: int, reps: int) -> np.ndarray:
    """One 32-bit seed per replication, the same for replication r whatever else runs."""
    children = np.random.SeedSequence(seed).spawn(reps)
    return np.array([c.generate_state(1)[0] for c in children], np.int64)


def _run_batch(compiled: CompiledModel, seeds: np.ndarray) -> np.ndarray:
    figures: np.ndarray = compiled.run(seeds)
    return figures


@dataclass(frozen=True)
class ScenarioRun:
    scenario: str
    compiled: CompiledModel
    figures: np.ndarray  # replication, day, service, figure

    def cost(self) -> np.ndarray:
        """Cost per replication, day and service."""
        c = self.compiled
        f = self.figures
        commissioned = np.where(
            f[..., engine.CAPACITY] >= engine.UNLIMITED, 0.0, f[..., engine.CAPACITY]
        )
        placements = c.is_placement[None, None, :]
        cost: np.ndarray = (
            f[..., engine.BED_DAYS] * c.cost_occupied
            + np.where(placements, 0.0, commissioned) * c.cost_capacity
            + f[..., engine.ADMISSIONS] * c.cost_start
        )
        return cost


@dataclass(frozen=True)
class SimulationResult:
    runs: tuple[ScenarioRun, ...]

    def daily(self) -> pd.DataFrame:
        """Per scenario, day, service and measure: the mean and percentiles over replications.

        Rows by scenario, then measure, then service, then day (each run's measures taken
        together: one percentile call and one frame a run, not one a measure and service)."""
        frames = []
        names = [*MEASURES, "cost"]
        for run in self.runs:
            days = pd.to_datetime(
                [run.compiled.first_day + timedelta(days=d) for d in range(run.compiled.horizon)]
            )
            # Over every figure, read where they are (the measures are 15 of the 16): gathering
            # the measures first took longer than the percentiles themselves.
            chosen = list(MEASURES.values())
            cost = run.cost()[..., None]
            mean = np.concatenate(
                [run.figures.mean(axis=0)[..., chosen], cost.mean(axis=0)], axis=-1
            )
            pct = np.concatenate(
                [
                    np.percentile(run.figures, PERCENTILES, axis=0)[..., chosen],
                    np.percentile(cost, PERCENTILES, axis=0),
                ],
                axis=-1,
            )
            # (day, service, measure) to rows by measure, service, day.
            mean = mean.transpose(2, 1, 0).ravel()
            pct = pct.transpose(0, 3, 2, 1)
            n_services = len(run.compiled.services)
            frame = pd.DataFrame(
                {
                    "scenario": run.scenario,
                    "date": np.tile(days.values, len(names) * n_services),
                    "service": np.tile(np.repeat(run.compiled.services, len(days)), len(names)),
                    "measure": np.repeat(names, n_services * len(days)),
                    "mean": mean,
                }
            )
            for p, row in zip(PERCENTILES, pct, strict=True):
                frame[f"p{p}"] = row.ravel()
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def fan(self, measure: str, services: Sequence[str]) -> pd.DataFrame:
        """Per scenario and day, percentiles over replications of `measure` summed over
        `services` (summed per replication first, so the bands are the system's own)."""
        frames = []
        for run in self.runs:
            chosen = [run.compiled.services.index(s) for s in services]
            total = run.figures[:, :, chosen, MEASURES[measure]].sum(axis=2)
            pct = np.percentile(total, PERCENTILES, axis=0)
            frame = pd.DataFrame(
                {
                    "scenario": run.scenario,
                    "date": [
                        (run.compiled.first_day + timedelta(days=d)).isoformat()
                        for d in range(run.compiled.horizon)
                    ],
                }
            )
            for p, row in zip(PERCENTILES, pct, strict=True):
                frame[f"p{p}"] = row.round(1)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def totals(self) -> pd.DataFrame:
        """Per scenario, over the horizon: delayed bed-days, cost and patients turned away, with
        the bed-days and cost saved against the first scenario (paired replications); and the
        patients waiting for a bed at the end (the median)."""
        rows = []
        base_delayed = self.runs[0].figures[..., engine.DELAYED_BED_DAYS].sum(axis=(1, 2))
        base_cost = self.runs[0].cost().sum(axis=(1, 2))
        for run in self.runs:
            delayed = run.figures[..., engine.DELAYED_BED_DAYS].sum(axis=(1, 2))
            cost = run.cost().sum(axis=(1, 2))
            turned_away = run.figures[..., engine.TURNED_AWAY].sum(axis=(1, 2))
            waiting = run.figures[:, -1, :, engine.QUEUE].sum(axis=1)
            saved = base_delayed - delayed
            row: dict[str, Any] = {"scenario": run.scenario}
            for name, v in (("delayed_bed_days", delayed), ("cost", cost)):
                row[f"{name}_mean"] = v.mean()
                row[f"{name}_p5"], row[f"{name}_p95"] = np.percentile(v, (5, 95))
            row["turned_away_mean"] = turned_away.mean()
            row["waiting_for_a_bed_at_end_p50"] = np.percentile(waiting, 50)
            row["bed_days_saved_mean"] = saved.mean()
            row["bed_days_saved_p5"], row["bed_days_saved_p95"] = np.percentile(saved, (5, 95))
            row["extra_cost_mean"] = (cost - base_cost).mean()
            # What each bed-day saved costs; nothing when the scenario saves none.
            row["cost_per_bed_day_saved"] = (
                row["extra_cost_mean"] / row["bed_days_saved_mean"]
                if row["bed_days_saved_mean"] > 0
                else None
            )
            rows.append(row)
        return pd.DataFrame(rows)


# Told each scenario's name and how many of its replications are done, the baseline first.
Progress = Callable[[tuple[tuple[str, int], ...]], None]


def simulate(
    model: Model,
    scenarios: Sequence[Scenario] = (),
    *,
    reps: int,
    horizon: int,
    census: Census | None = None,
    warmup_days: int | None = None,
    seed: int = 0,
    batch_size: int = 100,
    client: Any = None,
    progress: Progress | None = None,
) -> SimulationResult:
    """The baseline and each scenario, `reps` replications of `horizon` days each.

    `client` is a dask.distributed Client; without one the batches run here. `progress` is told
    each scenario's name and replications done (the baseline first): before the first batch
    runs, and after each batch finishes."""
    seeds = replication_seeds(seed, reps)
    batches = [seeds[i : i + batch_size] for i in range(0, reps, batch_size)]
    compiled = [
        compile_model(with_scenario(model, s), horizon, census, warmup_days)
        for s in (BASELINE, *scenarios)
    ]
    names = [s.name for s in (BASELINE, *scenarios)]
    done = [0] * len(names)

    def finished(c: int, b: int) -> None:
        done[c] += len(batches[b])
        if progress:
            progress(tuple(zip(names, done, strict=True)))

    if progress:
        progress(tuple(zip(names, done, strict=True)))
    results: dict[tuple[int, int], np.ndarray] = {}
    if client is None:
        for c, model_arrays in enumerate(compiled):
            for b, batch in enumerate(batches):
                results[c, b] = _run_batch(model_arrays, batch)
                finished(c, b)
    else:
        from distributed import as_completed

        futures = {}
        for c, model_arrays in enumerate(compiled):
            shared = client.scatter(model_arrays, broadcast=True)
            for b, batch in enumerate(batches):
                futures[client.submit(_run_batch, shared, batch, pure=False)] = (c, b)
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            results[futures[future]] = future.result()
            finished(*futures[future])
    runs = tuple(
        ScenarioRun(
            s.name,
            compiled[c],
            np.concatenate([results[c, b] for b in range(len(batches))]),
        )
        for c, s in enumerate((BASELINE, *scenarios))
    )
    return SimulationResult(runs)
