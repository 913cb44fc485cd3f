"""The actions tracker: overdue and due-soon actions across the improvement programme and the
daily call, by owner and by organisation; adding and closing the programme's actions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from homeflow.domain import events as ev
from homeflow.domain.clock import parse_day, today
from homeflow.domain.errors import InvalidInput, Problems, problems_of
from homeflow.domain.form_bounds import due_date, organisation
from homeflow.domain.improvement.actions import DUE_SOON_DAYS, due_lists
from homeflow.domain.improvement.records import ImprovementActionRecorded
from homeflow.store import actions as store
from homeflow.store.db import reading
from homeflow.store.improvement import may_edit
from homeflow.store.registry import organisation_names, system_of
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.rendering import render
from homeflow.web.sorting import Column, sort_rows, sortable

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
    errors: Sequence[InvalidInput] = (),
) -> HTMLResponse:
    viewer = viewer_of(session, request)
    with reading(engine) as conn:
        org_names = organisation_names(conn)
        tracked = store.tracked_actions(conn, viewer)
        mine = store.improvement_actions(conn)
        system = system_of(conn, viewer.org_code)
        editable = may_edit(conn, viewer, system)
    chosen = [
        a for a in tracked if (not owner or a.owner == owner) and (not org or a.owner_org == org)
    ]
    lists = due_lists(chosen, today())
    overdue, sorting = sort_rows(request, lists.overdue, COLUMNS)
    lists = replace(lists, overdue=overdue, due_soon=sort_rows(request, lists.due_soon, COLUMNS)[0])
    kept, _ = sort_rows(
        request,
        sorted(
            (a for key, a in mine.items() if key[0] == system),
            key=lambda a: (a.status.value, a.due_date or today(), a.action_id),
        ),
        COLUMNS,
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
            "sorting": sorting,
            "editable": editable,
            "problem": problem,
            "errors": list(errors),
            "org_names": org_names,
            "typed": typed,
            "statuses": list(ev.ActionStatus),
        },
        status_code,
    )


# The tracker's lists (a daily call's action or an improvement action, the same words) by the
# column their header asks for; each list soonest first unless asked.
COLUMNS: Mapping[str, Column[Any]] = sortable(
    "actions.html",
    {
        "due": Column(lambda a: a.due_date, shows="day"),
        "action": Column(lambda a: a.description),
        "owner": Column(lambda a: a.owner),
        "from": Column(lambda a: getattr(a, "source", None)),
    },
)


def _required(fields: dict[str, str], name: str) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise InvalidInput(name, "is required")
    return value


def _due(fields: dict[str, str]) -> date | None:
    """A due date from today to a year ahead, or none."""
    text = fields.get("due_date", "").strip()
    return due_date("due_date", parse_day("due_date", text), today()) if text else None


def _org(fields: dict[str, str], organisations: frozenset[str]) -> str:
    """The owning organisation, chosen from the registry's (or none)."""
    code = fields.get("owner_org", "").strip()
    return organisation("owner_org", code, organisations) if code else ""


def _action(
    system: str, action_id: str, fields: dict[str, str], organisations: frozenset[str]
) -> ImprovementActionRecorded:
    """The action the form describes, or every field's problem at once."""
    status_text = fields.get("status", "open") or "open"
    problems = Problems()
    description = problems.check(_required, fields, "description")
    owner = problems.check(_required, fields, "owner")
    owner_org = problems.check(_org, fields, organisations)
    due = problems.check(_due, fields)
    if status_text not in {s.value for s in ev.ActionStatus}:
        problems.add("status", f"{status_text!r} is not open, done or cancelled")
    problems.done()
    return ImprovementActionRecorded(
        system=system,
        action_id=action_id,
        description=description or "",
        owner=owner or "",
        owner_org=owner_org or "",
        due_date=due,
        status=ev.ActionStatus(status_text),
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
        organisations = frozenset(organisation_names(conn))
    try:
        action = _action(system, f"a-{uuid.uuid4().hex}", fields, organisations)
        store.save_action(engine, action, viewer, viewer.email, "web")
    except InvalidInput as bad:
        errors = list(problems_of(bad))
        return _page(request, engine, session, "", "", None, fields, 400, errors)
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
