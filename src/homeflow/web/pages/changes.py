"""Recording a change from any form: the spell page, a whiteboard row, a daily-call row, the
stranded list or the referrals board all post here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Engine

from homeflow.domain import forms
from homeflow.domain.clock import today
from homeflow.domain.errors import InvalidInput
from homeflow.domain.writes import may_record_actions
from homeflow.store import access
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, check_csrf, escalation_rules_of, viewer_of
from homeflow.web.pages.spell import show_spell
from homeflow.web.rendering import render, when

router = APIRouter()


def _safe_next(value: str | None, fallback: str) -> str:
    # Only a path on this site, so a crafted form cannot send the user elsewhere.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return fallback


def _problem(
    engine: Engine, viewer: access.Viewer, spell_key: str, change: Any
) -> tuple[str | None, int]:
    """Record the change; the problem to show and the status if it was not saved."""
    try:
        access.record_change(engine, viewer, spell_key, change)
    except access.Conflict as clash:
        who = clash.changed_by or "someone else"
        reads = clash.now_reads or "blank"
        return (
            f"Not saved: {who} changed this at {when(clash.changed_at)} and it now reads "
            f"“{reads}”. Your entry is kept below; check it and save again.",
            409,
        )
    return None, 200


@router.post("/spells/{spell_key}/record/{form_name}", response_model=None)
async def record(
    request: Request, engine: Database, session: Signed, spell_key: str, form_name: str
) -> Response:
    await check_csrf(session, request)
    raw = await request.form()
    fields = {k: str(v) for k, v in raw.items() if isinstance(v, str)}
    multi = raw.getlist("criteria")
    if multi:
        fields["criteria"] = " ".join(str(v) for v in multi)
    limit = cast(int, request.app.state.max_text_chars)
    longest = max(fields, key=lambda name: len(fields[name]), default=None)
    # A row comes back in place only to HTMX; without JavaScript the browser posted the
    # whole form and gets the page again.
    shown_in = fields.get("view", "") if request.headers.get("HX-Request") else "page"
    try:
        if longest is not None and len(fields[longest]) > limit:
            raise InvalidInput(
                longest, f"is {len(fields[longest]):,} characters; at most {limit:,}"
            )
        change = access.parse_change(form_name, fields)
        problem, status_code = _problem(engine, viewer_of(session, request), spell_key, change)
    except InvalidInput as bad:
        problem, status_code = f"Not saved: {bad.field.replace('_', ' ')} {bad.reason}.", 400
    if shown_in in ("row", "call-row"):
        return _row_back(
            request, engine, session, spell_key, fields, problem, status_code, shown_in
        )
    if problem is None:
        target = _safe_next(
            fields.get("next"), f"/spells/{quote(spell_key, safe='')}?saved={form_name}"
        )
        return RedirectResponse(target, status_code=303)
    if fields.get("next", "").startswith("/spells/") or not fields.get("next"):
        typed = {"form": form_name, **fields}
        return show_spell(request, engine, session, spell_key, problem, typed, status_code)
    return render(
        request,
        "problem.html",
        session,
        {"problem": problem, "back": fields.get("next")},
        status_code=status_code,
    )


def _row_back(
    request: Request,
    engine: Engine,
    session: Session,
    spell_key: str,
    typed: Mapping[str, str],
    problem: str | None,
    status_code: int,
    shown_in: str,
) -> HTMLResponse:
    """The one row an HTMX form came from, freshly read, with any problem and what the
    user typed (a whiteboard bed or a daily-call patient)."""
    viewer = viewer_of(session, request)
    context: dict[str, Any] = {"problem": problem, "typed": typed if problem else {}}
    if shown_in == "row":
        ward = typed.get("ward", "")
        board = access.whiteboard(engine, viewer, ward, today())
        rows: list[Any] = board.rows
        template, context["board"], where = "_bed_row.html", board, f"on ward {ward}"
    else:
        rows = access.daily_call(engine, viewer, today(), escalation_rules_of(request))
        template, where = "_call_row.html", "on the daily call"
        context["may_record_actions"] = may_record_actions(session.user.role)
        context["action_seen"] = forms.action_seen
    context["row"] = next((r for r in rows if r.spell_key == spell_key), None)
    if context["row"] is None:
        raise access.NotFound(f"spell {spell_key} {where}")
    return render(request, template, session, context, status_code=status_code)
