"""The system overview, and one site's wards."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from homeflow.store import access
from homeflow.web.auth import Database, Signed, escalation_rules_of
from homeflow.web.rendering import render, today

router = APIRouter()


@router.get("/overview", response_class=HTMLResponse)
def overview_page(
    request: Request, engine: Database, session: Signed, site: str | None = None
) -> HTMLResponse:
    now = today()
    rows = access.overview(engine, now, escalation_rules_of(request), site)
    site_name = access.site_name(engine, site) if site is not None else None
    return render(
        request,
        "overview.html",
        session,
        {"rows": rows, "site": site, "site_name": site_name, "yesterday": now - timedelta(days=1)},
    )
