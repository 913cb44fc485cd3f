"""The audit log, for admins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from homeflow.store import access
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.rendering import render
from homeflow.web.sorting import Column, sort_rows, sortable

router = APIRouter()
COLUMNS: Mapping[str, Column[Any]] = sortable(
    "audit.html",
    {
        "when": Column(lambda e: e.at, first="desc", shows="when"),
        "who": Column(lambda e: e.user_email),
        "org": Column(lambda e: e.org_code),
        "did": Column(lambda e: e.action),
        "what": Column(lambda e: e.what),
        "spell": Column(lambda e: e.spell_key),
        "from": Column(lambda e: e.client),
    },
)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    engine: Database,
    session: Signed,
    user: str | None = None,
    spell: str | None = None,
) -> HTMLResponse:
    entries, sorting = sort_rows(
        request, access.audit_entries(engine, viewer_of(session, request), user, spell), COLUMNS
    )
    return render(
        request,
        "audit.html",
        session,
        {"entries": entries, "user_filter": user, "spell": spell, "sorting": sorting},
    )
