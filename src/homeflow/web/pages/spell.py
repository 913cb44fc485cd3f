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
from homeflow.store.db import reading
from homeflow.store.registry import organisation_names
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.rendering import render

router = APIRouter()

# Each field's label on the page, for the error summary (a field's id is its name).
LABELS = {
    "expected_discharge_date": "Expected discharge date",
    "clinical_criteria": "Clinical criteria for discharge",
    "meets": "Criteria to reside",
    "discharge_ready_date": "Discharge ready date",
    "criteria": "Criteria met",
    "reason": "Delay reason",
    "dtoc_reason": "DToC reason",
    "responsible_agency": "Responsible agency",
    "pathway": "Discharge pathway",
    "reviewer": "Senior review: reviewer",
    "colour": "Red or green day",
    "red_reason": "If red, what did not happen",
    "outcome": "CHC checklist outcome",
    "assessment_date": "CHC assessment date",
    "setting": "Where the CHC assessment was",
    "decision_date": "CHC decision date",
    "eligible": "Eligible for CHC",
    "service": "New referral to",
    "provider_org": "Provider organisation",
    "description": "Action",
    "owner": "Action owner",
    "owner_org": "Owner's organisation",
    "due_date": "Due",
    "start_date": "Clinically ready for discharge from",
    "end_date": "Delayed discharge period ended",
    "attributable_to": "Attributable to",
}


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
    errors: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The spell page, with a problem, each field's reason (`errors`) and what the user typed
    when a change was not saved."""
    view = access.spell_view(engine, viewer_of(session, request), spell_key, today())
    day = {"day": today().isoformat()}
    seen = {name: form.reads(view.state, day) for name, form in forms.FORMS.items()}
    with reading(engine) as conn:
        org_names = organisation_names(conn)
    return render(
        request,
        "spell.html",
        session,
        {
            "view": view,
            "s": view.state,
            "seen": seen,
            "problem": problem,
            "errors": dict(errors or {}),
            "labels": LABELS,
            "typed": typed,
            "saved": request.query_params.get("saved"),
            "unchanged": request.query_params.get("unchanged"),
            "org_names": org_names,
            "action_seen": forms.action_seen,
            "mh_delay_seen": forms.mh_delay_seen,
            "uses_dtoc": view.ward_type in ("mental-health", "community"),
        },
        status_code=status_code,
    )
