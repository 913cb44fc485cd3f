"""The capacity model checked against what happened (`homeflow validate` on the web): asked for
from the Winter scenarios page, run in the background as the scenario runs are, kept as a run
(store/simulation_runs) and shown as fan charts of each service's occupancy and NCTR with the
actual line, beside the comparison table."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput
from homeflow.reports.charts import fan_spec, spec_json
from homeflow.services.projects import PracticeChange, changes_between
from homeflow.services.validation import (
    MAX_DAYS,
    MAX_REPS,
    check_options,
    validation_run_day,
    validation_run_name,
    validation_run_scenario,
)
from homeflow.store import access
from homeflow.store import simulation_runs as runs
from homeflow.store.db import reading
from homeflow.store.registry import system_of
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.pages.scenarios import (
    RUN_DEFAULTS,
    VALIDATION_DEFAULTS,
    checked_form,
    models_folder_of,
    models_system_of,
    planners_form,
    scenarios_form_page,
    start_in_background,
    unusable_scenario,
    usable_scenarios,
    whole_number,
)
from homeflow.web.rendering import ended_day, render

MODEL = "calibrated on the record"  # the run's model: fitted to the history, not a file
router = APIRouter()

MEASURES = {
    "occupancy": "Patients in the beds",
    "nctr": "Patients who no longer meet the criteria to reside",
}


def _checked(form: dict[str, str], folder: Path) -> tuple[dict[str, Any], list[InvalidInput]]:
    """The validation's settings (fields named validate_…: the page's run form has its own
    replications), and every problem with them."""
    checked, errors = checked_form(
        form,
        (
            ("validate_to", lambda v: ended_day("validate_to", v)),
            ("validate_days", lambda v: whole_number("validate_days", v, 1, MAX_DAYS)),
            ("validate_reps", lambda v: whole_number("validate_reps", v, 1, MAX_REPS)),
        ),
    )
    # A scenario of changes known at the day (waits changed from a date): one of the folder's.
    planned = form.get("validate_scenario", "")
    if planned and planned not in usable_scenarios(folder):
        errors.append(unusable_scenario("validate_scenario", planned))
    checked["validate_scenario"] = planned or None
    if not errors:
        try:
            check_options(
                checked["validate_to"],
                checked["validate_days"],
                checked["validate_reps"],
                clock.today(),
            )
        except InvalidInput as problem:
            errors.append(InvalidInput(f"validate_{problem.field}", problem.reason))
    return checked, errors


@router.post("/scenarios/validation", response_model=None)
async def start_validation(request: Request, engine: Database, session: Signed) -> Response:
    """Queue a validation: calibrate on the history up to `to`, run `days` from its census."""
    form, _ = await planners_form(request, session)
    checked, errors = await run_in_threadpool(_checked, form, models_folder_of(request))
    if errors:
        return await run_in_threadpool(
            scenarios_form_page,
            request,
            session,
            errors,
            RUN_DEFAULTS,
            {**VALIDATION_DEFAULTS, **form},
        )
    run_id = await run_in_threadpool(
        runs.queue_run,
        engine,
        viewer_of(session, request),
        models_system_of(request),
        MODEL,
        [
            validation_run_name(checked["validate_to"]),
            *([checked["validate_scenario"]] if checked["validate_scenario"] else []),
        ],
        checked["validate_reps"],
        checked["validate_days"],
        "census",
        0,
    )
    start_in_background(engine, run_id, models_folder_of(request))
    return RedirectResponse(f"/scenarios/validation/{run_id}", status_code=303)


@router.get("/scenarios/validation/{run_id}", response_class=HTMLResponse)
def validation_page(
    request: Request, engine: Database, session: Signed, run_id: int
) -> HTMLResponse:
    run = runs.get_run(engine, viewer_of(session, request), run_id)
    if run is None:
        raise access.NotFound(f"validation {run_id}")
    to = validation_run_day(run["scenarios"])
    if to is None:  # a run of scenarios has its own page
        return RedirectResponse(f"/scenarios/runs/{run_id}", status_code=303)  # type: ignore[return-value]
    if request.headers.get("HX-Request") and run["status"] in (runs.QUEUED, runs.RUNNING):
        return render(
            request,
            "_run_status.html",
            session,
            {
                "run": run,
                "levers_on": None,
                "to": to,
                "planned": validation_run_scenario(run["scenarios"]),
            },
        )
    charts = []
    if run["results"]:
        fans = run["results"]["fans"]
        charts = [
            (measure, title, spec_json(fan_spec(fans[measure], "", "patients", shared=False)))
            for measure, title in MEASURES.items()
        ]
    response = render(
        request,
        "validation_run.html",
        session,
        {
            "run": run,
            "to": to,
            "planned": validation_run_scenario(run["scenarios"]),
            "first": to + timedelta(days=1),
            "last": to + timedelta(days=run["horizon"]),
            "charts": charts,
            "measures": MEASURES,
            "changes": _changes(engine, session, request, run, to) if run["results"] else [],
        },
    )
    if request.headers.get("HX-Request"):
        response.headers["HX-Refresh"] = "true"
    return response


def _changes(
    engine: Database, session: Signed, request: Request, run: dict[str, Any], to: date
) -> list[PracticeChange]:
    """The changes in practice the viewer's system's PDSA cycles made in the days compared."""
    with reading(engine) as conn:
        system = system_of(conn, viewer_of(session, request).org_code)
    last = to + timedelta(days=run["horizon"])
    return changes_between(engine, to + timedelta(days=1), last, system)
