"""The web app: signed-in pages, the FHIR API and the aggregate JSON APIs."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from homeflow.config import escalation_rules, models_folder
from homeflow.domain.errors import InvalidInput
from homeflow.store import access, db
from homeflow.store.simulation_runs import interrupt_unfinished
from homeflow.store.users import session_for
from homeflow.web import api, fhir, pages
from homeflow.web.auth import SESSION_COOKIE, CsrfRefused, SecurityHeaders, SignInRequired
from homeflow.web.fhir import FhirProblem, outcome
from homeflow.web.rendering import render

STATIC = Path(__file__).parent / "static"


def app_from_environment() -> FastAPI:
    """The app on the database HOMEFLOW_DATABASE_URL names (what `homeflow serve` runs, once
    in each worker process)."""
    return create_app(db.connect())


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(title="homeflow")
    app.state.engine = engine
    app.state.escalation_rules = escalation_rules()
    app.state.models_folder = models_folder()
    # A run left queued or running by a server that stopped will never finish: say so.
    interrupt_unfinished(engine)
    app.add_middleware(SecurityHeaders)
    for router in (fhir.router, api.router, *pages.ROUTERS):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # The NHS stylesheet asks for its icons at /assets/images.
    app.mount("/assets", StaticFiles(directory=STATIC / "nhsuk" / "assets"), name="nhsuk-assets")

    def problem_page(request: Request, status_code: int, title: str, detail: str) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        session = session_for(engine, token) if token else None
        return render(
            request,
            "problem.html",
            session,
            {"title": title, "problem": detail, "back": None},
            status_code=status_code,
        )

    @app.exception_handler(SignInRequired)
    def sign_in_required(request: Request, _error: SignInRequired) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/"})
        if request.method == "GET":
            return RedirectResponse("/", status_code=303)
        return problem_page(request, 401, "Sign in", "Your session has ended. Sign in again.")

    @app.exception_handler(CsrfRefused)
    def csrf_refused(request: Request, _error: CsrfRefused) -> Response:
        detail = (
            "This form has expired or did not come from homeflow. Reload the page and try again."
        )
        return problem_page(request, 403, "Form refused", detail)

    @app.exception_handler(access.Forbidden)
    def forbidden(request: Request, error: access.Forbidden) -> Response:
        return problem_page(request, 403, "You do not have access", str(error))

    @app.exception_handler(access.NotFound)
    def not_found(request: Request, error: access.NotFound) -> Response:
        return problem_page(request, 404, "Not found", f"There is no {error}.")

    @app.exception_handler(InvalidInput)
    def invalid_input(request: Request, error: InvalidInput) -> Response:
        return problem_page(request, 400, "Check the address", f"{error.field}: {error.reason}")

    @app.exception_handler(FhirProblem)
    def fhir_problem(_request: Request, problem: FhirProblem) -> JSONResponse:
        return problem.response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        if not request.url.path.startswith("/fhir"):
            return await request_validation_exception_handler(request, error)
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return outcome(400, "invalid", str(first["msg"]), where or None)

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, error: StarletteHTTPException) -> Response:
        # The FHIR API answers every error, even an unreadable body, with an OperationOutcome.
        if not request.url.path.startswith("/fhir"):
            return await http_exception_handler(request, error)
        return outcome(error.status_code, "invalid", str(error.detail))

    return app
