"""A site's beds and each one's state (`/beds?site=RX101`), and a bed's status set from it by
its trust's ward staff and site team (`POST /beds`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from homeflow.config import beds_cleaned_after_discharge
from homeflow.domain import clock
from homeflow.domain.bed_state import (
    REASON_WORDS,
    SETTABLE,
    STATUS_WORDS,
    BedStatus,
    BedStatusSet,
    ClosureReason,
    Period,
)
from homeflow.domain.errors import InvalidInput, Problems, problems_of
from homeflow.domain.writes import may_set_bed_status
from homeflow.services.bed_measures import CLOSED, TURNAROUND, reason_words
from homeflow.services.bed_state import site_beds, site_measures
from homeflow.store import access, db
from homeflow.store.access.bed_state import record_bed_status, seen_token
from homeflow.store.registry import site_names, sites_and_wards
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.pages.whiteboard import show_board
from homeflow.web.rendering import ended_span, render

router = APIRouter()


def _page(
    request: Request,
    engine: Database,
    session: Signed,
    site: str,
    ward: str = "",
    message: str = "",
    errors: Sequence[InvalidInput] = (),
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    with db.reading(engine) as conn:
        names = site_names(conn)
        org_of_site, _ = sites_and_wards(conn)
    if not site:
        raise InvalidInput("site", "is needed: the site whose beds to list")
    rows = site_beds(engine, site, clock.now())
    wards = sorted({r.ward for r in rows})
    if ward and ward not in wards:
        raise InvalidInput("ward", f"{ward!r} is not a ward of {site}")
    viewer = viewer_of(session, request)
    return render(
        request,
        "beds.html",
        session,
        {
            "site": site,
            "site_name": names.get(site, site),
            "ward": ward,
            "wards": wards,
            "rows": [r for r in rows if not ward or r.ward == ward],
            "counts": {s: sum(1 for r in rows if r.status is s) for s in BedStatus},
            "may_set": may_set_bed_status(viewer.org_code, viewer.role, org_of_site[site]),
            "settable": SETTABLE,
            "status_words": STATUS_WORDS,
            "reason_words": REASON_WORDS,
            "seen": seen_token,
            "message": message,
            "errors": list(errors),
            "typed": typed or {},
        },
        status_code=400 if errors else 200,
    )


@router.get("/beds", response_class=HTMLResponse)
def beds_page(
    request: Request, engine: Database, session: Signed, site: str = "", ward: str = ""
) -> HTMLResponse:
    return _page(request, engine, session, site, ward)


def _status(form: dict[str, str]) -> BedStatusSet:
    """The status the form sets, or every field's problem at once."""
    problems = Problems()
    status = problems.check(_settable, form.get("status", ""))
    reason = problems.check(_reason, form.get("reason", ""), status)
    problems.done()
    assert status is not None
    return BedStatusSet(form.get("ward_code", ""), form.get("bed", ""), status, reason)


def _settable(text: str) -> BedStatus:
    if not text:
        raise InvalidInput("status", "choose the bed's status")
    try:
        status = BedStatus(text)
    except ValueError:
        raise InvalidInput("status", f"{text!r} is not a bed status") from None
    if status is BedStatus.OCCUPIED:
        raise InvalidInput("status", "a bed is occupied by an admission or transfer into it")
    return status


def _reason(text: str, status: BedStatus | None) -> ClosureReason | None:
    if status is not BedStatus.CLOSED:
        if text:
            raise InvalidInput("reason", "only a closed bed has a closure reason")
        return None
    try:
        return ClosureReason(text)
    except ValueError:
        raise InvalidInput("reason", "choose why the bed is closed") from None


@router.post("/beds", response_model=None)
async def set_bed_status(request: Request, engine: Database, session: Signed) -> Response:
    await check_csrf(session, request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    site, ward = form.get("site", ""), form.get("ward", "")
    # Set from the ward board (`board`): the board comes back, with the bed's control open on
    # why when the change was not saved.
    board, bed, ward_code = form.get("board") == "1", form.get("bed", ""), form.get("ward_code", "")
    try:
        status = _status(form)
        record_bed_status(
            engine,
            viewer_of(session, request),
            status,
            form.get("seen", ""),
            beds_cleaned_after_discharge(),
        )
    except InvalidInput as bad:
        if board:
            said = "; ".join(f"{e.field}: {e.reason}" for e in problems_of(bad))
            return show_board(request, engine, session, ward_code, None, None, (bed, said, 400))
        return _page(request, engine, session, site, ward, errors=problems_of(bad), typed=form)
    except access.Conflict as clash:
        said = f"Bed {form.get('bed')} of {form.get('ward_code')} now reads {clash.now_reads}"
        if board:
            problem = (bed, f"{said}: nothing was changed.", 409)
            return show_board(request, engine, session, ward_code, None, None, problem)
        return _page(request, engine, session, site, ward, message=f"{said}: nothing was changed.")
    if board:
        return RedirectResponse(f"/wards/{quote(ward_code)}#bed-{quote(bed)}", 303)
    query = urlencode({"site": site, **({"ward": ward} if ward else {})})
    return RedirectResponse(f"/beds?{query}#bed-{quote(status.ward_code)}-{quote(status.bed)}", 303)


@router.get("/beds/figures", response_class=HTMLResponse)
def bed_figure_page(
    request: Request,
    engine: Database,
    session: Signed,
    site: str = "",
    figure: str = "",
    start: str = "",
    end: str = "",
) -> HTMLResponse:
    """The beds behind a point of a bed measure's chart: the turnarounds it averages, or the
    closures whose bed-hours it adds up."""
    first, last = ended_span(start, end)
    kind, _, reason = figure.partition(":")
    if kind not in (TURNAROUND, CLOSED) or (kind == CLOSED) != bool(reason):
        raise InvalidInput("figure", f"{figure!r} is not a bed measure")
    if not site:
        raise InvalidInput("site", "is needed: the site whose beds to list")
    found = site_measures(engine, site, first, last)
    closures = [
        (ward, bed, period, _hours_within(period, first, last))
        for ward, bed, period in found.closures.get(reason, ())
    ]
    return render(
        request,
        "bed_figures.html",
        session,
        {
            "site": site,
            "kind": kind,
            "reason": reason_words(reason) if reason else "",
            "first": first,
            "last": last,
            "found": found,
            "closures": closures,
            "closed_days": sum(h for *_, h in closures) / 24,
        },
    )


def _hours_within(period: Period, first: date, last: date) -> float:
    start, end = clock.start_of_day(first), clock.midnight_after(last)
    until = end if period.until is None else min(period.until, end)
    return (until - max(period.since, start)).total_seconds() / 3600
