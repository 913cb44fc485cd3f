"""Every measure of a place as an SPC chart."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from homeflow.domain.clock import parse_day
from homeflow.domain.errors import InvalidInput
from homeflow.reports.kpi import Level, Period
from homeflow.services.measures import measure_charts, places
from homeflow.web.auth import Database, Signed
from homeflow.web.pages.scenarios import checked_form
from homeflow.web.rendering import day_or_yesterday, ended_day, render

router = APIRouter()
MAX_DAYS = 3 * 366  # three years of daily points is more than a chart can show
LABELS = {"start": "From", "end": "To", "rebase": "A change made on"}


def _dates(typed: dict[str, str]) -> tuple[dict[str, date | None], list[InvalidInput]]:
    """The chart's first and last days (both ended) and its rebase day, and every problem
    with them, each naming its field."""
    checked, errors = checked_form(
        typed,
        (
            ("end", lambda v: day_or_yesterday("end", v)),
            ("start", lambda v: ended_day("start", v) if v else None),
            ("rebase", lambda v: parse_day("rebase", v) if v else None),
        ),
    )
    first, last = checked.get("start"), checked.get("end")
    if last is not None and "start" in checked and first is None:  # left empty: 90 days
        first = checked["start"] = last - timedelta(days=89)
    if first is not None and last is not None:
        if not first <= last:
            errors.append(InvalidInput("start", "must not be after the last day"))
        elif (last - first).days > MAX_DAYS:
            errors.append(InvalidInput("start", f"at most {MAX_DAYS} days before the last day"))
    order = [field for field, _ in LABELS.items()]
    return checked, sorted(errors, key=lambda e: order.index(e.field))


@router.get("/measures", response_class=HTMLResponse)
def measures_page(
    request: Request,
    engine: Database,
    session: Signed,
    level: Level = Level.SYSTEM,
    place: str = "",
    start: str = "",
    end: str = "",
    period: Period = Period.DAILY,
    rebase: str = "",
) -> HTMLResponse:
    typed = {"start": start, "end": end, "rebase": rebase}
    checked, errors = _dates(typed)
    known = places(engine, level)
    context: dict[str, object] = {
        "level": level,
        "place": place or (known[0] if known else "system"),
        "places": known,
        "levels": list(Level),
        "periods": list(Period),
        "period": period,
        "labels": LABELS,
        "errors": errors,
    }
    if errors:  # the form again, as typed, each problem beside its field
        return render(request, "measures.html", session, {**context, "typed": typed}, 400)
    first, last, changed = checked["start"], checked["end"], checked["rebase"]
    assert first is not None and last is not None
    charts = measure_charts(
        engine, level, place, first, last, period, rebase=[changed] if changed else [], delays=True
    )
    shown = {"start": first, "end": last, "rebase": changed}
    context |= {"charts": charts, "start": first, "end": last, "typed": shown}
    return render(request, "measures.html", session, context)
