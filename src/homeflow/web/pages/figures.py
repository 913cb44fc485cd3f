"""Every figure opens to its patients: the census behind the overview's counts, the daily
sitrep as a page beside its CSV, and the list behind each of their figures."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from homeflow.domain.clock import today
from homeflow.domain.errors import InvalidInput
from homeflow.reports.cells import safe_row
from homeflow.reports.kpi import Level
from homeflow.reports.sitrep import COLUMNS
from homeflow.services import returns
from homeflow.store.access.people import wards_of
from homeflow.store.db import reading
from homeflow.store.registry import organisation_names
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.pages.scenarios import checked_form
from homeflow.web.people import people_page
from homeflow.web.rendering import day_or_yesterday, day_so_far, ended_day, render

router = APIRouter()


@router.get("/people/census", response_class=HTMLResponse)
def census_people_page(
    request: Request,
    engine: Database,
    session: Signed,
    measure: str,
    day: str = "",
    ward: str = "",
    site: str = "",
    type: str = "",
    org: str = "",
) -> HTMLResponse:
    shown = _census_day(day)
    wards, name = wards_of(engine, ward or None, site or None, type or None, org or None)
    found = returns.census_people(
        engine,
        viewer_of(session, request),
        shown,
        measure,
        wards,
        name,
        today(),
    )
    return people_page(request, session, found)


def _census_day(text: str) -> date:
    """The day of a census figure: a day that has ended (yesterday when left empty), or today
    for the overview's figures of now, the census so far; never a day to come."""
    return day_so_far("day", text) if text else today() - timedelta(days=1)


@router.get("/returns/sitrep", response_class=HTMLResponse)
def sitrep_page(
    request: Request, engine: Database, session: Signed, day: str = "", org: str = ""
) -> HTMLResponse:
    typed = {"day": day, "org": org}
    checked, errors = checked_form(typed, [("day", lambda v: day_or_yesterday("day", v))])
    with reading(engine) as conn:
        names = organisation_names(conn)
    if errors:  # the form again, as typed, with what is wrong beside the field
        orgs = [org] if org else []
        context = {"day": None, "org": org, "orgs": orgs, "typed": typed, "errors": errors}
        return render(request, "sitrep.html", session, context | {"org_names": names}, 400)
    shown = checked["day"]
    every = returns.sitrep_rows(engine, shown)
    orgs = sorted({r.org_code for r in every})
    rows = [r for r in every if not org or r.org_code == org]
    problems = returns.sitrep_problem_people(
        engine, viewer_of(session, request), shown, org or None, today()
    )
    shown_as = {"rows": rows, "day": shown, "org": org, "orgs": orgs, "typed": {"day": shown}}
    shown_as |= {"problems": problems, "errors": [], "org_names": names}
    return render(request, "sitrep.html", session, shown_as)


@router.get("/returns/sitrep.csv")
def sitrep_csv(
    request: Request, engine: Database, session: Signed, day: str = "", org: str = ""
) -> Response:
    shown = day_or_yesterday("day", day)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in returns.sitrep_rows(engine, shown, org or None):
        writer.writerow(safe_row(row.as_list()))
    name = f"sitrep-{org or 'all'}-{shown.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/returns/sitrep/people", response_class=HTMLResponse)
def sitrep_people_page(
    request: Request,
    engine: Database,
    session: Signed,
    org: str,
    metric: str,
    type: str,
    group: str,
    day: str = "",
) -> HTMLResponse:
    found = returns.sitrep_people(
        engine,
        viewer_of(session, request),
        day_or_yesterday("day", day),
        org,
        (metric, type, group),
        today(),
    )
    return people_page(request, session, found)


@router.get("/people/kpi", response_class=HTMLResponse)
def kpi_people_page(
    request: Request,
    engine: Database,
    session: Signed,
    kpi: str,
    level: str,
    place: str,
    start: str,
    end: str,
    measure: str = "",
) -> HTMLResponse:
    try:
        at = Level(level)
    except ValueError:
        raise InvalidInput("level", f"{level!r} is not ward, site, org or system") from None
    found = returns.kpi_people(
        engine,
        viewer_of(session, request),
        kpi,
        measure,
        at,
        place,
        ended_day("start", start),
        ended_day("end", end),
        today(),
    )
    return people_page(request, session, found)
