"""Wards and their beds, changed from a date (winter escalation beds), by an admin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from homeflow.domain.beds import MAX_BEDS, WardBedsChanged
from homeflow.domain.clock import parse_day, today
from homeflow.domain.errors import InvalidInput, Problems, problems_of
from homeflow.domain.privacy import Role
from homeflow.services import beds as service
from homeflow.services.accounts import managed_orgs
from homeflow.store import access
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.rendering import render
from homeflow.web.sorting import Column, sort_rows, sortable

router = APIRouter()
COLUMNS: Mapping[str, Column[service.WardBeds]] = sortable(
    "wards.html",
    {
        "ward": Column(lambda w: f"{w.name} {w.site_name}"),
        "beds": Column(lambda w: w.today.open_beds if w.today else w.registered, shows="number"),
        "escalation": Column(
            lambda w: w.today.escalation_beds if w.today else 0, first="desc", shows="number"
        ),
    },
)


def _page(
    request: Request,
    engine: Database,
    session: Signed,
    message: str = "",
    errors: Sequence[InvalidInput] = (),
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    if session.user.role != Role.ADMIN:
        raise access.Forbidden("only admins change wards' beds")
    orgs = set(managed_orgs(engine, viewer_of(session, request)))
    wards, sorting = sort_rows(
        request,
        [w for w in service.wards_with_beds(engine, today()) if w.org_code in orgs],
        COLUMNS,
    )
    return render(
        request,
        "wards.html",
        session,
        {
            "wards": wards,
            "sorting": sorting,
            "message": message,
            "errors": list(errors),
            "typed": typed or {},
        },
        status_code=400 if errors else 200,
    )


@router.get("/admin/wards", response_class=HTMLResponse)
def wards_page(request: Request, engine: Database, session: Signed) -> HTMLResponse:
    return _page(request, engine, session)


def _whole(form: dict[str, str], field: str) -> int:
    text = form.get(field, "")
    try:
        number = int(text.strip() or "0")
    except ValueError:
        raise InvalidInput(field, f"{text!r} is not a whole number") from None
    if not 0 <= number <= MAX_BEDS:
        raise InvalidInput(field, f"must be a whole number from 0 to {MAX_BEDS}")
    return number


def _change(form: dict[str, str]) -> WardBedsChanged:
    """The change the form asks for, or every field's problem at once."""
    problems = Problems()
    from_day = problems.check(parse_day, "from_day", form.get("from_day", ""))
    beds = problems.check(_whole, form, "beds")
    escalation = problems.check(_whole, form, "escalation_beds")
    problems.done()
    assert from_day is not None and beds is not None and escalation is not None
    return WardBedsChanged(
        form.get("ward_code", ""), from_day, beds, escalation, form.get("reason", "").strip()
    )


@router.post("/admin/wards", response_model=None)
async def change_beds(request: Request, engine: Database, session: Signed) -> Response:
    await check_csrf(session, request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        change = _change(form)
        service.change_beds(engine, viewer_of(session, request), change)
    except InvalidInput as bad:
        return _page(request, engine, session, errors=problems_of(bad), typed=form)
    ward = next(w for w in service.wards_with_beds(engine, today()) if w.code == change.ward_code)
    message = (
        f"From {change.from_day:%d/%m/%Y}, {ward.name} at {ward.site_name} has {change.beds}"
        f" beds and {change.escalation_beds} escalation beds open."
    )
    return _page(request, engine, session, message=message)
