"""Accounts, administered in the browser by an admin (audited in services.accounts)."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import Role
from homeflow.services import accounts as service
from homeflow.store import access, users
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.rendering import render
from homeflow.web.sorting import Column, sort_rows, sortable

router = APIRouter()
COLUMNS: Mapping[str, Column[users.Account]] = sortable(
    "accounts.html",
    {
        "email": Column(lambda a: a.email),
        "org": Column(lambda a: a.org_code),
        "since": Column(lambda a: a.created_at, first="desc", shows="day"),
    },
)


def _page(
    request: Request,
    engine: Database,
    session: Signed,
    message: str = "",
    problem: str = "",
    status_code: int = 200,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    orgs = service.managed_orgs(engine, viewer_of(session, request))
    if not orgs:
        raise access.Forbidden("only admins manage accounts")
    listed, sorting = sort_rows(request, users.accounts(engine, orgs), COLUMNS)
    return render(
        request,
        "accounts.html",
        session,
        {
            "accounts": listed,
            "sorting": sorting,
            "orgs": orgs,
            "roles": list(Role),
            "message": message,
            "problem": problem,
            "typed": typed or {},
        },
        status_code=status_code,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def accounts_page(request: Request, engine: Database, session: Signed) -> HTMLResponse:
    return _page(request, engine, session)


@router.post("/admin/users", response_model=None)
async def add_account(request: Request, engine: Database, session: Signed) -> Response:
    await check_csrf(session, request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    email, org, role = form.get("email", ""), form.get("org", ""), form.get("role", "")
    try:
        password = service.add_account(engine, viewer_of(session, request), email, org, role)
    except InvalidInput as bad:
        problem = f"Not added: {bad.field.replace('_', ' ')} {bad.reason}."
        return _page(request, engine, session, problem=problem, status_code=400, typed=form)
    message = f"{email} can sign in as {role} of {org} with the password {password} (shown once)."
    return _page(request, engine, session, message=message)


@router.post("/admin/users/change", response_model=None)
async def change_account(request: Request, engine: Database, session: Signed) -> Response:
    await check_csrf(session, request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    email, change = form.get("email", ""), form.get("change", "")
    try:
        password = service.change_account(
            engine, viewer_of(session, request), email, change, form.get("role", "")
        )
    except InvalidInput as bad:
        problem = f"Not changed: {bad.field.replace('_', ' ')} {bad.reason}."
        return _page(request, engine, session, problem=problem, status_code=400)
    done = {
        "disable": f"{email} is disabled and signed out everywhere.",
        "enable": f"{email} can sign in again.",
        "reset-password": f"{email}'s new password is {password} (shown once); signed out everywhere.",
        "role": f"{email} is now {form.get('role', '')}.",
        "end-sessions": f"{email} is signed out everywhere.",
    }
    return _page(request, engine, session, message=done[change])
