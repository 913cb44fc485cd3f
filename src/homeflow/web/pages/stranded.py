"""The stranded and super-stranded review (SAFER "R"): the list the weekly MDT works through,
and the review it records for each patient."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from homeflow.domain import forms
from homeflow.domain.clock import today
from homeflow.domain.errors import InvalidInput, problems_of
from homeflow.store import access
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.pages.daily_call import call_organisations
from homeflow.web.rendering import PAGE_SIZE, paged, render, when
from homeflow.web.sorting import Column, sort_rows, sortable

router = APIRouter()

REVIEW_LABELS = {"outcome": "Outcome", "reviewer": "Reviewed by", "actions": "Actions agreed"}
# The list, longest stay first unless its header asks for another order.
COLUMNS: Mapping[str, Column[access.StrandedRow]] = sortable(
    "stranded.html",
    {
        "patient": Column(lambda r: r.patient.name, shows="patient"),
        "days": Column(lambda r: r.length_of_stay, first="desc", shows="number"),
        "review": Column(lambda r: r.last_review_at, shows="when"),
    },
)


@router.get("/stranded", response_class=HTMLResponse)
def stranded_page(
    request: Request,
    engine: Database,
    session: Signed,
    only: str | None = None,
    org: str = "",
    page: int = 1,
) -> HTMLResponse:
    return _show(request, engine, session, only, org, page, None)


def _show(
    request: Request,
    engine: Database,
    session: Session,
    only: str | None,
    org: str,
    page: int,
    refused: dict[str, Any] | None,
) -> HTMLResponse:
    """The list; after a review was refused, with that patient's form open, what was typed
    and each field's problem beside it."""
    rows = access.stranded_list(engine, viewer_of(session, request), today())
    orgs = sorted({r.org_code for r in rows})
    if only == "super":
        rows = [r for r in rows if r.super_stranded]
    if org:
        rows = [r for r in rows if r.org_code == org]
    rows, sorting = sort_rows(request, rows, COLUMNS)
    if refused is not None:
        # The page that holds the patient whose review was refused.
        at = next((n for n, r in enumerate(rows) if r.spell_key == refused["spell_key"]), 0)
        page = at // PAGE_SIZE + 1
    shown, page, pages = paged(rows, page)
    return render(
        request,
        "stranded.html",
        session,
        {
            "rows": shown,
            "total": len(rows),
            "super_total": sum(r.super_stranded for r in rows),
            "only": only,
            "org": org,
            "orgs": orgs,
            "org_names": call_organisations(engine),
            "page": page,
            "pages": pages,
            "review_seen": forms.review_seen,
            "sorting": sorting,
            "refused": refused,
            "labels": REVIEW_LABELS,
            "saved": request.query_params.get("saved"),
        },
        status_code=400 if refused is not None else 200,
    )


@router.post("/stranded/{spell_key}/review", response_model=None)
async def record_review(
    request: Request, engine: Database, session: Signed, spell_key: str
) -> Response:
    """A review through the one write path (the care team's permission, a version check,
    the event and its audit row together); refused, the list comes back with the form."""
    await check_csrf(session, request)
    raw = await request.form()
    fields = {k: str(v) for k, v in raw.items() if isinstance(v, str)}
    only = fields.get("only") or None
    org = fields.get("org", "")
    try:
        change = access.parse_change("stranded-review", fields)
        access.record_change(engine, viewer_of(session, request), spell_key, change)
    except access.Conflict as clash:
        problem = (
            f"Not saved: {clash.changed_by or 'someone else'} recorded a review of this patient "
            f"at {when(clash.changed_at)}. It is shown; your entry is kept: check it and save."
        )
        refused = {"spell_key": spell_key, "problem": problem, "typed": fields, "errors": {}}
        return _show(request, engine, session, only, org, 1, refused)
    except InvalidInput as bad:
        problems = problems_of(bad)
        said = "; ".join(f"{REVIEW_LABELS.get(p.field, p.field)} {p.reason}" for p in problems)
        refused = {
            "spell_key": spell_key,
            "problem": f"Not saved: {said}.",
            "typed": fields,
            "errors": {p.field: p.reason for p in problems},
        }
        return _show(request, engine, session, only, org, 1, refused)
    query = urlencode({k: v for k, v in (("only", only), ("org", org)) if v})
    back = f"/stranded?{query}&saved=review" if query else "/stranded?saved=review"
    return RedirectResponse(back, status_code=303)
