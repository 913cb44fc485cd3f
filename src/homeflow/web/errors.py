"""How the app answers what goes wrong: a page in the design system for people, an
OperationOutcome for the FHIR API. A refused attempt is audited."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from homeflow.domain.errors import InvalidInput
from homeflow.store import access
from homeflow.store.users import session_for
from homeflow.web.auth import SESSION_COOKIE, CsrfRefused, SignInRequired, engine_of, viewer_of
from homeflow.web.fhir import FhirProblem, outcome
from homeflow.web.rendering import render


def problem_page(request: Request, status_code: int, title: str, detail: str) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    session = session_for(engine_of(request), token) if token else None
    return render(
        request,
        "problem.html",
        session,
        {"title": title, "problem": detail, "back": None},
        status_code=status_code,
    )


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/openapi.json"))


def sign_in_required(request: Request, _error: Exception) -> Response:
    if _is_api(request):
        detail = "sign in, or send a bearer token (homeflow token create)"
        return JSONResponse({"detail": detail}, status_code=401)
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": "/"})
    if request.method == "GET":
        return RedirectResponse("/", status_code=303)
    return problem_page(request, 401, "Sign in", "Your session has ended. Sign in again.")


def csrf_refused(request: Request, _error: Exception) -> Response:
    detail = "This form has expired or did not come from homeflow. Reload the page and try again."
    return problem_page(request, 403, "Form refused", detail)


def forbidden(request: Request, error: Exception) -> Response:
    engine = engine_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = session_for(engine, token) if token else None
    if session is not None:
        what = f"{request.method} {request.url.path}: {error}"
        spell_key = request.path_params.get("spell_key")
        access.audit_refused(engine, viewer_of(session, request), what, spell_key)
    return problem_page(request, 403, "You do not have access", str(error))


def not_found(request: Request, error: Exception) -> Response:
    return problem_page(request, 404, "Not found", f"There is no {error}.")


def invalid_input(request: Request, error: Exception) -> Response:
    assert isinstance(error, InvalidInput)
    if _is_api(request):
        return JSONResponse({"field": error.field, "reason": error.reason}, status_code=400)
    return problem_page(request, 400, "Check the address", f"{error.field}: {error.reason}")


def database_refused(request: Request, _error: Exception) -> Response:
    """The database refused a write (or is away): its transaction rolled back whole, so the
    change and its audit row are both not stored. Said without reading the database again."""
    detail = "The record could not be saved just now, and nothing was changed. Try again shortly."
    if _is_api(request) or request.url.path.startswith("/fhir"):
        return JSONResponse({"detail": detail}, status_code=503)
    return render(
        request, "problem.html", None, {"title": "Not saved", "problem": detail, "back": None},
        status_code=503,
    )  # fmt: skip


def fhir_problem(_request: Request, problem: Exception) -> Response:
    assert isinstance(problem, FhirProblem)
    return problem.response


def _said(problem: Mapping[str, Any]) -> str:
    """One of FastAPI's validation problems as a person reads it: the field (a parameter of
    the address, or of a form) and what is wrong with it."""
    field = str(problem["loc"][-1]) if problem.get("loc") else "the address"
    if problem.get("type") == "missing":
        return f"{field}: is needed"
    return f"{field}: {str(problem.get('msg', 'cannot be read')).lower()}"


async def invalid_request(request: Request, error: Exception) -> Response:
    """A request whose parameters do not read: the FHIR API answers with an OperationOutcome,
    the JSON API with FastAPI's problem list, and a page with a page, naming each parameter."""
    assert isinstance(error, RequestValidationError)
    if request.url.path.startswith("/fhir"):
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return outcome(400, "invalid", str(first["msg"]), where or None)
    if _is_api(request):
        return await request_validation_exception_handler(request, error)
    said = "; ".join(_said(p) for p in error.errors()) or "it cannot be read"
    detail = f"This page was opened from an address it cannot read ({said}). Go back and use its links or its form."
    return problem_page(request, 400, "Check the address", detail)


async def http_problem(request: Request, error: Exception) -> Response | JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    # The FHIR API answers every error, even an unreadable body, with an OperationOutcome;
    # the JSON API with its JSON; a page with a page.
    if request.url.path.startswith("/fhir"):
        return outcome(error.status_code, "invalid", str(error.detail))
    if _is_api(request) or error.status_code < 400:
        return await http_exception_handler(request, error)
    title = "Not found" if error.status_code == 404 else "There is a problem"
    said = error.detail != HTTPStatus(error.status_code).phrase
    detail = str(error.detail) if said else "There is no page at this address."
    return problem_page(request, error.status_code, title, detail)


def add_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    app.add_exception_handler(access.Forbidden, forbidden)
    app.add_exception_handler(access.NotFound, not_found)
    app.add_exception_handler(InvalidInput, invalid_input)
    app.add_exception_handler(FhirProblem, fhir_problem)
    app.add_exception_handler(DBAPIError, database_refused)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_problem)
