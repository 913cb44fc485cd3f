"""Signing in and out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from homeflow.store.users import TooManyAttempts, sign_out
from homeflow.store.users import sign_in as check_password
from homeflow.web.auth import (
    SESSION_COOKIE,
    Database,
    SignInRequired,
    check_csrf,
    client_of,
    session_of,
    set_session_cookie,
)
from homeflow.web.rendering import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse, response_model=None)
def home(request: Request, engine: Database) -> Response:
    try:
        session_of(engine, request)
    except SignInRequired:
        return render(request, "sign_in.html", None, {"error": None, "email": ""})
    return RedirectResponse("/overview", status_code=303)


@router.post("/sign-in", response_class=HTMLResponse, response_model=None)
async def sign_in_post(request: Request, engine: Database) -> Response:
    form = await request.form()
    email = str(form.get("email") or "")
    password = str(form.get("password") or "")
    try:
        signed = check_password(engine, email, password, client_of(request))
    except TooManyAttempts as refused:
        minutes = max(1, int(refused.retry_after.total_seconds() // 60) + 1)
        error = f"Too many failed sign-ins. Try again in {minutes} minutes."
        return render(
            request, "sign_in.html", None, {"error": error, "email": email}, status_code=429
        )
    if signed is None:
        error = "The email address or password is not right."
        return render(
            request, "sign_in.html", None, {"error": error, "email": email}, status_code=401
        )
    token, _session = signed
    response = RedirectResponse("/overview", status_code=303)
    set_session_cookie(response, request, token)
    return response


@router.post("/sign-out", response_model=None)
async def sign_out_post(request: Request, engine: Database) -> Response:
    session = session_of(engine, request)
    await check_csrf(session, request)
    sign_out(engine, request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
