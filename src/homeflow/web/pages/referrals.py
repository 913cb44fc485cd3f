"""The referrals board."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from homeflow.domain import events as ev
from homeflow.domain.clock import today
from homeflow.domain.errors import InvalidInput
from homeflow.store import access
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.rendering import paged, render

router = APIRouter()


@router.get("/referrals", response_class=HTMLResponse)
def referrals_page(
    request: Request,
    engine: Database,
    session: Signed,
    service: str | None = None,
    org: str = "",
    page: int = 1,
) -> HTMLResponse:
    if service and service not in set(ev.ReferralService):
        raise InvalidInput("service", f"{service!r} is not a referral service")
    rows = access.referrals_board(engine, viewer_of(session, request), today(), service)
    orgs = sorted({r.org_code for r in rows} | {r.provider_org for r in rows if r.provider_org})
    if org:
        rows = [r for r in rows if org in (r.org_code, r.provider_org)]
    shown, page, pages = paged(rows, page)
    return render(
        request,
        "referrals.html",
        session,
        {
            "rows": shown,
            "total": len(rows),
            "service": service,
            "org": org,
            "orgs": orgs,
            "page": page,
            "pages": pages,
        },
    )
