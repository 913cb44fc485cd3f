"""The improvement collaborative: learning sessions, action periods and peer visits, each
team's monthly progress scores, momentum per action period, and the monthly system report."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from homeflow.domain.clock import format_day, parse_day, today
from homeflow.domain.errors import InvalidInput, Problems, problems_of
from homeflow.domain.improvement.actions import due_lists
from homeflow.domain.improvement.collaborative import (
    PROGRESS_SCORES,
    GatheringKind,
    GatheringRecorded,
    ProgressScored,
    ScoredBy,
    momentum,
)
from homeflow.domain.improvement.forms import check_id
from homeflow.reports.charts import momentum_spec, spec_json
from homeflow.reports.kpi import Level, Period
from homeflow.services.measures import measure_charts
from homeflow.services.projects import pdsa_study
from homeflow.store import actions as action_store
from homeflow.store import collaborative as store
from homeflow.store import projects as project_store
from homeflow.store.db import reading
from homeflow.store.improvement import may_edit
from homeflow.store.registry import system_of
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.rendering import render

router = APIRouter()
E = TypeVar("E", bound=StrEnum)
# The forms' fields as their labels read.
_LABELS = {
    "kind": "What",
    "gathering_id": "Short id",
    "title": "Title",
    "starts": "Starts",
    "ends": "Ends",
    "team": "Team",
    "month": "Month",
    "score": "Score",
    "scored_by": "Scored by",
}


@router.get("/improvement/collaborative", response_class=HTMLResponse)
def collaborative_page(request: Request, engine: Database, session: Signed) -> HTMLResponse:
    return _page(request, engine, session, None, {}, 200)


def _page(
    request: Request,
    engine: Database,
    session: Session,
    problem: str | None,
    typed: dict[str, str],
    status_code: int,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    viewer = viewer_of(session, request)
    with reading(engine) as conn:
        held = store.gatherings(conn)
        scored = store.scores(conn)
        recorded = store.activity(conn)
        system = system_of(conn, viewer.org_code)
        editable = may_edit(conn, viewer, system)
    periods = momentum(held, recorded)
    rows = [
        {
            "period": m.period.title,
            "starts": m.period.starts.isoformat(),
            "people": m.people,
            "actions": m.actions,
            "momentum": m.momentum,
        }
        for m in periods
    ]
    teams: dict[str, dict[str, dict[str, ProgressScored]]] = {}
    for s in scored:
        teams.setdefault(s.team, {}).setdefault(s.month.isoformat(), {})[s.scored_by.value] = s
    return render(
        request,
        "collaborative.html",
        session,
        {
            "gatherings": held,
            "periods": periods,
            "spec": spec_json(momentum_spec(rows)) if rows else None,
            "teams": teams,
            "labels": PROGRESS_SCORES,
            "kinds": list(GatheringKind),
            "scorers": list(ScoredBy),
            "system": system,
            "editable": editable,
            "problem": problem,
            "typed": typed,
            "errors": errors or {},
            "month": today().replace(day=1),
        },
        status_code,
    )


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _gathering(system: str, fields: dict[str, str]) -> GatheringRecorded:
    """A gathering from its form, or every problem with it at once."""
    problems = Problems()
    kind = problems.check(
        _choice, fields, "kind", GatheringKind, "a learning session, action period or peer visit"
    )
    gathering_id = problems.check(check_id, "gathering_id", fields.get("gathering_id", "").strip())
    starts = problems.check(parse_day, "starts", fields.get("starts", "").strip())
    ends_text = fields.get("ends", "").strip()
    ends = problems.check(parse_day, "ends", ends_text) if ends_text else starts
    if starts and ends and ends < starts:
        problems.add("ends", f"is before it starts ({format_day(starts)})")
    if not fields.get("title", "").strip():
        problems.add("title", "is required")
    problems.done()
    assert kind is not None and gathering_id is not None and starts is not None
    return GatheringRecorded(
        system=system,
        gathering_id=gathering_id,
        kind=kind,
        title=fields.get("title", "").strip(),
        starts=starts,
        ends=ends or starts,
        participants=tuple(
            p.strip() for p in fields.get("participants", "").splitlines() if p.strip()
        ),
        visited=fields.get("visited", "").strip(),
        findings=fields.get("findings", "").strip(),
        agreed_actions=fields.get("agreed_actions", "").strip(),
    )


def _choice(fields: dict[str, str], name: str, kind: type[E], words: str) -> E:
    text = fields.get(name, "")
    try:
        return kind(text)
    except ValueError:
        raise InvalidInput(name, f"{text!r} is not {words}") from None


def _month(text: str) -> date:
    """A month typed mm/yyyy (or yyyy-mm, as addresses carry it), as its first day."""
    shown = text.strip()
    if "/" in shown and len(shown.split("/")) == 2:
        month, year = shown.split("/")
        shown = f"{year.strip()}-{month.strip().zfill(2)}"
    if len(shown) == 7:
        shown += "-01"
    try:
        return date.fromisoformat(shown)
    except ValueError:
        raise InvalidInput("month", f"{text!r} is not a month (mm/yyyy)") from None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidInput("score", f"{text!r} is not a number") from None


def _score(system: str, fields: dict[str, str]) -> ProgressScored:
    """A progress score from its form, or every problem with it at once."""
    problems = Problems()
    month = problems.check(_month, fields.get("month", ""))
    scored_by = problems.check(_choice, fields, "scored_by", ScoredBy, "team or faculty")
    score = problems.check(_number, fields.get("score", ""))
    if not fields.get("team", "").strip():
        problems.add("team", "is required")
    problems.done()
    assert month is not None and scored_by is not None and score is not None
    return ProgressScored(
        system,
        fields.get("team", "").strip(),
        month,
        score,
        scored_by,
        fields.get("notes", "").strip(),
    )


@router.post("/improvement/collaborative/{what}", response_model=None)
async def record(request: Request, engine: Database, session: Signed, what: str) -> Response:
    await check_csrf(session, request)
    fields = await _fields(request)
    viewer = viewer_of(session, request)
    with reading(engine) as conn:
        system = system_of(conn, viewer.org_code)
    try:
        if what == "gatherings":
            item: GatheringRecorded | ProgressScored = _gathering(system, fields)
        elif what == "scores":
            item = _score(system, fields)
        else:
            raise InvalidInput("what", f"{what!r} is not gatherings or scores")
        store.save(engine, item, viewer, viewer.email, "web")
    except InvalidInput as bad:
        errors = {p.field: f"{_LABELS.get(p.field, p.field)}: {p.reason}" for p in problems_of(bad)}
        typed = {**fields, "form": what}
        return _page(request, engine, session, "Not saved.", typed, 400, errors)
    return RedirectResponse("/improvement/collaborative?saved=1", status_code=303)


@router.get("/improvement/collaborative/report", response_class=HTMLResponse)
def monthly_report(
    request: Request, engine: Database, session: Signed, month: str = ""
) -> HTMLResponse:
    """A system's month: its measures, its actions and its PDSA cycles, and its scores."""
    viewer = viewer_of(session, request)
    first = (
        parse_day("month", month + "-01") if month else today().replace(day=1) - timedelta(days=1)
    )
    first = first.replace(day=1)
    last = min(
        (first + timedelta(days=32)).replace(day=1) - timedelta(days=1), today() - timedelta(days=1)
    )
    if last < first:
        raise InvalidInput("month", "has not begun yet")
    with reading(engine) as conn:
        system = system_of(conn, viewer.org_code)
        tracked = action_store.tracked_actions(conn, viewer)
        found = project_store.projects(conn)
        scored = [s for s in store.scores(conn) if s.system == system and s.month == first]
    charts = measure_charts(
        engine, Level.SYSTEM, "system", first - timedelta(weeks=20), last, Period.WEEKLY
    )
    improvement = [a for a in tracked if a.source == "improvement"]
    lists = due_lists(improvement, last + timedelta(days=1))
    done = [
        a
        for a in improvement
        if a.status.value == "done" and a.due_date and first <= a.due_date <= last
    ]
    cycles = [
        (c.current, pdsa_study(engine, c.current, last + timedelta(days=1)))
        for (owner, _), h in found.items()
        if owner == system
        for c in h.pdsas.values()
    ]
    return render(
        request,
        "collaborative_report.html",
        session,
        {
            "system": system,
            "first": first,
            "last": last,
            "charts": charts,
            "overdue": lists.overdue,
            "done": done,
            "cycles": cycles,
            "scores": scored,
            "labels": PROGRESS_SCORES,
        },
    )
