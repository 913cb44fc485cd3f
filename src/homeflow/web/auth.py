"""Signing in, sessions, CSRF and the security headers every response carries."""

from __future__ import annotations

import hmac
import os
import secrets
from typing import Annotated, Literal, cast

from fastapi import Depends, Request, Response
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from homeflow.domain.escalation import EscalationRules
from homeflow.store.access import Viewer
from homeflow.store.users import Session, csrf_matches, session_for

SESSION_COOKIE = "homeflow_session"
# Before sign-in: a random token in a cookie that the sign-in form must also post, so a page
# on another site cannot sign a browser in to an account of its choosing (login CSRF).
PRE_SESSION_COOKIE = "homeflow_pre_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def content_security_policy(sign_in_origins: tuple[str, ...] = ()) -> str:
    """No inline script or style anywhere: htmx and the NHS design system load from /static.
    Forms post only here, and to the identity provider's origin (signing out there too)."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            " ".join(("form-action 'self'", *sign_in_origins)),
            "frame-ancestors 'none'",
        )
    )


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Sent only on an answer that came over HTTPS (directly, or from a proxy named in
# HOMEFLOW_TRUSTED_PROXIES saying so): a browser that once reached homeflow securely never again
# goes to it in plain HTTP, where a network attacker could take the session cookie. A year, as
# browsers' preload lists ask; not includeSubDomains, which would bind the trust's other sites.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


class SignInRequired(Exception):
    pass


class CsrfRefused(Exception):
    pass


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def engine_of(request: Request) -> Engine:
    """The database the app was made with (`create_app`)."""
    return cast(Engine, request.app.state.engine)


def escalation_rules_of(request: Request) -> EscalationRules:
    """The system's escalation settings, read once when the app was made."""
    return cast(EscalationRules, request.app.state.escalation_rules)


def session_of(engine: Engine, request: Request) -> Session:
    token = request.cookies.get(SESSION_COOKIE)
    session = session_for(engine, token) if token else None
    if session is None:
        raise SignInRequired()
    return session


def signed_in(request: Request) -> Session:
    """The signed-in user's session: every page but sign-in depends on it."""
    return session_of(engine_of(request), request)


Database = Annotated[Engine, Depends(engine_of)]
Signed = Annotated[Session, Depends(signed_in)]


def viewer_of(session: Session, request: Request) -> Viewer:
    user = session.user
    return Viewer(user.email, user.org_code, user.role, client_of(request))


async def check_csrf(session: Session, request: Request) -> None:
    """Every state-changing request carries the session's token, as a form field or (for
    HTMX) a header; a page on another site cannot read it, so cannot forge a post."""
    offered = request.headers.get(CSRF_HEADER)
    if offered is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        offered = value if isinstance(value, str) else None
    if not csrf_matches(session, offered):
        raise CsrfRefused()


def pre_session_of(request: Request) -> str:
    """The browser's pre-session token, a new one when it has none yet."""
    return request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(32)


def set_pre_session_cookie(response: Response, request: Request, token: str) -> None:
    _set_cookie(response, request, PRE_SESSION_COOKIE, token, "strict")


def pre_session_matches(request: Request, offered: str | None) -> bool:
    expected = request.cookies.get(PRE_SESSION_COOKIE)
    return bool(expected and offered and hmac.compare_digest(expected, offered))


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or os.environ.get("HOMEFLOW_SECURE_COOKIES") == "1"


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    _set_cookie(response, request, SESSION_COOKIE, token, "lax")


def _set_cookie(
    response: Response, request: Request, name: str, token: str, samesite: Literal["lax", "strict"]
) -> None:
    response.set_cookie(
        name, token, httponly=True, samesite=samesite, secure=secure_cookies(request), path="/"
    )


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SameOriginWrites:
    """Refuses a state-changing request a browser sent from another site (403), whatever the
    cookies say: by Sec-Fetch-Site where the browser sends it, else by Origin. Requests with
    neither (not a browser) go on to their own checks: the session's CSRF token, or the API's
    bearer token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = dict(scope["headers"])
            site = headers.get(b"sec-fetch-site", b"").decode("latin-1")
            origin = headers.get(b"origin", b"").decode("latin-1")
            host = headers.get(b"host", b"").decode("latin-1")
            # An opaque origin ("null", a sandboxed frame) is not this site either.
            cross = site not in ("", "same-origin", "none") or (
                site == "" and origin != "" and origin.split("://", 1)[-1] != host
            )
            if cross:
                response = Response("Cross-site request refused.", status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Adds the security headers to every response (plain ASGI: no copy of the body)."""

    def __init__(self, app: ASGIApp, policy: str = content_security_policy()) -> None:
        self.app = app
        self.headers = {"Content-Security-Policy": policy, **SECURITY_HEADERS}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static") or scope["path"].startswith("/assets")
        https = scope.get("scheme") == "https"  # uvicorn sets it from a trusted proxy's word

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if https:
                    headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
                if not static:
                    # Pages hold patient data: never keep them in a shared or browser cache.
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)
