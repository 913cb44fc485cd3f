"""The weekly intermediate care return as a page beside its CSV, each figure opening to the
patients it counts, and the stays to put right before submitting."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from homeflow.domain.clock import today
from homeflow.reports.cells import safe_row
from homeflow.reports.intermediate_care import COLUMNS, IcRow, week_of
from homeflow.services import intermediate_care as ic
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.pages.scenarios import checked_form
from homeflow.web.people import people_page
from homeflow.web.rendering import ended_day, render

router = APIRouter()


def last_sunday_ended() -> date:
    """The last week of the collection that has ended: the Sunday before today."""
    yesterday = today() - timedelta(days=1)
    return yesterday - timedelta(days=(yesterday.weekday() + 1) % 7)


def week_ending_of(field_name: str, text: str) -> date:
    """A week-ending day typed dd/mm/yyyy: it has ended, and it is a Sunday (the last week
    ended when left empty)."""
    if not text:
        return last_sunday_ended()
    day = ended_day(field_name, text)
    week_of(day, field_name)
    return day


@dataclass
class Section:
    """One provider's service: its daily figures by day, and its weekly figures."""

    org_code: str
    org_name: str
    service: str
    days: list[date] = field(default_factory=list)
    daily: dict[tuple[str, str], dict[date, IcRow]] = field(default_factory=dict)
    weekly: list[IcRow] = field(default_factory=list)


def sections(rows: Sequence[IcRow]) -> list[Section]:
    found: dict[tuple[str, str], Section] = {}
    for row in rows:
        key = (row.org_code, row.service)
        section = found.setdefault(key, Section(row.org_code, row.org_name, row.service))
        if row.metric_type == "Daily":
            if row.period not in section.days:
                section.days.append(row.period)
            section.daily.setdefault((row.metric, row.metric_group), {})[row.period] = row
        elif row.value or row.metric_type != "Delay reason":
            # A delay reason no patient waits for is left out of the page, not the file.
            section.weekly.append(row)
    return list(found.values())


@router.get("/returns/intermediate-care", response_class=HTMLResponse)
def intermediate_care_page(
    request: Request, engine: Database, session: Signed, week_ending: str = "", org: str = ""
) -> HTMLResponse:
    typed = {"week_ending": week_ending, "org": org}
    checked, errors = checked_form(
        typed, [("week_ending", lambda v: week_ending_of("week_ending", v))]
    )
    context: dict[str, Any] = {"org": org, "typed": typed, "errors": errors, "week_ending": None}
    if errors:  # the form again, as typed, with what is wrong beside the field
        context |= {"orgs": {}, "sections": [], "problems": {}}
        return render(request, "intermediate_care.html", session, context, 400)
    shown = checked["week_ending"]
    every = ic.ic_rows(engine, shown)
    orgs = {r.org_code: r.org_name for r in every}
    rows = [r for r in every if not org or r.org_code == org]
    context |= {
        "week_ending": shown,
        "first_day": shown - timedelta(days=6),
        "typed": {"week_ending": shown, "org": org},
        "orgs": orgs,
        "sections": sections(rows),
        "problems": ic.ic_problems(engine, shown, org or None),
    }
    return render(request, "intermediate_care.html", session, context)


@router.get("/returns/intermediate-care.csv")
def intermediate_care_csv(
    request: Request, engine: Database, session: Signed, week_ending: str = "", org: str = ""
) -> Response:
    shown = week_ending_of("week_ending", week_ending)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in ic.ic_rows(engine, shown, org or None):
        writer.writerow(safe_row(row.as_list()))
    name = f"intermediate-care-{org or 'all'}-{shown.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/returns/intermediate-care/people", response_class=HTMLResponse)
def intermediate_care_people_page(
    request: Request,
    engine: Database,
    session: Signed,
    org: str,
    week_ending: str = "",
    on: str = "",
    service: str = "",
    metric: str = "",
    type: str = "",
    group: str = "",
    problem: str = "",
) -> HTMLResponse:
    day = ended_day("on", on) if on else None
    shown = week_ending_of("week_ending", week_ending)
    viewer = viewer_of(session, request)
    if problem:
        found = ic.problem_people(engine, viewer, shown, org, problem, today())
    else:
        figure = (day or shown, service, metric, type, group)
        found = ic.ic_people(engine, viewer, shown, org, figure, today())
    return people_page(request, session, found)
