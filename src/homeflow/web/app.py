"""The web app: signed-in pages, the FHIR API and the aggregate JSON APIs."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from homeflow.config import (
    base_url,
    escalation_rules,
    fhir_requests_per_minute,
    max_text_chars,
    models_folder,
    models_system,
    opel_settings,
    sign_in_settings,
)
from homeflow.store import db
from homeflow.store.simulation_runs import interrupt_unfinished
from homeflow.web import api, fhir, pages
from homeflow.web.auth import SameOriginWrites, SecurityHeaders, content_security_policy
from homeflow.web.errors import add_error_pages
from homeflow.web.identity_provider import IdentityProvider
from homeflow.web.limits import BodyLimit, max_body_bytes

STATIC = Path(__file__).parent / "static"


def app_from_environment() -> FastAPI:
    """The app on the database HOMEFLOW_DATABASE_URL names (what `homeflow serve` runs, once
    in each worker process)."""
    return create_app(db.connect())


def create_app(engine: Engine) -> FastAPI:
    # The API's description is for signed-in users and token holders (web/api.py serves it).
    app = FastAPI(title="homeflow", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.engine = engine
    app.state.escalation_rules = escalation_rules()
    app.state.opel_settings = opel_settings()  # a bad setting stops the start, named
    app.state.models_folder = models_folder()
    app.state.models_system = models_system()
    app.state.base_url = base_url()
    app.state.max_text_chars = max_text_chars()
    app.state.fhir_rate_limit = fhir.TokenRateLimit(fhir_requests_per_minute())
    app.state.sign_in = sign_in = sign_in_settings()
    provider = None
    if sign_in.provider is not None:
        callback = f"{app.state.base_url}/sign-in/provider/callback"
        provider = IdentityProvider(sign_in.provider, callback)
    app.state.identity_provider = provider
    # A run left queued or running by a server that stopped will never finish: say so.
    interrupt_unfinished(engine)
    app.add_middleware(BodyLimit, limit=max_body_bytes())
    app.add_middleware(SameOriginWrites)
    app.add_middleware(
        SecurityHeaders, policy=content_security_policy((provider.origin,) if provider else ())
    )
    for router in (fhir.router, api.router, *pages.ROUTERS):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # The NHS stylesheet asks for its icons at /assets/images.
    app.mount("/assets", StaticFiles(directory=STATIC / "nhsuk" / "assets"), name="nhsuk-assets")

    add_error_pages(app)
    return app
