"""A ward's whiteboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from homeflow.domain.clock import today
from homeflow.store import access
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.rendering import render

router = APIRouter()


@router.get("/wards/{ward_code}", response_class=HTMLResponse)
def whiteboard_page(
    request: Request, engine: Database, session: Signed, ward_code: str, only: str | None = None
) -> HTMLResponse:
    board = access.whiteboard(engine, viewer_of(session, request), ward_code, today(), only)
    return render(request, "whiteboard.html", session, {"board": board, "only": only})
