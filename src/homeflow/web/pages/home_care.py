"""The home-care split tree as a page: needed against deliverable hours, and each lever's
share of the gap, drawn with Vega-Lite and written out as a table; and each lever's move run
through the capacity model in the background, its bed-days saved shown beside the move."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from homeflow.domain.clock import today
from homeflow.domain.errors import InvalidInput
from homeflow.domain.planning import Planning
from homeflow.reports.charts import spec_json, split_tree_spec
from homeflow.services.home_care import (
    demand_behind,
    home_care_tree,
    lever_moves,
    lever_people,
    lever_run_name,
    lever_runs,
    tree_rows,
)
from homeflow.sim.model import parse_model
from homeflow.sim.readers import one_of
from homeflow.store import simulation_runs as runs
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.pages.scenarios import (
    MAX_HORIZON,
    MAX_REPS,
    checked_form,
    model_files,
    models_folder_of,
    models_system_of,
    planners_form,
    start_in_background,
    whole_number,
)
from homeflow.web.people import people_page
from homeflow.web.rendering import day_or_yesterday, ended_day, render

router = APIRouter()
DEFAULT_RUN = {"reps": "200", "horizon": "90"}


def _page(
    request: Request,
    engine: Database,
    session: Signed,
    shown: date,
    form: dict[str, str],
    errors: list[InvalidInput],
    against: date | None = None,
) -> HTMLResponse:
    market, tree = home_care_tree(engine, shown, against)
    rows = tree_rows(tree, against is not None)
    levers = [r for r in rows if r["side"]]
    gap = next(r for r in rows if r["lever"] == "Gap")["hours_of_gap"]
    viewer = viewer_of(session, request)
    levers_run = lever_runs(engine, viewer, shown)
    context = {
        "day": shown,
        "against": against,
        "totals": [r for r in rows if not r["side"]],
        "levers": levers,
        "behind": {lever: len(keys) for lever, keys in demand_behind(engine, shown).items()},
        "moves": [(m, levers_run["saved"].get(m.lever)) for m in lever_moves(market)],
        "spec_json": spec_json(split_tree_spec(levers, gap, _axis(against))),
        "levers_run": levers_run,
        "models": [m for m in model_files(models_folder_of(request), parse_model) if not m.problem],
        "may_run": runs.may(engine, viewer, models_system_of(request), Planning.RUN),
        "form": form,
        "errors": errors,
        "typed": {"day": shown, "against": against},
        "filter_errors": [],
    }
    return render(request, "home_care.html", session, context, status_code=400 if errors else 200)


def _axis(against: date | None) -> str:
    if against is None:
        return "hours a week of the gap"
    return f"hours a week of the gap's change since {against:%d/%m/%Y}"


@router.get("/home-care", response_class=HTMLResponse)
def home_care_page(
    request: Request, engine: Database, session: Signed, day: str = "", against: str = ""
) -> HTMLResponse:
    typed = {"day": day, "against": against}
    checked, problems = checked_form(
        typed,
        (
            ("day", lambda v: day_or_yesterday("day", v)),
            ("against", lambda v: ended_day("against", v) if v else None),
        ),
    )
    if problems:  # the form again, as typed, each problem beside its field
        context = {"day": None, "against": None, "typed": typed, "filter_errors": problems}
        return render(request, "home_care.html", session, context, status_code=400)
    return _page(request, engine, session, checked["day"], DEFAULT_RUN, [], checked["against"])


@router.post("/home-care/runs", response_model=None)
async def run_levers_page(request: Request, engine: Database, session: Signed) -> Response:
    """Queue every lever's move of the day's market through a capacity model."""
    form, _ = await planners_form(request, session)
    shown = day_or_yesterday("day", form.get("day", ""))
    folder = models_folder_of(request)
    models = sorted(m.file for m in model_files(folder, parse_model) if not m.problem)
    checked, errors = checked_form(
        form,
        (
            ("model", lambda v: one_of("model", v, models)),
            ("reps", lambda v: whole_number("reps", v, 1, MAX_REPS)),
            ("horizon", lambda v: whole_number("horizon", v, 1, MAX_HORIZON)),
        ),
    )
    if errors:
        return _page(request, engine, session, shown, form, errors)
    run_id = runs.queue_run(
        engine,
        viewer_of(session, request),
        models_system_of(request),
        checked["model"],
        [lever_run_name(shown)],
        checked["reps"],
        checked["horizon"],
        "empty",
        0,
    )
    start_in_background(engine, run_id, folder)
    return RedirectResponse(f"/home-care?day={shown:%d/%m/%Y}#moves-heading", status_code=303)


@router.get("/home-care/people", response_class=HTMLResponse)
def lever_people_page(
    request: Request, engine: Database, session: Signed, lever: str, day: str = ""
) -> HTMLResponse:
    """The packages and referrals a demand lever of the tree is measured on."""
    found = lever_people(
        engine, viewer_of(session, request), day_or_yesterday("day", day), lever, today()
    )
    return people_page(request, session, found)
