"""Community teams' pages: the caseload, a person's episode with its recovery plan and every
form, the discharge decision tool and what it prints. An episode is for the organisation
holding it, and for another organisation only as far as the person's consent, held by that
episode, shares it (`domain/community/permissions`); every look is audited."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Engine

from homeflow.domain.clock import parse_day, today
from homeflow.domain.community.caseload import Caseloads, Episode
from homeflow.domain.community.directory import NEEDS, DirectoryService
from homeflow.domain.community.forms import FORMS, record_from_form
from homeflow.domain.community.leaving import (
    ClosureReason,
    DischargeChoice,
)
from homeflow.domain.community.permissions import (
    Part,
    consents_shown,
    episode_refusal,
    in_lists,
    shared_with,
    team_refusal,
)
from homeflow.domain.community.records import (
    DIALOG_ITEMS,
    Achievement,
    CarerAssessment,
    ContactKind,
    GoalRecorded,
    LifeArea,
)
from homeflow.domain.community.sharing import (
    ConsentPurpose,
    ConsentStatus,
)
from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import DayColour
from homeflow.domain.privacy import format_nhs_number
from homeflow.publishing.leaving_services import LETTERS, letter_css, letter_html
from homeflow.publishing.weekly import pdf_of
from homeflow.reports.community import MEASURES
from homeflow.services import community as service
from homeflow.store import community as store
from homeflow.store.access.audit import audit_view
from homeflow.store.access.scope import Forbidden
from homeflow.store.db import reading
from homeflow.store.registry import organisation_names
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.rendering import render
from homeflow.web.sorting import Column, sort_rows, sortable

router = APIRouter()
RECENT = timedelta(days=28)
# The id each new record gets, by form: what it is about is named by the page.
NEW_IDS = {
    "contact": "contact_id",
    "goal": "goal_id",
    "carer": "carer_id",
    "arbitration": "case_id",
}


def episode_path(episode_id: str) -> str:
    return f"/community/episodes/{quote(episode_id)}"


@router.get("/community", response_class=HTMLResponse)
def caseload_page(
    request: Request, engine: Database, session: Signed, team: str = ""
) -> HTMLResponse:
    return _caseload(request, engine, session, team, None, {}, 200)


def _caseload(
    request: Request,
    engine: Engine,
    session: Session,
    team: str,
    problem: str | None,
    typed: Mapping[str, str],
    status_code: int,
) -> HTMLResponse:
    viewer = viewer_of(session, request)
    day = today()
    with reading(engine) as conn:
        found = store.caseloads(conn)
    teams = sorted(found.teams.values(), key=lambda t: t.name)
    chosen = found.teams.get(team) or next(
        (t for t in teams if t.org_code == viewer.org_code), teams[0] if teams else None
    )
    episodes = [
        e
        for e in found.episodes.values()
        if chosen is not None and e.opened.team_code == chosen.team_code
    ]
    # The lists show plans, contacts and reviews: for episodes whose consent shares less (carer
    # support), only the person and a link.
    visible = [e for e in episodes if in_lists(viewer.org_code, e)]
    partly = [e for e in episodes if shared_with(viewer.org_code, e) and e not in visible]
    rows, sorting = sort_rows(
        request,
        sorted(
            (_row(found, e, day) for e in visible if e.status(day) != "closed"),
            key=lambda r: (r["status"] != "open", r["name"]),
        ),
        COLUMNS,
    )
    overdue = found.overdue_reviews(visible, day)
    arbitrations = [(e, a) for e in visible for a in e.arbitrations.values()]
    recent = [(e, c) for e in visible for c in e.sorted_contacts() if c.on > day - RECENT]
    closed_recently = [e for e in visible if (e.closed_on(day) or date.min) > day - RECENT]
    if visible or partly:
        audit_view(engine, viewer, f"caseload {chosen.team_code if chosen else ''}")
    return render(
        request,
        "caseload.html",
        session,
        {
            "teams": teams,
            "team": chosen,
            "may_record": chosen is not None
            and team_refusal(viewer.org_code, viewer.role, chosen) is None,
            "hidden": len(episodes) - len(visible) - len(partly),
            "partly": sorted(partly, key=lambda e: (e.opened.family_name, e.opened.given_name)),
            "rows": rows,
            "sorting": sorting,
            "overdue": overdue,
            "arbitrations": arbitrations,
            "red": [(e, c) for e, c in recent if c.colour is DayColour.RED],
            "contacts": len(recent),
            "closed_recently": closed_recently,
            "problem": problem,
            "typed": typed,
            "today": day,
            "path": episode_path,
        },
        status_code,
    )


# The caseload's people, sorted by the column their header asks for (each row is `_row`'s).
COLUMNS: Mapping[str, Column[dict[str, Any]]] = sortable(
    "caseload.html",
    {
        "person": Column(lambda r: r["name"], shows="patient"),
        "lead": Column(lambda r: r["episode"].opened.lead_professional),
        "began": Column(lambda r: r["episode"].opened.opened_on, shows="day"),
        "plan": Column(lambda r: "Yes" if r["plan"] else "No"),
        "last": Column(lambda r: r["last"].on if r["last"] else None, shows="day"),
        "review": Column(lambda r: r["next_review"].due if r["next_review"] else None, shows="day"),
        "carers": Column(lambda r: r["carers"], first="desc", shows="number"),
    },
)


def _row(found: Caseloads, e: Episode, day: date) -> dict[str, object]:
    goals = e.current_goals()
    contacts = e.sorted_contacts()
    dues = [r for r in found.reviews_due(e, day) if r.held is None]
    return {
        "episode": e,
        "name": f"{e.opened.family_name}, {e.opened.given_name}",
        "nhs": format_nhs_number(e.opened.nhs_number),
        "status": e.status(day),
        "plan": e.plan is not None,
        "goals": f"{len(e.achieved_goals())} of {len(goals)}",
        "last": contacts[-1] if contacts else None,
        "next_review": dues[0] if dues else None,
        "carers": len(e.carers),
        "check_in": e.check_in(),
    }


@router.post("/community/episodes", response_model=None)
async def open_episode(request: Request, engine: Database, session: Signed) -> Response:
    await check_csrf(session, request)
    fields = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    viewer = viewer_of(session, request)
    episode_id = f"ep-{secrets.token_hex(4)}"
    try:
        item = record_from_form("episode-opened", fields, {"episode_id": episode_id})
        service.record(engine, [item], today(), viewer)
    except InvalidInput as bad:
        problem = f"Not saved: {bad.field.replace('_', ' ')} {bad.reason}."
        return _caseload(
            request, engine, session, fields.get("team_code", ""), problem, fields, 400
        )
    return RedirectResponse(episode_path(episode_id), status_code=303)


@router.get("/community/episodes/{episode_id}", response_class=HTMLResponse)
def episode_page(
    request: Request, engine: Database, session: Signed, episode_id: str, goal: str = ""
) -> HTMLResponse:
    """The episode; with `goal`, that goal's form filled in with where it stands now."""
    return _episode(request, engine, session, episode_id, None, "", {}, 200, goal)


def _progress_form(current: GoalRecorded, day: date) -> dict[str, str]:
    """A goal's form as it stands, to note progress on it today."""
    return {
        "goal_id": current.goal_id,
        "description": current.description,
        "life_area": current.life_area.value,
        "success_criteria": current.success_criteria,
        "target_date": current.target_date.isoformat(),
        "recorded_on": day.isoformat(),
        "who_helps": current.who_helps,
        "achievement": current.achievement.value,
    }


def _episode(
    request: Request,
    engine: Engine,
    session: Session,
    episode_id: str,
    problem: str | None,
    form: str,
    typed: Mapping[str, str],
    status_code: int,
    goal: str = "",
) -> HTMLResponse:
    viewer = viewer_of(session, request)
    day = today()
    with reading(engine) as conn:
        found, episode, shared = store.episode_for(conn, viewer, episode_id)
        directory = store.directory(conn)
    audit_view(engine, viewer, f"episode {episode_id}")
    if goal in episode.goals:
        form, typed = "goal", _progress_form(episode.goals[goal][-1], day)
    contacts = episode.sorted_contacts()
    rated = [c for c in contacts if c.dialog]
    return render(
        request,
        "episode.html",
        session,
        {
            "e": episode,
            "p": episode.opened,
            "team": found.teams.get(episode.opened.team_code),
            "nhs": format_nhs_number(episode.opened.nhs_number),
            "status": episode.status(day),
            "closed_on": episode.closed_on(day),
            "shared": shared,
            "may_record": episode_refusal(viewer.org_code, viewer.role, episode) is None,
            "contacts": contacts,
            "dialog": rated[-4:],
            "dialog_items": DIALOG_ITEMS,
            "reviews": found.reviews_due(episode, day),
            "consents": consents_shown(viewer.org_code, episode),
            "re_referred": _if_shared(viewer.org_code, found.re_referred(episode, day)),
            "elsewhere": [
                (e, shared_with(viewer.org_code, e))
                for e in found.of_person(episode.opened.nhs_number)
                if e is not episode and shared_with(viewer.org_code, e)
            ],
            "directory": directory,
            "needs": NEEDS,
            "choices": {
                "life_area": list(LifeArea),
                "achievement": list(Achievement),
                "kind": list(ContactKind),
                "assessment": list(CarerAssessment),
                "choice": list(DischargeChoice),
                "reason": list(ClosureReason),
                "purpose": list(ConsentPurpose),
                "consent": list(ConsentStatus),
            },
            "problem": problem,
            "form": form,
            "typed": typed,
            "today": day,
            "path": episode_path(episode_id),
            "letters": LETTERS,
            "prefill": _decision_prefill(episode, directory, day),
        },
        status_code,
    )


def _if_shared(viewer_org: str, episode: Episode | None) -> Episode | None:
    """The episode, if the viewer's organisation may know of it."""
    return episode if episode is not None and shared_with(viewer_org, episode) else None


def _decision_prefill(
    episode: Episode, directory: Mapping[str, DirectoryService], day: date
) -> dict[str, str]:
    """The decision tool's answers as far as the plan already gives them."""
    goals = episode.current_goals()
    achieved = episode.achieved_goals()
    services = [
        directory[s.service_id].name for s in episode.signposts if s.service_id in directory
    ]
    return {
        "goals_met": f"{len(achieved)} of {len(goals)} goals achieved: "
        + "; ".join(f"{g.description} ({g.achievement.value})" for g in goals),
        "support_outside": "; ".join(services),
        "crisis_and_reaccess": episode.plan.crisis_plan if episode.plan else "",
        "decided_on": day.isoformat(),
        "decided_by": episode.opened.lead_professional,
    }


@router.post("/community/episodes/{episode_id}/{form}", response_model=None)
async def record_on_episode(
    request: Request, engine: Database, session: Signed, episode_id: str, form: str
) -> Response:
    await check_csrf(session, request)
    fields = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    viewer = viewer_of(session, request)
    with reading(engine) as conn:
        store.episode_for(conn, viewer, episode_id)  # 404 or 403 before reading the form
    # The page names the episode (and, for consent, no person: a consent is the episode's).
    fixed: dict[str, object] = {"episode_id": episode_id}
    if form == "consent":
        fixed["nhs_number"] = ""
    elif form in NEW_IDS and not fields.get(NEW_IDS[form]):
        fixed[NEW_IDS[form]] = f"{form[:3]}-{secrets.token_hex(3)}"
    try:
        if form not in FORMS or form in ("team-defined", "episode-opened", "directory-service"):
            raise InvalidInput("form", f"{form!r} is not a form of this page")
        item = record_from_form(form, fields, fixed)
        service.record(engine, [item], today(), viewer)
    except InvalidInput as bad:
        problem = f"Not saved: {bad.field.replace('_', ' ')} {bad.reason}."
        return _episode(request, engine, session, episode_id, problem, form, fields, 400)
    return RedirectResponse(f"{episode_path(episode_id)}#{form}", status_code=303)


@router.get("/community/letter.css", response_model=None)
def letter_style() -> Response:
    return Response(letter_css(), media_type="text/css")


@router.get("/community/episodes/{episode_id}/letters/{kind}", response_model=None)
def letter(
    request: Request, engine: Database, session: Signed, episode_id: str, kind: str
) -> Response:
    """The summary for the person and carer, or the GP letter: `summary` or `gp-letter`, as
    HTML, or as PDF with `.pdf` on the end."""
    viewer = viewer_of(session, request)
    as_pdf = kind.endswith(".pdf")
    kind = kind.removesuffix(".pdf")
    with reading(engine) as conn:
        found, episode, shared = store.episode_for(conn, viewer, episode_id)
        directory = store.directory(conn)
        names = organisation_names(conn)
    if Part.DECISION not in shared:
        raise Forbidden("the person's consent to your organisation does not share their letters")
    team = found.teams.get(episode.opened.team_code)
    trust = names.get(team.org_code, "") if team else ""
    html = letter_html(kind, found, episode, directory, inline=as_pdf, trust=trust)
    audit_view(engine, viewer, f"episode {episode_id} {kind}")
    if not as_pdf:
        return HTMLResponse(html)
    return Response(
        pdf_of(html),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{episode_id}-{kind}.pdf"'},
    )


@router.get("/community/measures/{name}", response_class=HTMLResponse)
def measure_people(
    request: Request, engine: Database, session: Signed, name: str, place: str, week: str
) -> HTMLResponse:
    """The people behind one week's value of a community measure: as many as it counts."""
    viewer = viewer_of(session, request)
    day = parse_day("week", week)
    monday = day - timedelta(days=day.weekday())
    if monday + timedelta(days=6) >= today():  # a measure counts only weeks that have ended
        raise InvalidInput("week", f"the week of {monday:%d/%m/%Y} has not ended yet")
    value, found = service.measure_week(engine, name, place, monday, today())
    counted = [(found.episodes[i], what) for i, what in value.counted]
    shown = [(e, what) for e, what in counted if in_lists(viewer.org_code, e)]
    if shown:
        audit_view(engine, viewer, f"community measure {name} {place} {week}")
    return render(
        request,
        "community_measure.html",
        session,
        {
            "measure": MEASURES[name],
            "value": value,
            "place": place,
            "shown": shown,
            "hidden": len(counted) - len(shown),
            "path": episode_path,
        },
    )
