"""FHIR R4 Encounter endpoints. Errors are OperationOutcome resources with a 4xx status."""

import math
import threading
import time
from collections import deque
from typing import Annotated, Any, NamedTuple, cast

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import Role
from homeflow.ingest.fhir import Malformed
from homeflow.ingest.fhir_api import (
    Forbidden,
    NotFound,
    read_encounter_by_id,
    record_refusal,
    save_encounter,
    search_encounters,
)
from homeflow.store import access
from homeflow.store.access import Viewer
from homeflow.store.api_tokens import Caller, caller_for
from homeflow.web.auth import Database, client_of, engine_of

FHIR_JSON = "application/fhir+json"


class Issue(BaseModel):
    severity: str
    code: str
    diagnostics: str
    expression: list[str] = []


class OperationOutcome(BaseModel):
    resourceType: str = "OperationOutcome"
    issue: list[Issue]


def outcome(
    status: int, code: str, diagnostics: str, expression: str | None = None
) -> JSONResponse:
    body = OperationOutcome(
        issue=[
            Issue(
                severity="error",
                code=code,
                diagnostics=diagnostics,
                expression=[expression] if expression else [],
            )
        ]
    )
    return JSONResponse(body.model_dump(), status_code=status, media_type=FHIR_JSON)


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"description": "OperationOutcome", "model": OperationOutcome} for code in codes}


RESOURCE: dict[str, Any] = {"description": "Encounter"}
BUNDLE: dict[str, Any] = {"description": "searchset Bundle"}


class FhirProblem(Exception):
    def __init__(self, response: JSONResponse) -> None:
        self.response = response


router = APIRouter(prefix="/fhir", tags=["FHIR"])


class TokenRateLimit:
    """At most `per_minute` calls a token in any sixty seconds, in this server process."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.calls: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def wait_needed(self, token_id: str) -> float:
        """0 if the call may go ahead (and it is counted), else seconds until one may."""
        now = time.monotonic()
        with self.lock:
            calls = self.calls.setdefault(token_id, deque())
            while calls and calls[0] <= now - 60:
                calls.popleft()
            if len(calls) >= self.per_minute:
                return calls[0] + 60 - now
            calls.append(now)
            return 0.0


def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Caller:
    """The organisation a bearer token acts for, if the token is valid and within its rate."""
    engine = engine_of(request)
    if not authorization or not authorization.lower().startswith("bearer "):
        raise FhirProblem(
            outcome(401, "login", "a bearer token is required (homeflow token create)")
        )
    found = caller_for(engine, authorization[7:].strip())
    if found is None or found.scope != "fhir":
        raise FhirProblem(outcome(401, "login", "the bearer token is not valid for the FHIR API"))
    wait = cast(TokenRateLimit, request.app.state.fhir_rate_limit).wait_needed(found.token_id)
    if wait > 0:
        busy = outcome(429, "throttled", "too many requests with this token: slow down")
        busy.headers["Retry-After"] = str(math.ceil(wait))
        raise FhirProblem(busy)
    return found


def _audit(request: Request, who: Caller, action: str, what: str, key: str | None = None) -> None:
    """FHIR reads and writes of identifiable data, and refusals, as web views are."""
    viewer = Viewer(f"token {who.token_id}", who.org_code, Role.ANALYST, client_of(request))
    access.record(engine_of(request), viewer, action, what, key)


def _base(request: Request) -> str:
    return cast(str, request.app.state.base_url)


def written(status_and_doc: tuple[int, dict[str, Any]], request: Request) -> JSONResponse:
    """A stored Encounter (its audit row went in with it) and where it now lives."""
    status, document = status_and_doc
    version = document["meta"]["versionId"]
    headers = {
        "Location": f"{_base(request)}/fhir/Encounter/{document['id']}/_history/{version}",
        "ETag": f'W/"{version}"',
    }
    return JSONResponse(document, status_code=status, media_type=FHIR_JSON, headers=headers)


class Sent(NamedTuple):
    """A write's body and the id it names, kept with its outcome when it is refused."""

    body: Any
    resource_id: str | None


def guarded(request: Request, who: Caller, action: Any, sent: Sent | None = None) -> Any:
    try:
        return action()
    except InvalidInput as problem:
        # 400 for a body not shaped as an Encounter, 422 for one homeflow cannot take.
        well_formed = not isinstance(problem, Malformed) and problem.field.startswith("Encounter.")
        return refused(
            request,
            sent,
            outcome(422 if well_formed else 400, "invalid", problem.reason, problem.field),
            problem.field,
            problem.reason,
        )
    except Forbidden as problem:
        _audit(request, who, "refused", f"{request.method} {request.url.path}: {problem}")
        forbidden = outcome(403, "forbidden", str(problem))
        return refused(request, sent, forbidden, "Encounter", f"forbidden: {problem}")
    except NotFound as problem:
        return outcome(404, "not-found", f"Encounter/{problem} is not known")


def refused(
    request: Request, sent: Sent | None, answer: JSONResponse, field: str, reason: str
) -> JSONResponse:
    """A refused write is kept with the feed's messages (the feeds page lists it); a read is
    not a message."""
    if sent is not None:
        record_refusal(engine_of(request), sent.body, sent.resource_id, field, reason)
    return answer


@router.post(
    "/Encounter",
    status_code=201,
    responses={201: RESOURCE, 200: RESOURCE, **_errors(400, 401, 403, 422, 413, 429)},
    response_class=FhirResponse,
)
def create(
    request: Request,
    engine: Database,
    body: Annotated[dict[str, Any], Body(media_type=FHIR_JSON)],
    who: Annotated[Caller, Depends(caller)],
    if_none_exist: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Create an Encounter; with If-None-Exist: identifier=..., a conditional create."""
    result = guarded(
        request,
        who,
        lambda: save_encounter(engine, who, body, None, if_none_exist, client_of(request)),
        Sent(body, None),
    )
    return result if isinstance(result, JSONResponse) else written(result, request)


@router.put(
    "/Encounter/{resource_id}",
    responses={200: RESOURCE, 201: RESOURCE, **_errors(400, 401, 403, 422, 413, 429)},
    response_class=FhirResponse,
)
def update(
    request: Request,
    engine: Database,
    resource_id: str,
    body: Annotated[dict[str, Any], Body(media_type=FHIR_JSON)],
    who: Annotated[Caller, Depends(caller)],
) -> JSONResponse:
    sent = Sent(body, resource_id)
    if isinstance(body, dict) and body.get("id") not in (None, resource_id):
        different = "the body's id differs from the URL"
        answer = outcome(400, "invalid", different, "Encounter.id")
        return refused(request, sent, answer, "Encounter.id", different)
    result = guarded(
        request,
        who,
        lambda: save_encounter(engine, who, body, resource_id, client=client_of(request)),
        sent,
    )
    return result if isinstance(result, JSONResponse) else written(result, request)


@router.get(
    "/Encounter/{resource_id}",
    responses={200: RESOURCE, **_errors(400, 401, 404, 413, 429)},
    response_class=FhirResponse,
)
def read(
    request: Request, engine: Database, resource_id: str, who: Annotated[Caller, Depends(caller)]
) -> JSONResponse:
    result = guarded(request, who, lambda: read_encounter_by_id(engine, who, resource_id))
    if isinstance(result, JSONResponse):
        return result
    _audit(request, who, "fhir-read", f"Encounter/{resource_id}")
    return JSONResponse(result, media_type=FHIR_JSON)


@router.get(
    "/Encounter",
    responses={200: BUNDLE, **_errors(400, 401, 413, 429)},
    response_class=FhirResponse,
)
def search(
    request: Request,
    engine: Database,
    who: Annotated[Caller, Depends(caller)],
    patient: str | None = None,
    status: str | None = None,
    location: str | None = None,
    date: Annotated[str | None, Query(description="[eq|ge|le|gt|lt]YYYY-MM-DD")] = None,
) -> JSONResponse:
    result = guarded(
        request, who, lambda: search_encounters(engine, who, patient, status, location, date)
    )
    if isinstance(result, JSONResponse):
        return result
    if result:
        _audit(request, who, "fhir-read", f"Encounter search: {len(result)} found")
    query = f"?{request.url.query}" if request.url.query else ""
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(result),
        "link": [{"relation": "self", "url": f"{_base(request)}/fhir/Encounter{query}"}],
        "entry": [
            {
                "fullUrl": f"{_base(request)}/fhir/Encounter/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in result
        ],
    }
    return JSONResponse(bundle, media_type=FHIR_JSON)
