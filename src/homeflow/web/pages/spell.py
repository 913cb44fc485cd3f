"""A patient's spell page: the folded state, its forms and its timeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from homeflow.domain import forms
from homeflow.domain.clock import today
from homeflow.store import access
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.rendering import render

router = APIRouter()


@router.get("/spells/{spell_key}", response_class=HTMLResponse)
def spell_page(request: Request, engine: Database, session: Signed, spell_key: str) -> HTMLResponse:
    return show_spell(request, engine, session, spell_key, None, {}, 200)


def show_spell(
    request: Request,
    engine: Engine,
    session: Session,
    spell_key: str,
    problem: str | None,
    typed: Mapping[str, Any],
    status_code: int,
) -> HTMLResponse:
    """The spell page, with a problem and what the user typed when a change was not saved."""
    view = access.spell_view(engine, viewer_of(session, request), spell_key, today())
    day = {"day": today().isoformat()}
    seen = {name: form.reads(view.state, day) for name, form in forms.FORMS.items()}
    return render(
        request,
        "spell.html",
        session,
        {
            "view": view,
            "s": view.state,
            "seen": seen,
            "problem": problem,
            "typed": typed,
            "saved": request.query_params.get("saved"),
            "action_seen": forms.action_seen,
            "uses_dtoc": view.ward_type in ("mental-health", "community"),
        },
        status_code=status_code,
    )
