"""The integrated OPEL score of a day for the viewer's system: each provider's parameters, where
each came from, the points, the levels and the system's roll-up, with six weeks of history as
SPC charts; a provider's flow staff enter its own parameters here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from homeflow.domain.errors import InvalidInput, Problems, problems_of
from homeflow.domain.escalation import Thresholds
from homeflow.domain.opel import OpelParameterEntered, Parameter, SystemScore, parameters
from homeflow.domain.writes import may_enter_opel
from homeflow.services import opel as service
from homeflow.store.db import reading
from homeflow.store.registry import organisation_names, system_of
from homeflow.web.auth import Database, Signed, check_csrf, escalation_rules_of, viewer_of
from homeflow.web.pages.scenarios import checked_form
from homeflow.web.rendering import day_or_yesterday, render

router = APIRouter()


def _chosen(request: Request) -> tuple[Parameter, ...]:
    settings: tuple[dict[str, Thresholds], dict[str, int]] = request.app.state.opel_settings
    return parameters(escalation_rules_of(request), *settings)


def _page(
    request: Request,
    engine: Database,
    session: Signed,
    typed: dict[str, str],
    errors: Sequence[InvalidInput] = (),
    saved: str = "",
) -> HTMLResponse:
    viewer = viewer_of(session, request)
    checked, bad = checked_form(typed, [("day", lambda v: day_or_yesterday("day", v))])
    shown: date | None = checked.get("day")
    with reading(engine) as conn:
        system = system_of(conn, viewer.org_code)
        names = organisation_names(conn)
    context: dict[str, object] = {
        "day": shown, "typed": typed, "saved": saved,
        "errors": [*errors, *(b for b in bad if b.field not in {e.field for e in errors})],
        "found": None, "charts": [], "own": None, "links": {},
        "system_name": names.get(system, system),
    }  # fmt: skip
    if shown is None:
        return render(request, "opel.html", session, context, 400)
    chosen = _chosen(request)
    found = next((s for s in service.opel_day(engine, shown, chosen) if s.system == system), None)
    own = None
    if found is not None:
        own = next((p for p in found.providers if p.org_code == viewer.org_code), None)
        if own is not None and not may_enter_opel(viewer.org_code, viewer.role, own.org_code):
            own = None
    context |= {
        "typed": {**typed, "day": typed.get("day") or f"{shown:%d/%m/%Y}"},
        "found": found,
        "own": own,
        "links": _links(found, shown),
        "charts": service.opel_charts(engine, shown, chosen, system) if found else [],
    }
    return render(request, "opel.html", session, context, 400 if errors else 200)


def _links(found: SystemScore | None, day: date) -> dict[tuple[str, str], str]:
    """Where each computed figure opens to the patients behind it."""
    if found is None:
        return {}
    links = {}
    for provider in found.providers:
        for r in provider.readings:
            link = service.people_link(provider, r, day)
            if link:
                links[(provider.org_code, r.parameter.code)] = link
    return links


@router.get("/opel", response_class=HTMLResponse)
def opel_page(
    request: Request, engine: Database, session: Signed, day: str = "", saved: str = ""
) -> HTMLResponse:
    return _page(request, engine, session, {"day": day}, saved=saved)


def _entries(form: dict[str, str], chosen: Sequence[Parameter]) -> list[OpelParameterEntered]:
    """The values typed (a field left empty enters nothing), or every field's problem."""
    problems = Problems()
    day = problems.check(day_or_yesterday, "day", form.get("day", ""))
    org = form.get("org_code", "")
    found = []
    for parameter in chosen:
        text = form.get(parameter.code, "").strip()
        if parameter.computed is not None or not text or day is None:
            continue
        found.append(problems.check(_entry, org, day, parameter.code, text))
    problems.done()
    return [f for f in found if f is not None]


def _entry(org: str, day: date, code: str, text: str) -> OpelParameterEntered:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(code, f"{text!r} is not a number") from None
    try:
        return OpelParameterEntered(org, day, code, value)
    except InvalidInput as problem:
        field = code if problem.field == "value" else problem.field
        raise InvalidInput(field, problem.reason) from None


@router.post("/opel", response_model=None)
async def enter_opel(request: Request, engine: Database, session: Signed) -> Response:
    await check_csrf(session, request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        items = _entries(form, _chosen(request))
        if not items:
            raise InvalidInput("day", "no value was typed: type at least one parameter's value")
        stored = service.enter_opel(engine, viewer_of(session, request), items)
    except InvalidInput as bad:
        return _page(request, engine, session, form, problems_of(bad))
    query = urlencode({"day": f"{items[0].on:%d/%m/%Y}", "saved": str(stored)})
    return RedirectResponse(f"/opel?{query}", status_code=303)
