"""Scenarios built and edited in the browser; the calibrated models viewed and downloaded.

Only the folder's system's users see these pages, and only its planners save or delete a file
(domain/planning): the pages ask before they read, the store again as it keeps the change
with its audit row. Forms are read on the event loop; files are parsed in the threadpool.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from homeflow.domain.errors import InvalidInput
from homeflow.domain.planning import Planning
from homeflow.services import scenario_files as files
from homeflow.sim.model import PATHWAYS
from homeflow.store import access
from homeflow.store.users import Session
from homeflow.web.auth import Signed, check_csrf, engine_of, viewer_of
from homeflow.web.pages.scenarios import check_planning, models_folder_of, models_system_of
from homeflow.web.rendering import render

router = APIRouter()


def _may_edit(request: Request, session: Session) -> None:
    check_planning(request, session, Planning.CHANGE)


async def _edit_form(request: Request, session: Session) -> dict[str, str]:
    """A form that changes a scenario file: its token checked, from a planner of the folder's
    system only; its fields."""
    await check_csrf(session, request)
    await run_in_threadpool(_may_edit, request, session)
    return {k: str(v) for k, v in (await request.form()).items()}


def _builder(
    request: Request, session: Signed, model_file: str, form: dict[str, str], problem: str = ""
) -> HTMLResponse:
    model = files.load_model(models_folder_of(request), model_file)
    return render(
        request,
        "scenario_new.html",
        session,
        {
            "model_file": model_file,
            "model": model,
            "pathways": PATHWAYS,
            "form": form,
            "problem": problem,
        },
        status_code=400 if problem else 200,
    )


@router.get("/scenarios/new", response_class=HTMLResponse)
def new_scenario(request: Request, session: Signed, model: str) -> HTMLResponse:
    _may_edit(request, session)
    return _builder(request, session, model, {})


def _save_new(request: Request, session: Session, form: dict[str, str]) -> Response:
    folder = models_folder_of(request)
    model_file = form.get("model", "")
    try:
        model = files.load_model(folder, model_file)
        name = files.file_name(form.get("file", "") or form.get("name", ""))
        text = files.scenario_text(form, model)
        files.save(*_who(request, session), folder, name, text, model, replace_existing=False)
    except InvalidInput as bad:
        return _builder(
            request, session, model_file, form, f"{bad.field.replace('_', ' ')}: {bad.reason}"
        )
    return RedirectResponse(
        f"/scenarios/files/{quote(name)}?model={quote(model_file)}&saved=1", status_code=303
    )


@router.post("/scenarios/new", response_model=None)
async def save_new_scenario(request: Request, session: Signed) -> Response:
    form = await _edit_form(request, session)
    return await run_in_threadpool(_save_new, request, session, form)


def _who(request: Request, session: Session) -> tuple[Engine, access.Viewer, str | None]:
    """The database, the user and the folder's system a change is checked and audited with."""
    return engine_of(request), viewer_of(session, request), models_system_of(request)


def _editor(
    request: Request,
    session: Signed,
    name: str,
    model_file: str,
    text: str | None,
    problem: str = "",
    saved: bool = False,
    version: str = "",
    status_code: int = 400,
) -> HTMLResponse:
    """The file as saved (`text` None: its version is the one the form will send back), or
    as typed with the problem it has (and the version it was opened at)."""
    folder = models_folder_of(request)
    if not files.EXISTING.match(name):
        raise access.NotFound(f"scenario {name}")
    path = folder / "scenarios" / name
    if text is None:
        if not path.is_file():
            raise access.NotFound(f"scenario {name}")
        text = path.read_text("utf-8")
        version = files.version_of(text)
    return render(
        request,
        "scenario_file.html",
        session,
        {
            "name": path.name,
            "text": text,
            "model_file": model_file,
            "problem": problem,
            "saved": saved,
            "version": version,
            "models": sorted(p.name for p in folder.glob("*.toml")),
        },
        status_code=status_code if problem else 200,
    )


@router.get("/scenarios/files/{name}", response_class=HTMLResponse)
def scenario_file(
    request: Request, session: Signed, name: str, model: str = "", saved: str = ""
) -> HTMLResponse:
    _may_edit(request, session)
    return _editor(request, session, name, model, None, saved=bool(saved))


def _save_file(request: Request, session: Session, name: str, form: dict[str, str]) -> Response:
    folder, text, model_file = (
        models_folder_of(request),
        form.get("text", ""),
        form.get("model", ""),
    )
    opened = form.get("version") or None
    try:
        model = files.load_model(folder, model_file)
        who = _who(request, session)
        files.save(*who, folder, name, text, model, replace_existing=True, opened=opened)
    except InvalidInput as bad:
        problem = f"{bad.field.replace('_', ' ')}: {bad.reason}"
        return _editor(request, session, name, model_file, text, problem, version=opened or "")
    except access.Conflict as clash:
        problem = f"{clash}: open it again to see the change before you save yours"
        return _editor(
            request, session, name, model_file, text, problem, version=opened or "", status_code=409
        )
    return _editor(request, session, name, model_file, None, saved=True)


@router.post("/scenarios/files/{name}", response_model=None)
async def save_scenario_file(request: Request, session: Signed, name: str) -> Response:
    form = await _edit_form(request, session)
    return await run_in_threadpool(_save_file, request, session, name, form)


@router.post("/scenarios/files/{name}/delete", response_model=None)
async def delete_scenario_file(request: Request, session: Signed, name: str) -> Response:
    await _edit_form(request, session)
    folder = models_folder_of(request)
    await run_in_threadpool(files.delete, *_who(request, session), folder, name)
    return RedirectResponse("/scenarios", status_code=303)


@router.get("/scenarios/models/{name}", response_class=HTMLResponse)
def model_page(request: Request, session: Signed, name: str) -> HTMLResponse:
    check_planning(request, session, Planning.READ)
    folder = models_folder_of(request)
    try:
        model = files.load_model(folder, name)
    except InvalidInput as bad:
        raise access.NotFound(f"model {name}: {bad.reason}") from None
    return render(
        request,
        "scenario_model.html",
        session,
        {"name": name, "model": model, "text": (folder / name).read_text("utf-8")},
    )


@router.get("/scenarios/models/{name}/download")
def model_download(request: Request, session: Signed, name: str) -> Response:
    check_planning(request, session, Planning.READ)
    folder = models_folder_of(request)
    try:
        files.load_model(folder, name)
    except InvalidInput as bad:
        raise access.NotFound(f"model {name}: {bad.reason}") from None
    return Response(
        (folder / name).read_text("utf-8"),
        media_type="application/toml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
