"""The site's coordination view (/coordination?site=RX101): by specialty, beds free, being
cleaned, closed and reserved, who waits for a bed and how long, expected discharges today and
the gap; its figures refresh themselves every 30 seconds (htmx, no inline script). The site
team gives a waiting patient a bed here, and records a decision to admit."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from homeflow.domain import bed_requests as br
from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput, Problems, problems_of
from homeflow.domain.organisations import patient_key
from homeflow.domain.privacy import initials
from homeflow.domain.writes import may_coordinate_beds
from homeflow.services import coordination as service
from homeflow.services import request_measures as measures
from homeflow.services.bed_requests import needs
from homeflow.store import access
from homeflow.store.access.audit import audit_view
from homeflow.store.access.bed_requests import record_bed_request
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.rendering import ended_span, render

router = APIRouter()
WAITING_IN = {
    br.WaitingIn.EMERGENCY_DEPARTMENT: "emergency department",
    br.WaitingIn.ASSESSMENT_UNIT: "assessment unit",
    br.WaitingIn.ANOTHER_SITE: "another site",
}


def _context(request: Request, engine: Database, session: Signed, site: str) -> dict[str, object]:
    viewer = viewer_of(session, request)
    found = service.board(engine, site, clock.now())
    identified = viewer.org_code == found.org_code
    if identified and found.lines[-1].waiting:
        audit_view(engine, viewer, f"coordination view of {site}: patients waiting for a bed")
    return {
        "board": found,
        "site": site,
        "now": found.at,
        "identified": identified,
        "may_allocate": may_coordinate_beds(viewer.org_code, viewer.role, found.org_code),
        "label": lambda r: _label(r, identified),
        "waited": _waited,
        "mark": lambda r: br.marks(r.waited(found.at)),
        "needs": lambda r: needs(r.request),
        "waiting_in": WAITING_IN,
        "figures": service.FIGURES,
    }


def _label(request: br.BedRequest, identified: bool) -> str:
    said = request.request
    if not identified:
        return initials(said.given_name, said.family_name)
    return f"{said.family_name.upper()}, {said.given_name}".strip(", ") or said.patient_id


def _waited(request: br.BedRequest, now: object) -> str:
    waited = request.waited(now)  # type: ignore[arg-type]
    if waited is None:
        return ""
    hours, minutes = divmod(int(waited.total_seconds()) // 60, 60)
    return f"{hours}h {minutes:02d}m"


@router.get("/coordination", response_class=HTMLResponse)
def coordination_page(
    request: Request, engine: Database, session: Signed, site: str = "", saved: str = ""
) -> HTMLResponse:
    return _page(request, engine, session, site, saved=saved)


def _page(
    request: Request,
    engine: Database,
    session: Signed,
    site: str,
    errors: Sequence[InvalidInput] = (),
    typed: dict[str, str] | None = None,
    saved: str = "",
) -> HTMLResponse:
    if not site:
        raise InvalidInput("site", "choose a site: /coordination?site=CODE")
    context = _context(request, engine, session, site)
    context |= {"errors": list(errors), "typed": typed or {}, "saved": saved}
    return render(request, "coordination.html", session, context, 400 if errors else 200)


@router.get("/coordination/figures", response_class=HTMLResponse)
def coordination_figures(
    request: Request, engine: Database, session: Signed, site: str
) -> HTMLResponse:
    """The figures alone, which the page fetches every 30 seconds."""
    context = _context(request, engine, session, site)
    return render(request, "_coordination_figures.html", session, context)


@router.get("/coordination/list", response_class=HTMLResponse)
def coordination_list(
    request: Request, engine: Database, session: Signed, site: str, specialty: str, figure: str
) -> HTMLResponse:
    """The beds or patients a figure counts: as many as the figure says."""
    context = _context(request, engine, session, site)
    found = context["board"]
    assert isinstance(found, service.Board)
    listed = service.members(found, specialty, figure)
    context |= {"specialty": specialty, "figure": figure, "listed": listed}
    return render(request, "coordination_list.html", session, context)


def _text(form: dict[str, str], name: str) -> str:
    return form.get(name, "").strip()


@router.post("/coordination/allocate", response_model=None)
async def allocate_bed(request: Request, engine: Database, session: Signed) -> Response:
    """Give a waiting patient a bed (`bed` is WARD|BED), reserving it for them."""
    await check_csrf(session, request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    site = _text(form, "site")
    try:
        ward, _, bed = _text(form, "bed").partition("|")
        if not ward or not bed:
            raise InvalidInput("bed", "choose a free bed")
        seen = int(form.get("seen", "0") or 0)
        org = service.board(engine, site, clock.now()).org_code
        allocation = br.BedAllocated(_text(form, "request_id"), org, ward, bed)
        record_bed_request(engine, viewer_of(session, request), allocation, site, seen)
    except ValueError:
        return _page(request, engine, session, site, [InvalidInput("seen", "is not a number")])
    except InvalidInput as bad:
        return _page(request, engine, session, site, problems_of(bad), form)
    except access.Conflict:
        problem = InvalidInput("bed", "the request changed since you looked: see it as it is now")
        return _page(request, engine, session, site, [problem], form)
    query = urlencode({"site": site, "saved": f"{ward} {bed}"})
    return RedirectResponse(f"/coordination?{query}", status_code=303)


@router.post("/coordination/requests", response_model=None)
async def request_bed(request: Request, engine: Database, session: Signed) -> Response:
    """A decision to admit recorded by the site team: the patient needs a bed."""
    await check_csrf(session, request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    site = _text(form, "site")
    try:
        made = _request_of(form, site, service.board(engine, site, clock.now()).org_code)
        record_bed_request(engine, viewer_of(session, request), made, site)
    except InvalidInput as bad:
        return _page(request, engine, session, site, problems_of(bad), form)
    query = urlencode({"site": site, "saved": made.family_name or made.local_id or ""})
    return RedirectResponse(f"/coordination?{query}", status_code=303)


def _request_of(form: dict[str, str], site: str, org: str) -> br.BedRequested:
    problems = Problems()
    local_id = _text(form, "local_id")
    if not local_id:
        problems.add("local_id", "the hospital number is required")
    specialty = _text(form, "specialty")
    if not specialty:
        problems.add("specialty", "is required")
    waiting_in = problems.check(_waiting_in, _text(form, "waiting_in"))
    # The key the patient administration system's A01 for them will carry: by NHS number
    # when it is known, else by the hospital number the site issues.
    nhs = _text(form, "nhs_number").replace(" ", "") or None
    if nhs is not None:
        problems.check(patient_key, org, nhs, site, None, "nhs_number")
    problems.done()
    assert waiting_in is not None
    patient = patient_key(org, nhs, site, local_id, "local_id")
    return br.BedRequested(
        f"{org}:DTA-{local_id}-{clock.now():%Y%m%d%H%M%S}",
        org,
        site,
        patient,
        specialty,
        waiting_in,
        side_room=form.get("side_room") == "yes",
        isolation=form.get("isolation") == "yes",
        sex=_text(form, "sex") or None,
        nhs_number=nhs,
        local_id=local_id,
        family_name=_text(form, "family_name"),
        given_name=_text(form, "given_name"),
    )


def _waiting_in(text: str) -> br.WaitingIn:
    try:
        return br.WaitingIn(text or br.WaitingIn.EMERGENCY_DEPARTMENT.value)
    except ValueError:
        raise InvalidInput("waiting_in", f"{text!r} is not a place a patient waits") from None


@router.get("/coordination/placed", response_class=HTMLResponse)
def placed_page(
    request: Request,
    engine: Database,
    session: Signed,
    site: str = "",
    figure: str = "",
    start: str = "",
    end: str = "",
) -> HTMLResponse:
    """The patients behind a point of a wait-for-a-bed chart: the requests placed in its period
    (those over 12 hours, or placed outlying), as many as its figure counts."""
    first, last = ended_span(start, end)
    if figure not in measures.TITLES:
        raise InvalidInput("figure", f"{figure!r} is not a measure of waits for a bed")
    if not site:
        raise InvalidInput("site", "is needed: the site whose patients to list")
    viewer = viewer_of(session, request)
    placed, specialty_of = measures.placed_between(engine, site, first, last)
    listed = measures.members(placed, specialty_of, figure)
    identified = [r for r in listed if r.request.org_code == viewer.org_code]
    if identified:
        audit_view(engine, viewer, f"patients placed in a bed at {site}, {first} to {last}")
    context = {
        "site": site,
        "title": measures.TITLES[figure],
        "first": first,
        "last": last,
        "listed": listed,
        "label": lambda r: _label(r, r.request.org_code == viewer.org_code),
        "waited": _waited,
        "outlying": lambda r: measures.outlying(r, specialty_of),
    }
    return render(request, "coordination_placed.html", session, context)
