"""The smart list page: places ranked by where support is needed, with the reasons, and a
person's segment set with theirs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from homeflow.domain.clock import today
from homeflow.domain.errors import InvalidInput
from homeflow.domain.improvement.records import SegmentSet
from homeflow.reports.kpi import Level
from homeflow.services.smart_list import SmartRow, smart_list
from homeflow.store import improvement as programme
from homeflow.store.db import reading
from homeflow.store.registry import system_of
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.rendering import day_so_far, render
from homeflow.web.sorting import Column, sort_rows, sortable

router = APIRouter()
LEVELS = (Level.ORG, Level.SITE)
COLUMNS: Mapping[str, Column[SmartRow]] = sortable(
    "smart_list.html",
    {
        "rank": Column(lambda r: r.rank, shows="number"),
        "place": Column(lambda r: r.computed.place),
        "segment": Column(lambda r: r.segment, first="desc", shows="number"),
        "score": Column(lambda r: r.computed.score, first="desc", shows="number"),
    },
)


def _level(text: str) -> Level:
    if text not in (lv.value for lv in LEVELS):
        raise InvalidInput("level", f"{text!r} is not org or site")
    return Level(text)


@router.get("/improvement/smart-list", response_class=HTMLResponse)
def smart_list_page(
    request: Request, engine: Database, session: Signed, level: str = "org", on: str = ""
) -> HTMLResponse:
    # As at a day (today by default): the segments set by then, the weeks ended before it.
    return _page(request, engine, session, _level(level), day_so_far("on", on), None, 200)


def _page(
    request: Request,
    engine: Database,
    session: Session,
    level: Level,
    day: date,
    problem: str | None,
    status_code: int,
) -> HTMLResponse:
    viewer = viewer_of(session, request)
    with reading(engine) as conn:
        system = system_of(conn, viewer.org_code)
        editable = programme.may_edit(conn, viewer, system)
    # The viewer's system's places, most support needed first unless a header asks otherwise.
    rows, sorting = sort_rows(request, smart_list(engine, viewer, day, level, system), COLUMNS)
    return render(
        request,
        "smart_list.html",
        session,
        {
            "rows": rows,
            "sorting": sorting,
            "level": level,
            "levels": LEVELS,
            "on": day,
            "editable": editable,
            "system": system,
            "problem": problem,
        },
        status_code,
    )


@router.post("/improvement/smart-list/{level}/{place}", response_model=None)
async def set_segment(
    request: Request, engine: Database, session: Signed, level: str, place: str
) -> Response:
    await check_csrf(session, request)
    form = await request.form()
    viewer = viewer_of(session, request)
    chosen_level = _level(level)
    with reading(engine) as conn:
        system = system_of(conn, viewer.org_code)
    cleared = form.get("clear") == "yes"
    try:
        text = str(form.get("segment") or "")
        if not cleared and text not in ("1", "2", "3", "4"):
            raise InvalidInput("segment", f"{text!r} is not a segment from 1 to 4")
        chosen = SegmentSet(
            system=system,
            level=chosen_level.value,
            place=place,
            segment=int(text) if not cleared else 1,
            reason=str(form.get("reason") or "").strip(),
            set_on=today(),
            cleared=cleared,
        )
        programme.set_segment(engine, viewer, chosen)
    except InvalidInput as bad:
        return _page(
            request,
            engine,
            session,
            chosen_level,
            today(),
            f"Not saved: {bad.field} {bad.reason}.",
            400,
        )
    return RedirectResponse(
        f"/improvement/smart-list?level={chosen_level.value}#{quote(place)}", status_code=303
    )
