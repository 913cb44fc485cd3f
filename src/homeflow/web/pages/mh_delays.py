"""Mental health delayed discharges: a month's delayed days by provider or local authority,
beside the sitrep, each figure opening to its patients and their days."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from homeflow.domain.clock import format_month, last_whole_month, today
from homeflow.reports.cells import safe_row
from homeflow.reports.mh_delays import COLUMNS, By
from homeflow.services.mh_delays import by_named, ended_month, mh_delay_people, mh_delays
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.pages.scenarios import checked_form
from homeflow.web.people import people_page
from homeflow.web.rendering import render

router = APIRouter()


@router.get("/returns/mh-delays", response_class=HTMLResponse)
def mh_delays_page(
    request: Request, engine: Database, session: Signed, month: str = "", by: str = "provider"
) -> HTMLResponse:
    now = today()
    typed = {"month": month or format_month(*last_whole_month(now)), "by": by}
    checked, errors = checked_form(
        typed,
        [("month", lambda v: ended_month("month", v, now)), ("by", lambda v: by_named("by", v))],
    )
    context = {"typed": typed, "errors": errors, "breakdowns": [b.value for b in By]}
    if errors:  # the form again, as typed, with what is wrong beside the field
        return render(request, "mh_delays.html", session, context | {"rows": []}, 400)
    first, last = checked["month"]
    rows = mh_delays(engine, first, last, checked["by"])
    shown = {"rows": rows, "first": first, "total": sum(r.delayed_days for r in rows)}
    return render(request, "mh_delays.html", session, context | shown)


@router.get("/returns/mh-delays.csv")
def mh_delays_csv(
    request: Request, engine: Database, session: Signed, month: str, by: str = "provider"
) -> Response:
    now = today()
    first, last = ended_month("month", month, now)
    breakdown = by_named("by", by)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in mh_delays(engine, first, last, breakdown):
        writer.writerow(safe_row(row.as_list()))
    name = f"mh-delays-{breakdown.value}-{first:%Y-%m}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/returns/mh-delays/people", response_class=HTMLResponse)
def mh_delay_people_page(
    request: Request, engine: Database, session: Signed, month: str, by: str, code: str
) -> HTMLResponse:
    now = today()
    first, last = ended_month("month", month, now)
    found = mh_delay_people(
        engine, viewer_of(session, request), first, last, by_named("by", by), code, now
    )
    return people_page(request, session, found)
