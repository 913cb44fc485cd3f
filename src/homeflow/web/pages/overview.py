"""The system overview, and one site's wards."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from homeflow.config import models_folder
from homeflow.domain.clock import now as clock_now
from homeflow.domain.clock import today
from homeflow.domain.errors import InvalidInput
from homeflow.services.after_discharge import community_capacity
from homeflow.services.morning_predictions import Morning, Outlook, morning, outlooks
from homeflow.store import access
from homeflow.store.access.predicted import likely_people
from homeflow.web.auth import Database, Signed, escalation_rules_of, viewer_of
from homeflow.web.rendering import render

router = APIRouter()


@router.get("/overview", response_class=HTMLResponse)
def overview_page(
    request: Request, engine: Database, session: Signed, site: str | None = None
) -> HTMLResponse:
    now = today()
    rules = escalation_rules_of(request)
    rows = access.overview(engine, now, rules, site)
    site_name = access.site_name(engine, site) if site is not None else None
    # The single view: beside the hospitals, what reablement, home care and the beds and
    # care homes people leave hospital to have in use, and who waits for them.
    support = community_capacity(engine, now, rules.occupancy_percent) if site is None else []
    context = {
        "rows": rows,
        "site": site,
        "site_name": site_name,
        "yesterday": now - timedelta(days=1),
        "support": support,
        "morning": (found := morning(engine, clock_now(), models_folder())),
        "expected": expected_by_place(engine, found, site, rows),
    }
    return render(request, "overview.html", session, context)


def expected_by_place(
    engine: Engine, found: Morning, site: str | None, rows: list[access.OverviewRow]
) -> list[tuple[str, str, str, Outlook]]:
    """(query, code, name, outlook) a site, or a ward of the chosen site (named as its row of
    the overview names it)."""
    level = "site" if site is None else "ward"
    named = {row.wards: row.place for row in rows}
    return [
        (
            f"{level}={quote(code)}",
            code,
            access.site_name(engine, code)
            if site is None
            else named.get(urlencode({"ward": code}), code),
            outlook,
        )
        for code, outlook in outlooks(found, site).items()
    ]


@router.get("/overview/discharges", response_class=HTMLResponse)
def expected_discharges_page(
    request: Request,
    engine: Database,
    session: Signed,
    horizon: str,
    site: str | None = None,
    ward: str | None = None,
) -> HTMLResponse:
    """The patients behind an expected figure, each adding their probability, most likely
    first: their probabilities sum to the figure."""
    if horizon not in ("today", "tomorrow"):
        raise InvalidInput("horizon", f"{horizon!r} is not today or tomorrow")
    site, ward = site or None, ward or None
    if (site is None) == (ward is None):
        raise InvalidInput("site", "give either a site or a ward")
    found = morning(engine, clock_now(), models_folder())
    among = [p for p in found.predictions if site in (None, p.site_code)]
    among = [p for p in among if ward in (None, p.ward_code)]
    place = f"ward {ward}" if ward else access.site_name(engine, site or "")
    title = f"expected discharges {'today' if horizon == 'today' else 'by tomorrow'}, {place}"
    chances = [
        (p.spell_key, p.ward_code, p.expected_discharge_date, getattr(p, horizon)) for p in among
    ]
    rows = likely_people(engine, viewer_of(session, request), title, chances, today())
    context = {
        "title": title,
        "morning": found,
        "rows": rows,
        "figure": sum(row.chance for row in rows),
    }
    return render(request, "expected_discharges.html", session, context)
