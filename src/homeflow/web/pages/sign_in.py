"""Signing in and out, with a password or through the organisation's identity provider
(OpenID Connect). The sign-in form carries a token bound to the browser's pre-session cookie;
a provider's sign-in is bound to the browser that began it. Signing in starts a new session
(the old one, if any, ends); every sign-in, refusal and sign-out is audited."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any, cast

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from homeflow.config import session_limits
from homeflow.domain.errors import InvalidInput
from homeflow.domain.identity import SignInSettings, email_of, mapped_account
from homeflow.store import access
from homeflow.store.access.audit import audit
from homeflow.store.sign_in_flows import begin_flow, take_flow
from homeflow.store.users import (
    Session,
    SignInRefused,
    TooManyAttempts,
    end_sessions,
    sign_in_by_provider,
    sign_out,
    slowed_by,
)
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
from homeflow.web.identity_provider import CodeRefused, IdentityProvider, ProviderRefused
from homeflow.web.rendering import render

router = APIRouter()
# The browser's secret for a provider sign-in under way. SameSite=Lax, not Strict: it must
# come back with the provider's redirect, a navigation from another site.
FLOW_COOKIE = "homeflow_sign_in_flow"


def _settings(request: Request) -> SignInSettings:
    return cast(SignInSettings, request.app.state.sign_in)


def _provider(request: Request) -> IdentityProvider | None:
    return cast(IdentityProvider | None, request.app.state.identity_provider)


def _sign_in_page(
    request: Request, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    token = pre_session_of(request)
    settings = _settings(request)
    context = {
        **context,
        "pre_session": token,
        "local_passwords": settings.local_passwords,
        "provider_name": settings.provider.name if settings.provider else None,
    }
    response = render(request, "sign_in.html", None, context, status_code)
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
    if not _settings(request).local_passwords:
        error = "Passwords are switched off here: sign in with your organisation's account."
        return _sign_in_page(request, {"error": error, "email": ""}, 403)
    form = await request.form()
    email = str(form.get("email") or "")[:200]
    password = str(form.get("password") or "")
    offered = form.get("pre_session")
    if not pre_session_matches(request, offered if isinstance(offered, str) else None):
        error = "This sign-in form has expired or did not come from homeflow. Try again."
        return _sign_in_page(request, {"error": error, "email": email}, 403)
    client = client_of(request)
    # Many failures from this address: held back before the check, never refused for them.
    hold = await run_in_threadpool(slowed_by, engine, client)
    if hold:
        await asyncio.sleep(hold.total_seconds())
    try:
        # The password hash takes a while to check: off the event loop.
        signed = await run_in_threadpool(
            check_password, engine, email, password, client, *session_limits()
        )
    except TooManyAttempts as refused:
        minutes = max(1, int(refused.retry_after.total_seconds() // 60) + 1)
        access.audit_sign_in(engine, email, client, succeeded=False, locked_for=minutes)
        error = (
            f"Too many failed sign-ins to this account from here. Try again in {minutes} minutes."
        )
        return _sign_in_page(request, {"error": error, "email": email}, 429)
    if signed is None:
        slowed = f"wrong password (this address held back {hold.seconds} s)" if hold else None
        access.audit_sign_in(engine, email, client, succeeded=False, refused_because=slowed)
        error = "The email address or password is not right."
        return _sign_in_page(request, {"error": error, "email": email}, 401)
    token, session = signed
    access.record(engine, viewer_of(session, request), "sign-in", "signed in")
    return _signed_in(request, engine, token)


def _signed_in(request: Request, engine: Database, token: str) -> Response:
    if request.cookies.get(SESSION_COOKIE):
        sign_out(engine, request.cookies[SESSION_COOKIE])  # a new session, never the old one
    response = RedirectResponse("/overview", status_code=303)
    set_session_cookie(response, request, token)
    response.delete_cookie(PRE_SESSION_COOKIE, path="/")
    response.delete_cookie(FLOW_COOKIE, path="/")
    return response


@router.get("/sign-in/provider", response_model=None)
def sign_in_with_provider(request: Request, engine: Database) -> Response:
    """Off to the identity provider, with a new state, nonce and PKCE verifier."""
    provider = _provider(request)
    if provider is None:
        raise HTTPException(404, "No identity provider is set up here.")
    flow = provider.new_flow()
    try:
        address = provider.authorization_url(flow)
    except ProviderRefused as refused:
        return _refused(request, engine, "", str(refused), 502)
    browser = secrets.token_urlsafe(32)
    begin_flow(engine, flow, browser)
    response = RedirectResponse(address, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        browser,
        max_age=600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.get("/sign-in/provider/callback", response_model=None)
def provider_callback(request: Request, engine: Database) -> Response:
    """The provider's answer: checked, mapped by the rules, and a session, or a refusal."""
    provider = _provider(request)
    if provider is None:
        raise HTTPException(404, "No identity provider is set up here.")
    query = request.query_params
    flow = take_flow(engine, query.get("state", ""), request.cookies.get(FLOW_COOKIE))
    if flow is None:
        why = "the sign-in did not start in this browser, or took over ten minutes"
        return _refused(request, engine, "", why, 400)
    if "error" in query:
        why = f"the identity provider said {query['error']}: {query.get('error_description', '')}"
        return _refused(request, engine, "", why.strip(": "), 401)
    if "iss" in query and query["iss"] != provider.settings.issuer:
        return _refused(request, engine, "", "the answer came from another issuer", 401)
    try:
        claims = provider.claims(query.get("code", ""), flow)
        email = email_of(claims, provider.settings.email_claim)
    except CodeRefused as refused:
        return _refused(request, engine, "", str(refused), 400)
    except (ProviderRefused, InvalidInput) as refused:
        return _refused(request, engine, "", str(refused), 401)
    mapped = mapped_account(claims, provider.settings.rules)
    if mapped is None:
        why = "no sign-in rule gives this person an organisation and role in homeflow"
        return _refused(request, engine, email, why, 403)

    def audited(conn: Connection, session: Session, change: str | None) -> None:
        viewer = viewer_of(session, request)
        if change:
            audit(conn, viewer, "change", f"{change}, from the identity provider")
        audit(conn, viewer, "sign-in", f"signed in through {provider.settings.name}")

    try:
        token, _session, _change = sign_in_by_provider(
            engine, email, *mapped, provider.settings.provision, *session_limits(), audited
        )
    except (SignInRefused, InvalidInput) as refused:
        return _refused(request, engine, email, str(refused), 403)
    return _signed_in(request, engine, token)


def _refused(request: Request, engine: Database, email: str, why: str, status: int) -> Response:
    access.audit_sign_in(engine, email or "-", client_of(request), False, refused_because=why)
    provider = _provider(request)
    context = {"why": why, "provider_name": provider.settings.name if provider else ""}
    response = render(request, "sign_in_refused.html", None, context, status)
    response.delete_cookie(FLOW_COOKIE, path="/")
    return response


def _signed_out(request: Request, session: Session) -> Response:
    """Home, or to the identity provider to sign out there too when the session began
    there: otherwise the next person at a shared computer would be signed straight in."""
    provider = _provider(request)
    address = "/"
    if session.by_provider and provider is not None:
        try:
            address = provider.sign_out_url(f"{request.app.state.base_url}/") or "/"
        except ProviderRefused:
            address = "/"
    response = RedirectResponse(address, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/sign-out", response_model=None)
async def sign_out_post(request: Request, engine: Database) -> Response:
    session = session_of(engine, request)
    await check_csrf(session, request)
    sign_out(engine, request.cookies[SESSION_COOKIE])
    access.record(engine, viewer_of(session, request), "sign-out", "signed out")
    return _signed_out(request, session)


@router.post("/sign-out-everywhere", response_model=None)
async def sign_out_everywhere(request: Request, engine: Database) -> Response:
    """End every session of the signed-in user: the tablet left on the ward too."""
    session = session_of(engine, request)
    await check_csrf(session, request)
    ended = end_sessions(engine, session.user.email)
    access.record(
        engine, viewer_of(session, request), "sign-out", f"signed out everywhere ({ended})"
    )
    return _signed_out(request, session)
