"""The directory of trusted services: searched by need and area on a page for staff, and
served read-only as an Open Referral UK API for anyone (it holds no patient data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import Engine

from homeflow.domain.clock import parse_day, today
from homeflow.domain.community.directory import NEEDS, RATINGS, DirectoryService
from homeflow.domain.errors import InvalidInput
from homeflow.services import community as service
from homeflow.store import community as store
from homeflow.store.access.scope import NotFound
from homeflow.store.db import reading
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.rendering import render
from homeflow.web.sorting import Column, sort_rows, sortable

router = APIRouter()
# The services found, by name unless a header asks for another order.
COLUMNS: Mapping[str, Column[DirectoryService]] = sortable(
    "directory.html",
    {
        "service": Column(lambda s: f"{s.name}, {s.organisation}"),
        "area": Column(lambda s: ", ".join(s.areas)),
        "quality": Column(lambda s: s.qa_rating or "Not rated"),
    },
)


@router.get("/community/directory", response_class=HTMLResponse)
def directory_page(
    request: Request,
    engine: Database,
    session: Signed,
    text: str = "",
    need: str = "",
    area: str = "",
) -> HTMLResponse:
    return _directory(request, engine, session, text, need, area, None, 200)


def _directory(
    request: Request,
    engine: Engine,
    session: Session,
    text: str,
    need: str,
    area: str,
    problem: str | None,
    status_code: int,
) -> HTMLResponse:
    with reading(engine) as conn:
        services = store.directory(conn)
    areas = sorted({a for s in services.values() for a in s.areas if a})
    found = [s for s in services.values() if s.matches(text, need, area)]
    services_shown, sorting = sort_rows(request, sorted(found, key=lambda s: s.name), COLUMNS)
    return render(
        request,
        "directory.html",
        session,
        {
            "services": services_shown,
            "sorting": sorting,
            "total": len(services),
            "needs": NEEDS,
            "areas": areas,
            "text": text,
            "need": need,
            "area": area,
            "ratings": RATINGS,
            "may_review": service.may_review(engine, viewer_of(session, request)),
            "problem": problem,
            "today": today(),
        },
        status_code,
    )


@router.post("/community/directory/{service_id}/review", response_model=None)
async def review(request: Request, engine: Database, session: Signed, service_id: str) -> Response:
    """A quality-assurance review: the rating, on a day, by the signed-in reviewer."""
    await check_csrf(session, request)
    form = await request.form()
    rating, on = str(form.get("rating", "")), str(form.get("reviewed_on", ""))
    try:
        day = parse_day("reviewed_on", on)
        service.review_service(
            engine, service_id, rating, day, viewer_of(session, request), today()
        )
    except InvalidInput as bad:
        return _directory(
            request,
            engine,
            session,
            "",
            "",
            "",
            f"Not saved: {bad.field.replace('_', ' ')} {bad.reason}.",
            400,
        )
    return RedirectResponse(f"/community/directory#{quote(service_id)}", status_code=303)


@router.get("/openreferral/services")
def open_referral_services(
    engine: Database,
    page: int = 1,
    per_page: int = 50,
    text: str = "",
    taxonomy_term_id: str = "",
) -> JSONResponse:
    """HSDS 3.0 `/services`: a page of services with their one-to-one fields."""
    body: dict[str, Any] = service.open_referral_services(
        engine, page, per_page, text, taxonomy_term_id
    )
    return JSONResponse(body)


@router.get("/openreferral/services/{service_id}")
def open_referral_service(engine: Database, service_id: str) -> JSONResponse:
    """HSDS 3.0 `/services/{id}`: the service fully nested, as it was imported."""
    found = service.open_referral_service(engine, service_id)
    if found is None:
        raise NotFound(f"no service {service_id!r}")
    return JSONResponse(found)
