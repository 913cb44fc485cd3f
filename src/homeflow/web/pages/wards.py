"""Wards and their beds, changed from a date (winter escalation beds), by an admin."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from homeflow.domain.beds import WardBedsChanged
from homeflow.domain.clock import parse_day, today
from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import Role
from homeflow.services import beds as service
from homeflow.services.accounts import managed_orgs
from homeflow.store import access
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.rendering import render

router = APIRouter()


def _page(
    request: Request,
    engine: Database,
    session: Signed,
    message: str = "",
    problem: str = "",
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    if session.user.role != Role.ADMIN:
        raise access.Forbidden("only admins change wards' beds")
    orgs = set(managed_orgs(engine, viewer_of(session, request)))
    wards = [w for w in service.wards_with_beds(engine, today()) if w.org_code in orgs]
    return render(
        request,
        "wards.html",
        session,
        {"wards": wards, "message": message, "problem": problem, "typed": typed or {}},
        status_code=400 if problem else 200,
    )


@router.get("/admin/wards", response_class=HTMLResponse)
def wards_page(request: Request, engine: Database, session: Signed) -> HTMLResponse:
    return _page(request, engine, session)


def _whole(field: str, text: str) -> int:
    try:
        return int(text.strip() or "0")
    except ValueError:
        raise InvalidInput(field, f"{text!r} is not a whole number") from None


@router.post("/admin/wards", response_model=None)
async def change_beds(request: Request, engine: Database, session: Signed) -> Response:
    await check_csrf(session, request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        change = WardBedsChanged(
            form.get("ward_code", ""),
            parse_day("from_day", form.get("from_day", "")),
            _whole("beds", form.get("beds", "")),
            _whole("escalation_beds", form.get("escalation_beds", "")),
            form.get("reason", "").strip(),
        )
        service.change_beds(engine, viewer_of(session, request), change)
    except InvalidInput as bad:
        problem = f"Not saved: {bad.field.replace('_', ' ')} {bad.reason}."
        return _page(request, engine, session, problem=problem, typed=form)
    message = (
        f"From {change.from_day:%d/%m/%Y}, {change.ward_code} has {change.beds} beds"
        f" and {change.escalation_beds} escalation beds open."
    )
    return _page(request, engine, session, message=message)
