"""The winter-planning page: pick a model and scenarios, run them in the background, compare.

Runs are kept in the database (store/simulation_runs), so any server worker can show one; the
simulation itself runs in one background thread per server process (the engine releases the
GIL, so pages keep being answered while it works).

The folder's files and the runs are its system's (domain/planning): another system's users
are refused them, and every run is audited. Files are read off the event loop, each parsed
once until it changes (a bad file is listed with its problem, never parsed on every view).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput
from homeflow.domain.planning import PLANS, Planning
from homeflow.publishing.scenario_run import run_report_html
from homeflow.publishing.weekly import pdf_of
from homeflow.reports.cells import spreadsheet_safe
from homeflow.reports.charts import fan_spec, spec_json
from homeflow.services.home_care import lever_run_day, run_levers
from homeflow.services.planning import Run, load_scenario, run_simulation
from homeflow.services.validation import (
    validate,
    validation_results,
    validation_run_day,
    validation_run_scenario,
)
from homeflow.sim.model import PATHWAYS, Model, parse_model
from homeflow.sim.readers import one_of
from homeflow.sim.scenarios import parse_scenario
from homeflow.store import access
from homeflow.store import simulation_runs as runs
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, check_csrf, engine_of, viewer_of
from homeflow.web.rendering import render

if TYPE_CHECKING:
    from homeflow.sim.runner import SimulationResult

RUNS_SIMULATIONS = PLANS
MAX_REPS = 5000
MAX_HORIZON = 730
router = APIRouter()

log = logging.getLogger(__name__)
_background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simulation")


@dataclass(frozen=True, slots=True)
class ModelFile:
    file: str
    name: str | None
    problem: str | None


def model_files(folder: Path, parse: Any) -> list[ModelFile]:
    found = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            seen = path.stat()
        except OSError:
            continue  # taken away while listed
        found.append(_model_file(parse, path, seen.st_mtime_ns, seen.st_size))
    return found


def usable_scenarios(folder: Path) -> set[str]:
    """The scenario files of the models folder that read as scenarios."""
    return {s.file for s in model_files(folder / "scenarios", parse_scenario) if s.problem is None}


def unusable_scenario(field: str, name: str) -> InvalidInput:
    return InvalidInput(field, f"no usable scenario file {name!r}")


@lru_cache(maxsize=1024)
def _model_file(parse: Any, path: Path, _mtime_ns: int, _size: int) -> ModelFile:
    """A file read as `parse` reads it, once for each time and size it has."""
    try:
        return ModelFile(path.name, parse(path.read_text("utf-8"), path.name).name, None)
    except InvalidInput as problem:
        return ModelFile(path.name, None, f"{problem.field}: {problem.reason}")
    except (OSError, UnicodeDecodeError) as error:
        return ModelFile(path.name, None, f"file: cannot be read ({type(error).__name__})")


def _hospital_services(model: Model) -> list[str]:
    """The services patients arrive at from outside: the hospitals' beds."""
    return [s.name for s in model.services if s.arrivals is not None and s.unit == "beds"]


def _run_in_background(engine: Engine, run_id: int, folder: Path) -> None:
    run = runs.run_of(engine, run_id)
    assert run is not None
    runs.mark(engine, run_id, runs.RUNNING)
    asked = Run(run["reps"], run["horizon"], run["start_from"] == "census", run["seed"])

    def progress(done: tuple[tuple[str, int], ...]) -> None:
        runs.record_progress(engine, run_id, done)

    try:
        levers_on = lever_run_day(run["scenarios"])
        validated_to = validation_run_day(run["scenarios"])
        if validated_to is not None:
            planned = validation_run_scenario(run["scenarios"])
            found = validate(
                engine,
                validated_to,
                run["horizon"],
                run["reps"],
                clock.today(),
                run["seed"],
                None if planned is None else load_scenario(folder / "scenarios" / planned),
            )
            runs.mark(engine, run_id, runs.DONE, results=validation_results(found))
            return
        if levers_on is not None:
            model, result = run_levers(engine, folder / run["model"], levers_on, asked, progress)
        else:
            scenario_files = [folder / "scenarios" / name for name in run["scenarios"]]
            model, result = run_simulation(
                engine, folder / run["model"], scenario_files, asked, progress
            )
        runs.mark(engine, run_id, runs.DONE, results=_results(model, result))
    except InvalidInput as problem:
        runs.mark(engine, run_id, runs.FAILED, f"{problem.field}: {problem.reason}")
    except Exception as error:  # a run that breaks must say so, not stay 'running'
        log.exception("simulation run %s failed", run_id)
        runs.mark(engine, run_id, runs.FAILED, f"the run failed ({type(error).__name__})")


def start_in_background(engine: Engine, run_id: int, folder: Path) -> None:
    """A queued run, run by this process's simulation thread (one at a time)."""
    _background.submit(_run_in_background, engine, run_id, folder)


def _results(model: Model, result: SimulationResult) -> dict[str, Any]:
    """What the run page shows: totals, the occupancy and NCTR fans, NCTR by pathway."""
    import pandas as pd  # loaded by the run whose result this is

    hospital = _hospital_services(model)
    return {
        "totals": [
            {k: None if pd.isna(v) else v for k, v in row.items()}
            for row in result.totals().round(2).to_dict("records")
        ],
        "occupancy": result.fan("occupancy", hospital).to_dict("records"),
        "nctr": result.fan("nctr", hospital).to_dict("records"),
        # NCTR patients by pathway on the last day, per scenario.
        "pathways": {
            pathway: result.fan(f"nctr_{pathway.lower()}", hospital)
            .groupby("scenario", sort=False)
            .last()
            .reset_index()
            .to_dict("records")
            for pathway in PATHWAYS
        },
        "services": hospital,
    }


def whole_number(field: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(field, f"{value!r} is not a whole number") from None
    if not low <= number <= high:
        raise InvalidInput(field, f"must be from {low} to {high}")
    return number


def models_folder_of(request: Request) -> Path:
    """The folder of model files and, in scenarios/, scenario files the page offers."""
    return cast(Path, request.app.state.models_folder)


def models_system_of(request: Request) -> str | None:
    """The system the settings say the models folder is (None: found from the registry)."""
    return cast(str | None, request.app.state.models_system)


def check_planning(request: Request, session: Session, action: Planning) -> None:
    """Forbidden (and audited as refused) unless the user may `action` the folder's scenarios."""
    engine = engine_of(request)
    runs.check(engine, viewer_of(session, request), models_system_of(request), action)


RUN_DEFAULTS = {"reps": "1000", "horizon": "120", "start": "census", "seed": "0", "scenario": []}
VALIDATION_DEFAULTS = {
    "validate_to": "",
    "validate_days": "28",
    "validate_reps": "300",
    "validate_scenario": "",
}


def scenarios_form_page(
    request: Request,
    session: Any,
    errors: list[InvalidInput],
    form: dict[str, Any],
    validation: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The page with its forms as sent (`form` the run's, `validation` the validation's) and
    the problems with them."""
    engine, folder, viewer = (
        engine_of(request),
        models_folder_of(request),
        viewer_of(session, request),
    )
    return render(
        request,
        "scenarios.html",
        session,
        {
            "models": model_files(folder, parse_model),
            "scenarios": model_files(folder / "scenarios", parse_scenario),
            "folder": folder,
            "runs": runs.recent_runs(engine, viewer),
            "may_run": runs.may(engine, viewer, models_system_of(request), Planning.RUN),
            "errors": errors,
            "form": form,
            "validation": validation or VALIDATION_DEFAULTS,
        },
        status_code=400 if errors else 200,
    )


@router.get("/scenarios", response_class=HTMLResponse)
def scenarios_page(request: Request, session: Signed) -> HTMLResponse:
    check_planning(request, session, Planning.READ)
    return scenarios_form_page(request, session, [], RUN_DEFAULTS)


def checked_form(
    form: dict[str, str], checks: Sequence[tuple[str, Callable[[str], Any]]]
) -> tuple[dict[str, Any], list[InvalidInput]]:
    """Each field of a form checked, and every problem with them, each naming its field."""
    errors: list[InvalidInput] = []
    checked: dict[str, Any] = {}
    for name, check in checks:
        try:
            checked[name] = check(form.get(name, ""))
        except InvalidInput as problem:
            errors.append(problem)
    return checked, errors


def _checked(
    folder: Path, form: dict[str, str], chosen: list[str]
) -> tuple[dict[str, Any], list[InvalidInput]]:
    """The run's settings from the form, and every problem with them, each naming its field."""
    models = {m.file for m in model_files(folder, parse_model) if m.problem is None}
    known = usable_scenarios(folder)
    checked, errors = checked_form(
        form,
        (
            ("model", lambda v: one_of("model", v, sorted(models))),
            ("reps", lambda v: whole_number("reps", v, 1, MAX_REPS)),
            ("horizon", lambda v: whole_number("horizon", v, 1, MAX_HORIZON)),
            ("seed", lambda v: whole_number("seed", v, 0, 2**31 - 1)),
            ("start", lambda v: one_of("start", v, ("census", "empty"))),
        ),
    )
    unknown = [s for s in chosen if s not in known]
    if unknown:
        errors.append(unusable_scenario("scenario", unknown[0]))
    return checked, errors


async def planners_form(request: Request, session: Session) -> tuple[dict[str, str], FormData]:
    """A form that runs the capacity model: its token checked, from a planner of the folder's
    system only; its fields, and the form as sent (for fields given more than once)."""
    await check_csrf(session, request)
    await run_in_threadpool(check_planning, request, session, Planning.RUN)
    raw = await request.form()
    return {k: str(v) for k, v in raw.items() if isinstance(v, str)}, raw


@router.post("/scenarios/runs", response_model=None)
async def start_run(request: Request, engine: Database, session: Signed) -> Response:
    form, raw = await planners_form(request, session)
    chosen = [str(v) for v in raw.getlist("scenario")]
    folder = models_folder_of(request)
    # Reading the files (and the page again) is the threadpool's work, not the event loop's.
    checked, errors = await run_in_threadpool(_checked, folder, form, chosen)
    if errors:
        return await run_in_threadpool(
            scenarios_form_page, request, session, errors, {**form, "scenario": chosen}
        )
    run_id = await run_in_threadpool(
        runs.queue_run,
        engine,
        viewer_of(session, request),
        models_system_of(request),
        checked["model"],
        chosen,
        checked["reps"],
        checked["horizon"],
        checked["start"],
        checked["seed"],
    )
    start_in_background(engine, run_id, folder)
    return RedirectResponse(f"/scenarios/runs/{run_id}", status_code=303)


def _finished_run(request: Request, session: Session, run_id: int) -> dict[str, Any]:
    run = runs.get_run(engine_of(request), viewer_of(session, request), run_id)
    if run is None or not run["results"]:
        raise access.NotFound(f"finished run {run_id}")
    return run


@router.get("/scenarios/runs/{run_id}.csv")
def run_csv(request: Request, session: Signed, run_id: int) -> Response:
    """The per-scenario totals, for the board paper."""
    run = _finished_run(request, session, run_id)
    totals = run["results"]["totals"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(totals[0]))
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in totals)
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="scenario-run-{run_id}.csv"'},
    )


@router.get("/scenarios/runs/{run_id}.pdf")
def run_pdf(request: Request, session: Signed, run_id: int) -> Response:
    """The comparison as a board paper, printed to PDF."""
    run = _finished_run(request, session, run_id)
    return Response(
        pdf_of(run_report_html(run)),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="scenario-run-{run_id}.pdf"'},
    )


@router.get("/scenarios/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, engine: Database, session: Signed, run_id: int) -> HTMLResponse:
    run = runs.get_run(engine, viewer_of(session, request), run_id)
    if run is None:
        raise access.NotFound(f"run {run_id}")
    levers_on = lever_run_day(run["scenarios"])
    if request.headers.get("HX-Request") and run["status"] in (runs.QUEUED, runs.RUNNING):
        return render(request, "_run_status.html", session, {"run": run, "levers_on": levers_on})
    if validation_run_day(run["scenarios"]) is not None:
        return RedirectResponse(f"/scenarios/validation/{run_id}", status_code=303)  # type: ignore[return-value]
    charts = []
    if run["results"]:
        r = run["results"]
        charts = [
            (
                "occupancy",
                spec_json(fan_spec(r["occupancy"], "Patients in hospital beds", "patients")),
            ),
            (
                "nctr",
                spec_json(
                    fan_spec(
                        r["nctr"],
                        "Patients who no longer meet the criteria to reside",
                        "patients",
                    )
                ),
            ),
        ]
    response = render(
        request,
        "scenario_run.html",
        session,
        {"run": run, "charts": charts, "levers_on": levers_on},
    )
    if request.headers.get("HX-Request"):
        response.headers["HX-Refresh"] = "true"
    return response
