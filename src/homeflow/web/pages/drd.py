"""The month's discharge ready date measures beside the daily sitrep, by trust, site, ward or
integrated care board; every count and bed-day figure opens to the patients behind it."""

from __future__ import annotations

import csv
import io
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from homeflow.domain.clock import ended_month, format_month, last_whole_month, today
from homeflow.domain.errors import InvalidInput
from homeflow.reports.cells import safe_row
from homeflow.reports.drd import BED_DAY_FIGURES, COLUMNS, FIGURES, MEASURES
from homeflow.services.drd import BY_WORDS, By, drd_month, drd_people
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.pages.scenarios import checked_form
from homeflow.web.people import people_page
from homeflow.web.rendering import render

router = APIRouter()


def _by(text: str) -> By:
    try:
        return By(text or By.TRUST.value)
    except ValueError:
        choices = ", ".join(b.value for b in By)
        raise InvalidInput("by", f"{text!r} is not one of {choices}") from None


@router.get("/returns/drd", response_class=HTMLResponse)
def drd_page(
    request: Request, engine: Database, session: Signed, month: str = "", by: str = ""
) -> HTMLResponse:
    now = today()
    typed = {"month": month or format_month(*last_whole_month(now)), "by": by or By.TRUST.value}
    checked, errors = checked_form(
        typed, [("month", lambda v: ended_month("month", v.strip(), now)), ("by", _by)]
    )
    shown = {"typed": typed, "errors": errors, "choices": BY_WORDS, "measures": MEASURES}
    if errors:  # the form again, as typed, with what is wrong beside the field
        return render(request, "drd.html", session, shown | {"found": None}, 400)
    year, number = checked["month"]
    found = drd_month(engine, year, number, checked["by"])
    figures = {"linked": FIGURES, "bed_days": BED_DAY_FIGURES}
    month_words = f"{date(year, number, 1):%B %Y}"
    return render(
        request, "drd.html", session, shown | figures | {"found": found, "month_words": month_words}
    )


@router.get("/returns/drd.csv")
def drd_csv(engine: Database, session: Signed, month: str = "", by: str = "") -> Response:
    """The month's measures in the publication's shape: a row a place, a column a measure."""
    now = today()
    year, number = ended_month("month", month, now) if month else last_whole_month(now)
    found = drd_month(engine, year, number, _by(by))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in found.rows():
        writer.writerow(safe_row("" if row[c] is None else row[c] for c in COLUMNS))
    name = f"drd-{found.by.value}-{found.period}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/returns/drd/people", response_class=HTMLResponse)
def drd_people_page(
    request: Request,
    engine: Database,
    session: Signed,
    month: str,
    by: str,
    place: str,
    figure: str,
) -> HTMLResponse:
    now = today()
    year, number = ended_month("month", month, now)
    found = drd_people(
        engine, viewer_of(session, request), year, number, _by(by), place, figure, now
    )
    return people_page(request, session, found)
