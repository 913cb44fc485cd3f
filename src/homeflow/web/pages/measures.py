"""Every measure of a place as an SPC chart."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from homeflow.domain.clock import parse_day
from homeflow.domain.errors import InvalidInput
from homeflow.reports.kpi import Level, Period
from homeflow.services.measures import measure_charts, places
from homeflow.web.auth import Database, Signed
from homeflow.web.rendering import day_or_yesterday, render

router = APIRouter()
MAX_DAYS = 3 * 366  # three years of daily points is more than a chart can show


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
    last = day_or_yesterday("end", end)
    first = parse_day("start", start) if start else last - timedelta(days=89)
    changed = parse_day("rebase", rebase) if rebase else None
    if not first <= last:
        raise InvalidInput("start", "must not be after end")
    if (last - first).days > MAX_DAYS:
        raise InvalidInput("start", f"at most {MAX_DAYS} days before end")
    charts = measure_charts(
        engine, level, place, first, last, period, rebase=[changed] if changed else []
    )
    known = places(engine, level)
    return render(
        request,
        "measures.html",
        session,
        {
            "charts": charts,
            "level": level,
            "place": place or (known[0] if known else "system"),
            "places": known,
            "levels": list(Level),
            "periods": list(Period),
            "period": period,
            "start": first,
            "end": last,
            "rebase": changed,
        },
    )
