"""Recording a change from any form: the spell page, a whiteboard row, a daily-call row, the
stranded list or the referrals board all post here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Engine

from homeflow.config import models_folder
from homeflow.domain import forms
from homeflow.domain.clock import now, today
from homeflow.domain.errors import InvalidInput, InvalidInputs, problems_of
from homeflow.domain.form_bounds import Limits
from homeflow.services.morning_predictions import morning
from homeflow.store import access
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, check_csrf, escalation_rules_of, viewer_of
from homeflow.web.pages.daily_call import call_organisations
from homeflow.web.pages.spell import show_spell
from homeflow.web.pages.whiteboard import Refused, bed_context, show_board
from homeflow.web.rendering import render, when

router = APIRouter()


def _safe_next(value: str | None, fallback: str) -> str:
    # Only a path on this site, so a crafted form cannot send the user elsewhere.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return fallback


def _parsed(form_name: str, fields: Mapping[str, str], limit: int, limits: Limits) -> access.Change:
    """The change a form asks for, or every problem with it at once, each naming its field
    (a field past the site's length limit is named for its length alone; dates and
    organisations within their bounds)."""
    too_long = {name: len(text) for name, text in fields.items() if len(text) > limit}
    found = [
        InvalidInput(name, f"is {length:,} characters; at most {limit:,}")
        for name, length in too_long.items()
    ]
    try:
        change = access.parse_change(form_name, fields, limits)
    except InvalidInput as bad:
        found += [p for p in problems_of(bad) if p.field not in too_long]
    if found:
        order = list(fields)
        found.sort(key=lambda p: order.index(p.field) if p.field in order else len(order))
        raise InvalidInputs(found)
    return change


def _conflict_problem(clash: access.Conflict) -> str:
    who = clash.changed_by or "someone else"
    return (
        f"Not saved: {who} changed this at {when(clash.changed_at)}. What they saved is shown, "
        "and your entry is kept in the form: check it and save again."
    )


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
    # A row comes back in place only to HTMX; without JavaScript the browser posted the
    # whole form and gets the page again.
    shown_in = fields.get("view", "") if request.headers.get("HX-Request") else "page"
    refused: Refused | None = None
    viewer = viewer_of(session, request)
    limits = access.form_limits(engine, viewer, spell_key, today())
    try:
        change = _parsed(form_name, fields, limit, limits)
        access.record_change(engine, viewer, spell_key, change)
    except access.Unchanged:
        return _unchanged(request, engine, session, spell_key, fields, form_name, shown_in)
    except access.Conflict as clash:
        typed = {"form": form_name, **fields}
        refused = Refused(spell_key, _conflict_problem(clash), typed, clash=clash)
    except InvalidInput as bad:
        problems = problems_of(bad)
        said = "; ".join(f"{p.field.replace('_', ' ')} {p.reason}" for p in problems)
        errors = {p.field: p.reason for p in problems}
        typed = {"form": form_name, **fields}
        refused = Refused(spell_key, f"Not saved: {said}.", typed, errors)
    if shown_in in ("row", "call-row"):
        return _row_back(request, engine, session, spell_key, fields, refused, shown_in)
    if refused is None:
        back = fields.get("next", "")
        if back.startswith("/spells/") or not back:
            # Back to the spell page, which says what was saved.
            back = f"/spells/{quote(spell_key, safe='')}?saved={quote(form_name)}"
        return RedirectResponse(_safe_next(back, "/"), status_code=303)
    back = fields.get("next", "")
    if back.startswith("/spells/") or not back:
        return show_spell(
            request,
            engine,
            session,
            spell_key,
            refused.problem,
            refused.typed,
            refused.status,
            refused.errors,
        )
    if back.startswith("/wards/") and fields.get("ward"):
        return show_board(request, engine, session, fields["ward"], None, refused)
    return render(
        request,
        "problem.html",
        session,
        {"problem": refused.problem, "back": back},
        status_code=refused.status,
    )


def _unchanged(
    request: Request,
    engine: Engine,
    session: Session,
    spell_key: str,
    fields: Mapping[str, str],
    form_name: str,
    shown_in: str,
) -> Response:
    """A form that would leave the record as it reads: nothing is stored, and the user is
    told so (never "saved")."""
    said = "Nothing changed: it already read as you entered it, so nothing was stored."
    if shown_in in ("row", "call-row"):
        return _row_back(request, engine, session, spell_key, fields, None, shown_in, said)
    back = fields.get("next", "")
    if back.startswith("/spells/") or not back:
        address = f"/spells/{quote(spell_key, safe='')}?unchanged={quote(form_name)}"
        return RedirectResponse(address, status_code=303)
    context = {"title": "Nothing changed", "problem": said, "back": _safe_next(back, "/")}
    return render(request, "problem.html", session, context)


def _row_back(
    request: Request,
    engine: Engine,
    session: Session,
    spell_key: str,
    fields: Mapping[str, str],
    refused: Refused | None,
    shown_in: str,
    note: str | None = None,
) -> HTMLResponse:
    """The one row an HTMX form came from, freshly read, with any problem and what the
    user typed (a whiteboard bed or a daily-call patient)."""
    viewer = viewer_of(session, request)
    context: dict[str, Any] = {
        "problem": refused.problem if refused else note,
        "typed": refused.typed if refused else {},
        "refused": refused,
    }
    if shown_in == "row":
        ward = fields.get("ward", "")
        board = access.whiteboard(engine, viewer, ward, today())
        rows: list[Any] = board.rows
        template, context["board"], where = "_bed_row.html", board, f"on ward {ward}"
        context.update(bed_context(engine, viewer, board))
        # The row keeps its patient's chance of leaving (this morning's, the ward's own).
        context["chances"] = morning(engine, now(), models_folder(), ward).by_spell()
    else:
        rows = access.daily_call(engine, viewer, today(), escalation_rules_of(request))
        template, where = "_call_row.html", "on the daily call"
        context["org_names"] = call_organisations(engine)
        context["action_seen"] = forms.action_seen
    context["row"] = next((r for r in rows if r.spell_key == spell_key), None)
    if context["row"] is None:
        raise access.NotFound(f"spell {spell_key} {where}")
    return render(request, template, session, context, refused.status if refused else 200)
