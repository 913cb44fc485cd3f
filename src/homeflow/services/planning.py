"""Running the capacity model on the record: one function reads a model file, its forecasts and
scenario files, places today's patients from the census when asked, and runs the replications.
The CLI's `homeflow simulate` and the web app's winter-scenarios page both call it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput
from homeflow.sim.model import Model, parse_model
from homeflow.sim.scenarios import Scenario, parse_scenario, with_forecasts
from homeflow.store.queries import open_stays

if TYPE_CHECKING:
    from homeflow.sim.compiled import Census
    from homeflow.sim.runner import Progress, SimulationResult


@dataclass(frozen=True, slots=True)
class Run:
    """What a simulation run asks for: replications, days, and where it starts."""

    reps: int
    horizon: int
    from_census: bool
    seed: int = 0
    warmup_days: int | None = None
    batch_size: int = 100


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except OSError as error:
        raise InvalidInput(path.name, f"cannot read a file ({error.strerror})") from None


def _in_file(path: Path, problem: InvalidInput) -> InvalidInput:
    """The problem, naming the file it is in."""
    where = path.name if problem.field == path.name else f"{path.name}: {problem.field}"
    return InvalidInput(where, problem.reason)


def _parsed(path: Path, parse: Callable[[str, str], Any]) -> Any:
    text = _read(path)
    try:
        return parse(text, path.name)
    except InvalidInput as problem:
        raise _in_file(path, problem) from None


def load_model(model_path: Path) -> Model:
    """A model file with the forecasts it names (read from beside it)."""
    model: Model = _parsed(model_path, parse_model)
    try:
        return with_forecasts(model, lambda name: _read(model_path.parent / name))
    except InvalidInput as problem:
        raise _in_file(model_path, problem) from None


def load_scenario(path: Path) -> Scenario:
    scenario: Scenario = _parsed(path, parse_scenario)
    return scenario


@dataclass(frozen=True, slots=True)
class Prepared:
    """A run ready to go: the model with its forecasts, the scenarios and today's patients."""

    model: Model
    scenarios: list[Scenario]
    census: Census | None


def prepare(
    engine: Engine, model_path: Path, scenario_paths: Sequence[Path], from_census: bool
) -> Prepared:
    """Read the files and, when the run starts from today, place today's patients; errors
    name the file and field."""
    model = load_model(model_path)
    scenarios = [load_scenario(path) for path in scenario_paths]
    census = None
    if from_census:
        # The engine and its libraries (numba, scipy, pandas: about 2 s) load with the first
        # run, not with every command and web worker that never runs one.
        from homeflow.sim.calibrate import census_at

        census = census_at(open_stays(engine), model, clock.now())
        if not census.patients:
            raise InvalidInput("start", "nobody is in a bed in the database: start from empty")
    return Prepared(model, scenarios, census)


def run_prepared(
    prepared: Prepared,
    run: Run,
    *,
    client: Any = None,
    progress: Progress | None = None,
) -> SimulationResult:
    from homeflow.sim.runner import simulate  # with the first run: see prepare

    return simulate(
        prepared.model,
        prepared.scenarios,
        reps=run.reps,
        horizon=run.horizon,
        census=prepared.census,
        warmup_days=run.warmup_days,
        seed=run.seed,
        batch_size=run.batch_size,
        client=client,
        progress=progress,
    )


def run_simulation(
    engine: Engine,
    model_path: Path,
    scenario_paths: Sequence[Path],
    run: Run,
    progress: Progress | None = None,
) -> tuple[Model, SimulationResult]:
    """The model and each scenario run `run.reps` times, here, `progress` told as it goes."""
    prepared = prepare(engine, model_path, scenario_paths, run.from_census)
    return prepared.model, run_prepared(prepared, run, progress=progress)
