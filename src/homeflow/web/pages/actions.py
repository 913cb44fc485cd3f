"""The actions tracker: overdue and due-soon actions across the improvement programme and the
daily call, by owner and by organisation; adding and closing the programme's actions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from homeflow.domain import events as ev
from homeflow.domain.clock import parse_day, today
from homeflow.domain.errors import InvalidInput
from homeflow.domain.improvement.actions import DUE_SOON_DAYS, due_lists
from homeflow.domain.improvement.records import ImprovementActionRecorded
from homeflow.store import actions as store
from homeflow.store.db import reading
from homeflow.store.improvement import may_edit
from homeflow.store.registry import system_of
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.rendering import render

router = APIRouter()


@router.get("/improvement/actions", response_class=HTMLResponse)
def actions_page(
    request: Request, engine: Database, session: Signed, owner: str = "", org: str = ""
) -> HTMLResponse:
    return _page(request, engine, session, owner, org, None, {}, 200)


def _page(
    request: Request,
    engine: Database,
    session: Session,
    owner: str,
    org: str,
    problem: str | None,
    typed: dict[str, str],
    status_code: int,
) -> HTMLResponse:
    viewer = viewer_of(session, request)
    with reading(engine) as conn:
        tracked = store.tracked_actions(conn, viewer)
        mine = store.improvement_actions(conn)
        system = system_of(conn, viewer.org_code)
        editable = may_edit(conn, viewer, system)
    chosen = [
        a for a in tracked if (not owner or a.owner == owner) and (not org or a.owner_org == org)
    ]
    lists = due_lists(chosen, today())
    kept = sorted(
        (a for key, a in mine.items() if key[0] == system),
        key=lambda a: (a.status.value, a.due_date or today(), a.action_id),
    )
    return render(
        request,
        "actions.html",
        session,
        {
            "lists": lists,
            "soon_days": DUE_SOON_DAYS,
            "owner": owner,
            "org": org,
            "system": system,
            "kept": kept,
            "editable": editable,
            "problem": problem,
            "typed": typed,
            "statuses": list(ev.ActionStatus),
        },
        status_code,
    )


def _action(system: str, action_id: str, fields: dict[str, str]) -> ImprovementActionRecorded:
    due_text = fields.get("due_date", "").strip()
    status_text = fields.get("status", "open") or "open"
    try:
        status = ev.ActionStatus(status_text)
    except ValueError:
        raise InvalidInput("status", f"{status_text!r} is not open, done or cancelled") from None
    return ImprovementActionRecorded(
        system=system,
        action_id=action_id,
        description=fields.get("description", "").strip(),
        owner=fields.get("owner", "").strip(),
        owner_org=fields.get("owner_org", "").strip().upper(),
        due_date=parse_day("due_date", due_text) if due_text else None,
        status=status,
        about=fields.get("about", "").strip() if fields.get("about", "").startswith("/") else "",
    )


@router.post("/improvement/actions", response_model=None)
async def add_action(request: Request, engine: Database, session: Signed) -> Response:
    await check_csrf(session, request)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    viewer = viewer_of(session, request)
    with reading(engine) as conn:
        system = system_of(conn, viewer.org_code)
    try:
        action = _action(system, f"a-{uuid.uuid4().hex}", fields)
        store.save_action(engine, action, viewer, viewer.email, "web")
    except InvalidInput as bad:
        message = f"Not saved: {bad.field.replace('_', ' ')} {bad.reason}."
        return _page(request, engine, session, "", "", message, fields, 400)
    return RedirectResponse(f"/improvement/actions?saved={action.action_id}#kept", status_code=303)


@router.post("/improvement/actions/{system}/{action_id}", response_model=None)
async def update_action(
    request: Request, engine: Database, session: Signed, system: str, action_id: str
) -> Response:
    await check_csrf(session, request)
    form = await request.form()
    status_text = str(form.get("status") or "")
    try:
        status = ev.ActionStatus(status_text)
    except ValueError:
        return _page(
            request,
            engine,
            session,
            "",
            "",
            f"Not saved: status {status_text!r} is not open, done or cancelled.",
            {},
            400,
        )
    stored = store.change_status(engine, viewer_of(session, request), system, action_id, status)
    said = "saved" if stored else "unchanged"
    return RedirectResponse(f"/improvement/actions?{said}={action_id}#kept", status_code=303)
