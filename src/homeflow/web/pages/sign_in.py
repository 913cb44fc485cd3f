"""Signing in and out. The sign-in form carries a token bound to the browser's pre-session
cookie; signing in starts a new session (the old one, if any, ends) and both are audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from homeflow.config import session_limits
from homeflow.store import access
from homeflow.store.users import TooManyAttempts, end_sessions, sign_out
from homeflow.store.users import sign_in as check_password
from homeflow.web.auth import (
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    Database,
    SignInRequired,
    check_csrf,
    client_of,
    pre_session_matches,
    pre_session_of,
    session_of,
    set_pre_session_cookie,
    set_session_cookie,
    viewer_of,
)
from homeflow.web.rendering import render

router = APIRouter()


def _sign_in_page(
    request: Request, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    token = pre_session_of(request)
    response = render(request, "sign_in.html", None, {**context, "pre_session": token}, status_code)
    set_pre_session_cookie(response, request, token)
    return response


@router.get("/", response_class=HTMLResponse, response_model=None)
def home(request: Request, engine: Database) -> Response:
    try:
        session_of(engine, request)
    except SignInRequired:
        return _sign_in_page(request, {"error": None, "email": ""})
    return RedirectResponse("/overview", status_code=303)


@router.post("/sign-in", response_class=HTMLResponse, response_model=None)
async def sign_in_post(request: Request, engine: Database) -> Response:
    form = await request.form()
    email = str(form.get("email") or "")[:200]
    password = str(form.get("password") or "")
    offered = form.get("pre_session")
    if not pre_session_matches(request, offered if isinstance(offered, str) else None):
        error = "This sign-in form has expired or did not come from homeflow. Try again."
        return _sign_in_page(request, {"error": error, "email": email}, 403)
    client = client_of(request)
    try:
        signed = check_password(engine, email, password, client, *session_limits())
    except TooManyAttempts as refused:
        minutes = max(1, int(refused.retry_after.total_seconds() // 60) + 1)
        access.audit_sign_in(engine, email, client, succeeded=False, locked_for=minutes)
        error = f"Too many failed sign-ins. Try again in {minutes} minutes."
        return _sign_in_page(request, {"error": error, "email": email}, 429)
    if signed is None:
        access.audit_sign_in(engine, email, client, succeeded=False)
        error = "The email address or password is not right."
        return _sign_in_page(request, {"error": error, "email": email}, 401)
    token, session = signed
    if request.cookies.get(SESSION_COOKIE):
        sign_out(engine, request.cookies[SESSION_COOKIE])  # a new session, never the old one
    access.record(engine, viewer_of(session, request), "sign-in", "signed in")
    response = RedirectResponse("/overview", status_code=303)
    set_session_cookie(response, request, token)
    response.delete_cookie(PRE_SESSION_COOKIE, path="/")
    return response


@router.post("/sign-out", response_model=None)
async def sign_out_post(request: Request, engine: Database) -> Response:
    session = session_of(engine, request)
    await check_csrf(session, request)
    sign_out(engine, request.cookies[SESSION_COOKIE])
    access.record(engine, viewer_of(session, request), "sign-out", "signed out")
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/sign-out-everywhere", response_model=None)
async def sign_out_everywhere(request: Request, engine: Database) -> Response:
    """End every session of the signed-in user: the tablet left on the ward too."""
    session = session_of(engine, request)
    await check_csrf(session, request)
    ended = end_sessions(engine, session.user.email)
    access.record(
        engine, viewer_of(session, request), "sign-out", f"signed out everywhere ({ended})"
    )
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
