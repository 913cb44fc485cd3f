"""Scenarios built and edited in the browser; the calibrated models viewed and downloaded."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from homeflow.domain.errors import InvalidInput
from homeflow.services import scenario_files as files
from homeflow.sim.model import PATHWAYS
from homeflow.store import access
from homeflow.web.auth import Signed, check_csrf
from homeflow.web.pages.scenarios import RUNS_SIMULATIONS, models_folder_of
from homeflow.web.rendering import render

router = APIRouter()


def _may_edit(session: Signed) -> None:
    if session.user.role not in RUNS_SIMULATIONS:
        raise access.Forbidden("analysts, system coordinators and admins write scenarios")


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
    _may_edit(session)
    return _builder(request, session, model, {})


@router.post("/scenarios/new", response_model=None)
async def save_new_scenario(request: Request, session: Signed) -> Response:
    _may_edit(session)
    await check_csrf(session, request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    folder = models_folder_of(request)
    model_file = form.get("model", "")
    try:
        model = files.load_model(folder, model_file)
        name = files.file_name(form.get("file", "") or form.get("name", ""))
        files.save(folder, name, files.scenario_text(form, model), model, replace_existing=False)
    except InvalidInput as bad:
        return _builder(
            request, session, model_file, form, f"{bad.field.replace('_', ' ')}: {bad.reason}"
        )
    return RedirectResponse(
        f"/scenarios/files/{quote(name)}?model={quote(model_file)}&saved=1", status_code=303
    )


def _editor(
    request: Request,
    session: Signed,
    name: str,
    model_file: str,
    text: str | None,
    problem: str = "",
    saved: bool = False,
) -> HTMLResponse:
    folder = models_folder_of(request)
    if not files.EXISTING.match(name):
        raise access.NotFound(f"scenario {name}")
    path = folder / "scenarios" / name
    if text is None:
        if not path.is_file():
            raise access.NotFound(f"scenario {name}")
        text = path.read_text("utf-8")
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
            "models": sorted(p.name for p in folder.glob("*.toml")),
        },
        status_code=400 if problem else 200,
    )


@router.get("/scenarios/files/{name}", response_class=HTMLResponse)
def scenario_file(
    request: Request, session: Signed, name: str, model: str = "", saved: str = ""
) -> HTMLResponse:
    _may_edit(session)
    return _editor(request, session, name, model, None, saved=bool(saved))


@router.post("/scenarios/files/{name}", response_model=None)
async def save_scenario_file(request: Request, session: Signed, name: str) -> Response:
    _may_edit(session)
    await check_csrf(session, request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    folder, text, model_file = (
        models_folder_of(request),
        form.get("text", ""),
        form.get("model", ""),
    )
    try:
        model = files.load_model(folder, model_file)
        files.save(folder, name, text, model, replace_existing=True)
    except InvalidInput as bad:
        return _editor(
            request, session, name, model_file, text, f"{bad.field.replace('_', ' ')}: {bad.reason}"
        )
    return _editor(request, session, name, model_file, None, saved=True)


@router.get("/scenarios/models/{name}", response_class=HTMLResponse)
def model_page(request: Request, session: Signed, name: str) -> HTMLResponse:
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
def model_download(request: Request, _session: Signed, name: str) -> Response:
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
