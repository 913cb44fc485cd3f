"""The stranded and super-stranded review list."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from homeflow.domain import forms
from homeflow.domain.clock import today
from homeflow.store import access
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.rendering import paged, render

router = APIRouter()


@router.get("/stranded", response_class=HTMLResponse)
def stranded_page(
    request: Request,
    engine: Database,
    session: Signed,
    only: str | None = None,
    org: str = "",
    page: int = 1,
) -> HTMLResponse:
    rows = access.stranded_list(engine, viewer_of(session, request), today())
    orgs = sorted({r.org_code for r in rows})
    if only == "super":
        rows = [r for r in rows if r.super_stranded]
    if org:
        rows = [r for r in rows if r.org_code == org]
    shown, page, pages = paged(rows, page)
    return render(
        request,
        "stranded.html",
        session,
        {
            "rows": shown,
            "total": len(rows),
            "super_total": sum(r.super_stranded for r in rows),
            "only": only,
            "org": org,
            "orgs": orgs,
            "page": page,
            "pages": pages,
            "review_seen": forms.review_seen,
        },
    )
