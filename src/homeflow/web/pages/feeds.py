"""The feeds page: health, refused and held messages, mappings edited and replayed, each feed
for those who run it (services/feed_admin). Saving and replaying run off the event loop: a
replay of many messages must not hold up everyone else's requests."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from homeflow.config import mappings_folder
from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput
from homeflow.services import feed_admin
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.rendering import render
from homeflow.web.sorting import Column, sort_rows, sortable

router = APIRouter()
COLUMNS: Mapping[str, Column[feed_admin.Feed]] = sortable(
    "feeds.html",
    {
        "feed": Column(lambda f: f.health.source),
        "last_hour": Column(lambda f: f.health.last_hour, first="desc", shows="number"),
        "last_day": Column(lambda f: f.health.last_day, first="desc", shows="number"),
        "last": Column(lambda f: f.health.last_received_at, first="desc", shows="when"),
        "lag": Column(lambda f: f.health.mean_lag_seconds, first="desc", shows="number"),
        "refused": Column(lambda f: f.health.rejected, first="desc", shows="number"),
        "held": Column(lambda f: f.health.held, first="desc", shows="number"),
    },
)


def _page(
    request: Request,
    engine: Database,
    session: Session,
    message: str = "",
    problem: str = "",
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found, sorting = sort_rows(
        request,
        feed_admin.feeds(engine, viewer_of(session, request), mappings_folder(), clock.now()),
        COLUMNS,
    )
    return render(
        request,
        "feeds.html",
        session,
        {
            "feeds": found,
            "sorting": sorting,
            "message": message,
            "problem": problem,
            "typed": typed or {},
        },
        status_code=status_code,
    )


@router.get("/feeds", response_class=HTMLResponse)
def feeds_page(request: Request, engine: Database, session: Signed) -> HTMLResponse:
    return _page(request, engine, session)


@router.post("/feeds/{source}/mapping", response_model=None)
async def save_mapping(
    request: Request, engine: Database, session: Signed, source: str
) -> Response:
    await check_csrf(session, request)
    text = str((await request.form()).get("mapping", ""))
    return await run_in_threadpool(_save_mapping, request, engine, session, source, text)


def _save_mapping(
    request: Request, engine: Database, session: Session, source: str, text: str
) -> Response:
    try:
        feed_admin.save_mapping(
            engine, viewer_of(session, request), mappings_folder(), source, text
        )
    except InvalidInput as bad:
        problem = f"Mapping not saved: {bad.field} {bad.reason}."
        return _page(
            request, engine, session, problem=problem, typed={source: text}, status_code=400
        )
    return _page(request, engine, session, message=f"The {source} mapping is saved.")


@router.post("/feeds/{source}/replay", response_model=None)
async def replay(request: Request, engine: Database, session: Signed, source: str) -> Response:
    await check_csrf(session, request)
    return await run_in_threadpool(_replay, request, engine, session, source)


def _replay(request: Request, engine: Database, session: Session, source: str) -> Response:
    try:
        done = feed_admin.replay_feed(
            engine, viewer_of(session, request), mappings_folder(), source
        )
    except InvalidInput as bad:
        problem = f"Not replayed: {bad.field} {bad.reason}."
        return _page(request, engine, session, problem=problem, status_code=400)
    summary = ", ".join(f"{n:,} {outcome}" for outcome, n in sorted(done.items()))
    return _page(
        request, engine, session, message=f"{source} replayed: {summary or 'nothing was waiting'}."
    )
