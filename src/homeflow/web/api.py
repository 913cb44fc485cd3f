"""The aggregate JSON APIs (feed health, the census: counts only, no patient) and the API's
description. Each needs a signed-in session or a bearer token."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from homeflow.domain import clock
from homeflow.domain.clock import check_day, ended
from homeflow.store.api_tokens import caller_for
from homeflow.store.feed_messages import feed_health
from homeflow.store.queries import census
from homeflow.store.users import session_for
from homeflow.web.auth import SESSION_COOKIE, Database, SignInRequired, engine_of


def signed_in_or_token(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    engine = engine_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token and session_for(engine, token) is not None:
        return
    bearer = authorization[7:].strip() if authorization else ""
    if authorization and authorization.lower().startswith("bearer ") and caller_for(engine, bearer):
        return
    raise SignInRequired()


PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "a parameter is out of range; the field and the reason"},
    401: {"description": "no session and no valid bearer token"},
}
router = APIRouter(dependencies=[Depends(signed_in_or_token)], responses=PROBLEMS)


@router.get("/api/feeds")
def feeds_api(engine: Database) -> list[dict[str, Any]]:
    return [h.as_dict() for h in feed_health(engine, clock.now())]


@router.get("/api/census")
def census_api(
    engine: Database, day: date = Query(..., alias="date")
) -> list[dict[str, str | int]]:
    # The census of a day is its midnight: a day that has not ended has none yet.
    return [
        r.as_dict() for r in census(engine, ended("date", check_day("date", day), clock.today()))
    ]


@router.get("/openapi.json", include_in_schema=False)
def api_description(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())
