"""A read-only census page (the full signed-in web app is built on this)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from homeflow.store.queries import census

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(title="homeflow")

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
    def census_api(day: str = Query(..., alias="date")) -> list[dict[str, str | int]]:
        try:
            on = date.fromisoformat(day)
        except ValueError:
            raise HTTPException(422, f"date: {day!r} is not a date (YYYY-MM-DD)") from None
        return [r.as_dict() for r in census(engine, on)]

    return app
