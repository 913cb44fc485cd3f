"""The directory of trusted services: searched by need and area on a page for staff, and
served read-only as an Open Referral UK API for anyone (it holds no patient data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from homeflow.domain.community.directory import NEEDS
from homeflow.services import community as service
from homeflow.store import community as store
from homeflow.store.access.scope import NotFound
from homeflow.store.db import reading
from homeflow.web.auth import Database, Signed
from homeflow.web.rendering import render

router = APIRouter()


@router.get("/community/directory", response_class=HTMLResponse)
def directory_page(
    request: Request,
    engine: Database,
    session: Signed,
    text: str = "",
    need: str = "",
    area: str = "",
) -> HTMLResponse:
    with reading(engine) as conn:
        services = store.directory(conn)
    areas = sorted({a for s in services.values() for a in s.areas if a})
    found = [s for s in services.values() if s.matches(text, need, area)]
    return render(
        request,
        "directory.html",
        session,
        {
            "services": sorted(found, key=lambda s: s.name),
            "total": len(services),
            "needs": NEEDS,
            "areas": areas,
            "text": text,
            "need": need,
            "area": area,
        },
    )


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
