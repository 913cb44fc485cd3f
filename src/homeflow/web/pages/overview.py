"""The system overview, and one site's wards."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from homeflow.domain.clock import today
from homeflow.services.after_discharge import community_capacity
from homeflow.store import access
from homeflow.web.auth import Database, Signed, escalation_rules_of
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
    }
    return render(request, "overview.html", session, context)
