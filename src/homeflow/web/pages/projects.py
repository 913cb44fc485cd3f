"""Improvement projects the Model for Improvement way: the aim, the driver diagram, the
measures, and each PDSA cycle with its Study computed from the measure's chart."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from homeflow.domain.clock import today
from homeflow.domain.errors import InvalidInput
from homeflow.domain.improvement.forms import pdsa_from_form, project_from_form
from homeflow.domain.improvement.projects import ProjectHistory
from homeflow.domain.improvement.records import MEASURE_LEVELS, Decision
from homeflow.domain.improvement.series import MANUAL_KPI
from homeflow.reports.charts import spc_spec, spec_json
from homeflow.reports.kpi import KPIS
from homeflow.services import projects as service
from homeflow.store import access
from homeflow.store import projects as store
from homeflow.store.db import reading
from homeflow.store.improvement import may_edit
from homeflow.store.registry import system_of
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.rendering import render, when

router = APIRouter()


def _path(system: str, project_id: str) -> str:
    return f"/improvement/projects/{quote(system)}/{quote(project_id)}"


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _drivers(lines: tuple[str, ...]) -> dict[str, dict[str, list[str]]]:
    """The driver diagram as primary driver -> secondary driver -> change ideas."""
    tree: dict[str, dict[str, list[str]]] = {}
    for line in lines:
        primary, secondary, idea = (part.strip() for part in line.split(">", 2))
        tree.setdefault(primary, {}).setdefault(secondary, []).append(idea)
    return tree


@router.get("/improvement/projects", response_class=HTMLResponse)
def projects_page(request: Request, engine: Database, session: Signed) -> HTMLResponse:
    return _list(request, engine, session, None, {}, 200)


def _list(
    request: Request,
    engine: Database,
    session: Session,
    problem: str | None,
    typed: dict[str, str],
    status_code: int,
) -> HTMLResponse:
    viewer = viewer_of(session, request)
    with reading(engine) as conn:
        found = store.projects(conn)
        series = store.manual_series(conn)
        system = system_of(conn, viewer.org_code)
        editable = may_edit(conn, viewer, system)
    listed = [(key, h, _path(*key)) for key, h in sorted(found.items()) if h.current is not None]
    return render(
        request,
        "projects.html",
        session,
        {
            "projects": listed,
            "system": system,
            "editable": editable,
            "problem": problem,
            "typed": typed,
            "kpis": KPIS,
            "levels": MEASURE_LEVELS,
            "series": sorted(series.values(), key=lambda m: m.series_id),
        },
        status_code,
    )


@router.post("/improvement/projects", response_model=None)
async def add_project(request: Request, engine: Database, session: Signed) -> Response:
    await check_csrf(session, request)
    fields = await _fields(request)
    viewer = viewer_of(session, request)
    with reading(engine) as conn:
        system = system_of(conn, viewer.org_code)
    try:
        project = project_from_form(system, fields)
        service.record(engine, [project], viewer.email, "web", viewer, adding=True)
    except InvalidInput as bad:
        return _list(
            request,
            engine,
            session,
            f"Not saved: {bad.field.replace('_', ' ')} {bad.reason}.",
            fields,
            400,
        )
    return RedirectResponse(_path(system, project.project_id), status_code=303)


def _project(engine: Database, system: str, project_id: str) -> ProjectHistory:
    with reading(engine) as conn:
        found = store.projects(conn).get((system, project_id))
    if found is None or found.current is None:
        raise access.NotFound(f"{system} has no project {project_id!r}")
    return found


@router.get("/improvement/projects/{system}/{project_id}", response_class=HTMLResponse)
def project_page(
    request: Request, engine: Database, session: Signed, system: str, project_id: str
) -> HTMLResponse:
    return _project_page(request, engine, session, system, project_id, None, {}, 200)


def _project_page(
    request: Request,
    engine: Database,
    session: Session,
    system: str,
    project_id: str,
    problem: str | None,
    typed: dict[str, str],
    status_code: int,
) -> HTMLResponse:
    history = _project(engine, system, project_id)
    project = history.current
    assert project is not None
    with reading(engine) as conn:
        editable = may_edit(conn, viewer_of(session, request), system)
    cycles = [
        (cycle.current, service.pdsa_study(engine, cycle.current, today()))
        for cycle in history.pdsas.values()
    ]
    return render(
        request,
        "project.html",
        session,
        {
            "project": project,
            "drivers": _drivers(project.drivers),
            "measures": [m.split(":") for m in project.measures],
            "cycles": sorted(cycles, key=lambda c: (c[0].change_date, c[0].pdsa_id)),
            "path": _path(system, project_id),
            "editable": editable,
            "problem": problem,
            "typed": typed,
            "kpis": KPIS,
            "levels": MEASURE_LEVELS,
        },
        status_code,
    )


@router.post("/improvement/projects/{system}/{project_id}/pdsas", response_model=None)
async def add_pdsa(
    request: Request, engine: Database, session: Signed, system: str, project_id: str
) -> Response:
    await check_csrf(session, request)
    fields = await _fields(request)
    _project(engine, system, project_id)  # no such project: 404 (projects are never removed)
    try:
        pdsa = pdsa_from_form(system, project_id, fields, None)
        viewer = viewer_of(session, request)
        service.record(engine, [pdsa], viewer.email, "web", viewer, adding=True)
    except InvalidInput as bad:
        message = f"Not saved: {bad.field.replace('_', ' ')} {bad.reason}."
        return _project_page(request, engine, session, system, project_id, message, fields, 400)
    return RedirectResponse(
        f"{_path(system, project_id)}/pdsas/{quote(pdsa.pdsa_id)}", status_code=303
    )


@router.get(
    "/improvement/projects/{system}/{project_id}/pdsas/{pdsa_id}", response_class=HTMLResponse
)
def pdsa_page(
    request: Request, engine: Database, session: Signed, system: str, project_id: str, pdsa_id: str
) -> HTMLResponse:
    return _pdsa_page(request, engine, session, system, project_id, pdsa_id, None, 200)


def _pdsa_page(
    request: Request,
    engine: Database,
    session: Session,
    system: str,
    project_id: str,
    pdsa_id: str,
    problem: str | None,
    status_code: int,
) -> HTMLResponse:
    history = _project(engine, system, project_id)
    cycle = history.pdsas.get(pdsa_id)
    if cycle is None:
        raise access.NotFound(f"no PDSA {pdsa_id!r}")
    pdsa = cycle.current
    result = service.pdsa_study(engine, pdsa, today())
    if pdsa.kpi == MANUAL_KPI:
        with reading(engine) as conn:
            manual = store.manual_series(conn).get(pdsa.place)
        title = manual.title if manual else pdsa.place
        better = manual.better if manual else "lower"
    else:
        kpi = KPIS[pdsa.kpi]
        title = kpi.description + (f": {pdsa.measure}" if pdsa.measure else "")
        title += f", {pdsa.place}, weekly"
        better = kpi.better.value if kpi.better else "neither"
    spec = (
        spec_json(
            spc_spec(
                result.chart,
                title[:1].upper() + title[1:],
                changes=[(pdsa.change_date, pdsa.change_idea)],
            )
        )
        if result.chart
        else None
    )
    with reading(engine) as conn:
        editable = may_edit(conn, viewer_of(session, request), system)
    return render(
        request,
        "pdsa.html",
        session,
        {
            "project": history.current,
            "pdsa": pdsa,
            "study": result,
            "spec": spec,
            "better": better,
            "versions": list(reversed(cycle.versions)),
            "path": _path(system, project_id),
            "editable": editable,
            "decisions": list(Decision),
            "problem": problem,
        },
        status_code,
    )


@router.post("/improvement/projects/{system}/{project_id}/pdsas/{pdsa_id}", response_model=None)
async def update_pdsa(
    request: Request, engine: Database, session: Signed, system: str, project_id: str, pdsa_id: str
) -> Response:
    await check_csrf(session, request)
    fields = await _fields(request)
    history = _project(engine, system, project_id)
    cycle = history.pdsas.get(pdsa_id)
    if cycle is None:
        raise access.NotFound(f"no PDSA {pdsa_id!r}")
    viewer = viewer_of(session, request)
    try:
        seen = _seen(fields)
        updated = pdsa_from_form(system, project_id, fields, cycle.current)
        service.record(engine, [updated], viewer.email, "web", viewer, seen=seen)
    except InvalidInput as bad:
        message = f"Not saved: {bad.field.replace('_', ' ')} {bad.reason}."
        return _pdsa_page(request, engine, session, system, project_id, pdsa_id, message, 400)
    except access.Conflict as clash:
        message = (
            f"Not saved: {clash.changed_by or 'someone else'} changed this cycle at "
            f"{when(clash.changed_at)}. Their version is below; save yours again if it still holds."
        )
        return _pdsa_page(request, engine, session, system, project_id, pdsa_id, message, 409)
    return RedirectResponse(
        f"{_path(system, project_id)}/pdsas/{quote(pdsa_id)}?saved=1", status_code=303
    )


def _seen(fields: dict[str, str]) -> int:
    """How many versions of the record the form showed."""
    text = fields.get("seen", "")
    if not text.isdigit():
        raise InvalidInput("seen", "is missing: the form was damaged; open it again")
    return int(text)
