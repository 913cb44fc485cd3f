"""A read-only census page (the full signed-in web app is built on this)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from homeflow.ingest.feeds import feed_health
from homeflow.store.queries import census
from homeflow.web.fhir import FhirProblem, fhir_router, outcome

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(title="homeflow")
    app.include_router(fhir_router(engine))

    @app.exception_handler(FhirProblem)
    def fhir_problem(_request: Request, problem: FhirProblem) -> JSONResponse:
        return problem.response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        if not request.url.path.startswith("/fhir"):
            return await request_validation_exception_handler(request, error)
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return outcome(400, "invalid", str(first["msg"]), where or None)

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, error: StarletteHTTPException) -> Response:
        # The FHIR API answers every error, even an unreadable body, with an OperationOutcome.
        if not request.url.path.startswith("/fhir"):
            return await http_exception_handler(request, error)
        return outcome(error.status_code, "invalid", str(error.detail))

    @app.get("/api/feeds")
    def feeds_api() -> list[dict[str, Any]]:
        return [h.as_dict() for h in feed_health(engine, datetime.now(UTC))]

    @app.get("/", response_class=HTMLResponse)
    def census_page(request: Request, day: str | None = Query(None, alias="date")) -> HTMLResponse:
        try:
            on = date.fromisoformat(day) if day else date.today()
        except ValueError:
            raise HTTPException(422, f"date: {day!r} is not a date (YYYY-MM-DD)") from None
        rows = census(engine, on)
        sites: dict[str, dict[str, int]] = {}
        for r in rows:
            total = sites.setdefault(
                r.site_code,
                {
                    "beds": 0,
                    "occupied": 0,
                    "nctr": 0,
                    "stranded": 0,
                    "super_stranded": 0,
                    "admissions": 0,
                    "discharges": 0,
                },
            )
            for name in total:
                total[name] += getattr(r, name)
        return templates.TemplateResponse(
            request, "census.html", {"day": on, "rows": rows, "sites": sites}
        )

    @app.get("/api/census")
    def census_api(day: date = Query(..., alias="date")) -> list[dict[str, str | int]]:
        return [r.as_dict() for r in census(engine, day)]

    return app
