"""Outcomes after discharge: ASCOF 2B(1), placements to bedded settings against their
baseline, independence, readmissions and support within plan, by system, trust or site; each
figure opens to the people it counts."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from homeflow.domain.after_discharge.outcomes import FLOW
from homeflow.domain.after_discharge.permissions import may_record_support
from homeflow.domain.after_discharge.records import (
    Referrer,
    SupportKind,
    SupportOutcome,
    WhereAt91Days,
)
from homeflow.domain.clock import today
from homeflow.domain.errors import InvalidInput
from homeflow.reports.charts import flow_spec, spec_json
from homeflow.services.after_discharge import (
    ChartsFor,
    Level,
    Measured,
    capacity_people,
    measured_outcomes,
    outcome_charts,
    outcome_people,
)
from homeflow.services.support_records import record_support, support_of_spell
from homeflow.store.users import Session
from homeflow.web.auth import (
    CSRF_FIELD,
    Database,
    Signed,
    check_csrf,
    escalation_rules_of,
    viewer_of,
)
from homeflow.web.pages.scenarios import checked_form
from homeflow.web.people import people_page
from homeflow.web.rendering import ended_day, render

router = APIRouter()
# By default a quarter whose 91 days have all passed, against the quarter before it.
FOLLOW_UP_DAYS = 92
QUARTER_DAYS = 91


def _window(start: str, end: str) -> tuple[tuple[date, date], list[InvalidInput]]:
    """The discharge days counted (by default a quarter whose 91 days have all passed), or
    every problem with them at once, each naming its field."""
    checked, errors = checked_form(
        {"start": start, "end": end},
        (
            ("start", lambda v: ended_day("start", v) if v else None),
            ("end", lambda v: ended_day("end", v) if v else None),
        ),
    )
    last = checked.get("end") or today() - timedelta(days=FOLLOW_UP_DAYS)
    first = checked.get("start") or last - timedelta(days=QUARTER_DAYS - 1)
    if not errors and last < first:
        errors.append(InvalidInput("end", "is before the first day"))
    return (first, last), errors


def _level(level: str) -> Level:
    try:
        return Level(level or "system")
    except ValueError:
        raise InvalidInput("level", f"{level!r} is not one of system, org, site") from None


def _measured(engine: Database, first: date, last: date, level: Level) -> list[Measured]:
    length = last - first
    baseline = (first - length - timedelta(days=1), first - timedelta(days=1))
    return measured_outcomes(engine, first, last, level, today(), baseline)


@router.get("/outcomes", response_class=HTMLResponse)
def outcomes_page(
    request: Request,
    engine: Database,
    session: Signed,
    start: str = "",
    end: str = "",
    level: str = "system",
    charts: str = "system",
) -> HTMLResponse:
    (first, last), errors = _window(start, end)
    chosen = _level(level)
    charts_for = ChartsFor.parse(charts)
    if errors:  # the form again, as typed, each problem beside its field
        typed = {"start": start, "end": end}
        context = {
            "errors": errors,
            "typed": typed,
            "level": chosen.value,
            "charts_for": charts_for,
        }
        return render(request, "outcomes.html", session, context, 400)
    weekly = outcome_charts(engine, today(), today(), charts_for)
    # A measure with nobody to count at a place (a mental-health trust's pathways) is left out.
    measured = [
        m for m in _measured(engine, first, last, chosen) if m.row.rate.of or m.row.rate.waiting
    ]
    rows = [m for m in measured if not m.row.measure.startswith(FLOW)]
    flows = [m for m in measured if m.row.measure.startswith(FLOW)]
    window = {"start": f"{first:%d/%m/%Y}", "end": f"{last:%d/%m/%Y}", "level": chosen.value}
    bars = [_flow_bar(m, window) for m in flows]
    context = {
        "errors": [],
        "typed": {"start": first, "end": last},
        "rows": rows,
        "first": first,
        "last": last,
        "level": chosen.value,
        "charts": weekly.charts,
        "charts_for": charts_for,
        "chart_choices": weekly.choices,
        "flows": flows,
        "flow_spec": spec_json(flow_spec(bars)) if bars else None,
    }
    return render(request, "outcomes.html", session, context)


def _flow_bar(measured: Measured, window: dict[str, str]) -> dict[str, object]:
    """One part of the flow chart: a place's pathway, where its people were, how many."""
    row = measured.row
    where, pathway = row.measure.split(": ", 1)[1].rsplit(" after ", 1)
    query = {**window, "measure": row.measure, "place": row.place, "which": "counted"}
    return {
        "from": f"{row.place} {pathway}",
        "where": where,
        "people": len(row.rate.counted),
        "link": "/outcomes/people?" + urlencode(query),
    }


@router.get("/outcomes/people", response_class=HTMLResponse)
def outcome_people_page(
    request: Request,
    engine: Database,
    session: Signed,
    measure: str,
    place: str,
    start: str = "",
    end: str = "",
    level: str = "system",
    which: str = "counted",
) -> HTMLResponse:
    (first, last), errors = _window(start, end)
    if errors:
        raise errors[0]
    rows = _measured(engine, first, last, _level(level))
    try:
        found = outcome_people(
            engine, viewer_of(session, request), rows, place, measure, which == "counted", today()
        )
    except KeyError:
        raise InvalidInput("measure", f"{measure!r} at {place!r} is not an outcome shown") from None
    return people_page(request, session, found)


@router.get("/people/support", response_class=HTMLResponse)
def support_people_page(
    request: Request, engine: Database, session: Signed, kind: str, which: str = "in-use"
) -> HTMLResponse:
    """The people behind the overview's community capacity: in a kind of support today, or
    waiting in hospital for its pathway."""
    if which not in ("in-use", "waiting"):
        raise InvalidInput("which", "must be in-use or waiting")
    occupancy = escalation_rules_of(request).occupancy_percent
    found = capacity_people(
        engine, viewer_of(session, request), kind, which == "in-use", today(), occupancy
    )
    return people_page(request, session, found)


def _support_page(
    request: Request,
    engine: Database,
    session: Session,
    spell_key: str,
    typed: dict[str, str],
    problem: str | None = None,
    saved: str | None = None,
    unchanged: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    viewer = viewer_of(session, request)
    context = {
        "spell_key": spell_key,
        "episodes": support_of_spell(engine, viewer, spell_key),
        "may_record": may_record_support(viewer.role),
        "kinds": list(SupportKind),
        "outcomes": list(SupportOutcome),
        "places": list(WhereAt91Days),
        "referrers": list(Referrer),
        "typed": typed,
        "problem": problem,
        "saved": saved,
        "unchanged": unchanged,
    }
    return render(request, "support.html", session, context, status_code)


@router.get("/spells/{spell_key}/support", response_class=HTMLResponse)
def support_page(
    request: Request,
    engine: Database,
    session: Signed,
    spell_key: str,
    saved: str = "",
    unchanged: str = "",
) -> HTMLResponse:
    """The care transfer hub's record of what followed a stay."""
    return _support_page(
        request, engine, session, spell_key, {}, saved=saved or None, unchanged=unchanged or None
    )


@router.post("/spells/{spell_key}/support", response_model=None)
async def support_post(
    request: Request, engine: Database, session: Signed, spell_key: str
) -> Response:
    await check_csrf(session, request)
    form = await request.form()
    typed = {k: str(v)[:200] for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}
    try:
        episode, stored = record_support(
            engine, viewer_of(session, request), spell_key, typed, today()
        )
    except InvalidInput as problem:
        where = f"{problem.field}: {problem.reason}"
        return _support_page(request, engine, session, spell_key, typed, where, status_code=400)
    said = "saved" if stored else "unchanged"
    address = f"/spells/{quote(spell_key, safe='')}/support?{said}={quote(episode.episode_id)}"
    return RedirectResponse(address, status_code=303)
