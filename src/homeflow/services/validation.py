"""Validating the capacity model on held-out history (`homeflow validate`): calibrate on the
history up to a day, start from that day's midnight census as the record knew it, simulate the
days after and compare each service's daily occupancy and NCTR with the census as stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Engine

from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput
from homeflow.sim.model import P2_SERVICE, STEP_DOWN_WARDS, Model
from homeflow.sim.validation import Comparison, bands, compare, pooled
from homeflow.store.queries import (
    bed_base,
    first_discharge_day,
    stay_history,
    stays_at,
    ward_days,
    ward_places,
)

if TYPE_CHECKING:
    from homeflow.sim.compiled import Census
    from homeflow.sim.runner import SimulationResult
    from homeflow.sim.scenarios import Scenario

COMPARED = ("occupancy", "nctr")
HISTORY_DAYS = 365  # at most a year of history: the monthly factors need one, more only slows
MIN_HISTORY_DAYS = 7  # a week: every weekday seen once
MAX_DAYS = 366
MAX_REPS = 2000
VALIDATION_RUN = "Validation to "  # a web run's name: a validation, not a model's scenarios


@dataclass(frozen=True)
class Validation:
    """What was compared: the run, the actual series, and the comparisons."""

    to: date
    days: int
    reps: int
    history_from: date
    model: Model
    census: Census
    result: SimulationResult
    actual: dict[tuple[str, str], np.ndarray]  # (service, measure) -> a value a day
    start: dict[tuple[str, str], float]  # the census the run starts from
    comparisons: tuple[Comparison, ...]

    def replications(self, service: str, measure: str) -> np.ndarray:
        from homeflow.sim.runner import MEASURES  # loaded by the run this holds

        run = self.result.runs[0]
        figures = run.figures[:, :, run.compiled.services.index(service), MEASURES[measure]]
        return np.asarray(figures)


def check_options(to: date, days: int, reps: int, today: date) -> None:
    """Refuses what cannot be validated, naming the option."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput("days", f"must be from 1 to {MAX_DAYS}, not {days}")
    if not 1 <= reps <= MAX_REPS:
        raise InvalidInput("reps", f"must be from 1 to {MAX_REPS}, not {reps}")
    # Every day compared must have ended: the last is `days` after `to`.
    clock.ended("days", to + timedelta(days=days), today)


def _actual(
    engine: Engine, model: Model, first: date, days: int
) -> dict[tuple[str, str], np.ndarray]:
    """Each service's occupancy and NCTR a day, from the stored census of its wards."""
    places = ward_places(engine)
    service_of = {(site, s.name == P2_SERVICE): s.name for s in model.services for site in s.sites}
    actual = {
        (s.name, m): np.zeros(days) for s in model.services if s.unit == "beds" for m in COMPARED
    }
    for row in ward_days(engine, first, first + timedelta(days=days - 1)):
        ward = places[row.ward_code]
        service = service_of.get((ward.site_code, ward.type in STEP_DOWN_WARDS))
        if service is None or (service, "occupancy") not in actual:
            continue
        actual[service, "occupancy"][(row.day - first).days] += row.occupied
        actual[service, "nctr"][(row.day - first).days] += row.nctr
    return actual


def _start(census_: Census) -> dict[tuple[str, str], float]:
    start: dict[tuple[str, str], float] = {}
    for p in census_.patients:
        start[p.service, "occupancy"] = start.get((p.service, "occupancy"), 0.0) + 1
        nctr = float(p.pathway is not None)
        start[p.service, "nctr"] = start.get((p.service, "nctr"), 0.0) + nctr
    return start


def validate(
    engine: Engine,
    to: date,
    days: int,
    reps: int,
    today: date,
    seed: int = 0,
    planned: Scenario | None = None,
) -> Validation:
    """`planned`: changes known at `to` (a scenario, such as waits changed from a date), applied
    to the calibrated model; the history before a change cannot hold it."""
    # The engine and its libraries load with the first validation, not with the web app.
    from homeflow.sim.calibrate import calibrate, census_at
    from homeflow.sim.runner import MEASURES, simulate
    from homeflow.sim.scenarios import with_scenario

    check_options(to, days, reps, today)
    first = first_discharge_day(engine)
    if first is None or (to - first).days + 1 < MIN_HISTORY_DAYS:
        raise InvalidInput(
            "to", f"needs at least {MIN_HISTORY_DAYS} days of discharges on record before it"
        )
    since = max(first, to - timedelta(days=HISTORY_DAYS - 1))
    begins = to + timedelta(days=1)
    model, _ = calibrate(
        stay_history(engine, since, to), bed_base(engine, begins), since, to, begins
    )
    if planned is not None:
        try:
            model = with_scenario(model, planned)
        except InvalidInput as problem:
            raise InvalidInput("scenario", f"{problem.field}: {problem.reason}") from None
    start_census = census_at(stays_at(engine, to), model, clock.midnight_after(to))
    result = simulate(model, reps=reps, horizon=days, census=start_census, seed=seed)
    actual = _actual(engine, model, begins, days)
    start = _start(start_census)
    comparisons = []
    for measure in COMPARED:
        parts = []
        for service in model.services:
            if (service.name, measure) not in actual:
                continue
            run = result.runs[0]
            figures = run.figures[:, :, run.compiled.services.index(service.name)]
            parts.append(
                compare(
                    service.name,
                    measure,
                    figures[..., MEASURES[measure]],
                    actual[service.name, measure],
                    start.get((service.name, measure), 0.0),
                )
            )
        comparisons.extend([*parts, pooled(measure, parts)])
    return Validation(
        to, days, reps, since, model, start_census, result, actual, start, tuple(comparisons)
    )


def validation_run_name(to: date) -> str:
    """The name a validation asked for from the web is kept under."""
    return f"{VALIDATION_RUN}{to:%d/%m/%Y}"


def validation_run_day(scenarios: Sequence[str]) -> date | None:
    """The last day of history a run validated the model to, if it is a validation (its name,
    then at most the scenario file of changes it applied: `validation_run_scenario`)."""
    if 1 <= len(scenarios) <= 2 and scenarios[0].startswith(VALIDATION_RUN):
        return clock.parse_day("to", scenarios[0].removeprefix(VALIDATION_RUN))
    return None


def validation_run_scenario(scenarios: Sequence[str]) -> str | None:
    """The scenario file of planned changes a validation run applied, if any."""
    if validation_run_day(scenarios) is not None and len(scenarios) == 2:
        return scenarios[1]
    return None


def validation_results(found: Validation) -> dict[str, Any]:
    """What the validation page shows: the comparisons, and per measure a row a service and
    day with the replications' bands, their median and the actual value (for the fan charts)."""
    fans: dict[str, list[dict[str, Any]]] = {measure: [] for measure in COMPARED}
    for (service, measure), actual in found.actual.items():
        b = bands(found.replications(service, measure))
        for d, value in enumerate(actual):
            fans[measure].append(
                {
                    "scenario": service,
                    "date": (found.to + timedelta(days=d + 1)).isoformat(),
                    "p5": round(float(b.low90[d]), 1),
                    "p25": round(float(b.low50[d]), 1),
                    "p50": round(float(b.median[d]), 1),
                    "p75": round(float(b.high50[d]), 1),
                    "p95": round(float(b.high90[d]), 1),
                    "actual": float(value),
                }
            )
    return {
        "history_from": found.history_from.isoformat(),
        "comparisons": [c.as_dict() for c in found.comparisons],
        "fans": fans,
    }
