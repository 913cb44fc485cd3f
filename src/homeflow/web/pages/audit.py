"""The audit log, for admins."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from homeflow.store import access
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.rendering import render

router = APIRouter()


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    engine: Database,
    session: Signed,
    user: str | None = None,
    spell: str | None = None,
) -> HTMLResponse:
    entries = access.audit_entries(engine, viewer_of(session, request), user, spell)
    return render(
        request, "audit.html", session, {"entries": entries, "user_filter": user, "spell": spell}
    )
