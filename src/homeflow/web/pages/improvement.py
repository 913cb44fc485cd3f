"""The improvement programme's pages: the assessments, one assessment as an editable grid with
each entry's versions, the sheet to download, and the maturity heat map."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Engine

from homeflow.domain.clock import parse_day
from homeflow.domain.errors import InvalidInput, problems_of
from homeflow.domain.improvement.assessment import (
    AssessmentKey,
    changes_between,
    heat_map,
    standing_entries,
)
from homeflow.domain.improvement.forms import entry_cells
from homeflow.domain.improvement.frameworks import read_status
from homeflow.domain.improvement.records import CELL_FIELDS
from homeflow.domain.improvement.sheet import SheetProblems, heading, rows_of, sheet_columns
from homeflow.ingest.assessment_file import write_sheet
from homeflow.services.improvement import import_sheet
from homeflow.store import access
from homeflow.store import improvement as store
from homeflow.store.db import reading
from homeflow.store.registry import organisation_names, system_of
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, check_csrf, viewer_of
from homeflow.web.rendering import render, when

router = APIRouter()
EDITED_CELLS = CELL_FIELDS[1:]  # the change column is the change an entry is under


def _key(system: str, framework: str, day: str) -> AssessmentKey:
    return AssessmentKey(system, framework, parse_day("date", day))


def _base(key: AssessmentKey) -> str:
    return f"/improvement/assessments/{quote(key.system)}/{quote(key.framework)}/{key.assessed_on}"


@router.get("/improvement", response_class=HTMLResponse)
def improvement_page(request: Request, engine: Database, session: Signed) -> HTMLResponse:
    return _index(request, engine, session, [], 200)


def _index(
    request: Request, engine: Database, session: Session, problems: list[str], status_code: int
) -> HTMLResponse:
    viewer = viewer_of(session, request)
    with reading(engine) as conn:
        found = store.assessments(conn)
        frameworks = store.frameworks(conn)
        system = system_of(conn, viewer.org_code)
        editable = store.may_edit(conn, viewer, system)
        names = organisation_names(conn)
    listed = [
        (key, len(standing_entries(histories)), _base(key))
        for key, histories in sorted(
            found.items(),
            key=lambda kv: (kv[0].system, kv[0].framework, kv[0].assessed_on),
            reverse=True,
        )
    ]
    return render(
        request,
        "improvement.html",
        session,
        {
            "assessments": listed,
            "frameworks": frameworks.values(),
            "framework_titles": {name: f.title for name, f in frameworks.items()},
            "org_names": names,
            "system": system,
            "editable": editable,
            "problems": problems,
        },
        status_code,
    )


@router.post("/improvement/assessments", response_model=None)
async def import_assessment(request: Request, engine: Database, session: Signed) -> Response:
    """A sheet uploaded in the browser, read as `homeflow assessment import` reads it."""
    await check_csrf(session, request)
    form = await request.form()
    viewer = viewer_of(session, request)
    upload = form.get("sheet")
    with reading(engine) as conn:
        system = system_of(conn, viewer.org_code)
        store.check_keeper(conn, viewer, system)  # before the upload is read
    try:
        if isinstance(upload, str) or upload is None or not upload.filename:
            raise InvalidInput("sheet", "choose a .csv or .xlsx file")
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise InvalidInput("sheet", f"{upload.filename} is neither a .csv nor a .xlsx file")
        day = parse_day("date", str(form.get("date") or ""))
        framework = str(form.get("framework") or "")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"sheet{suffix}"
            path.write_bytes(await upload.read())
            read, saved = import_sheet(
                engine, path, framework, system, day, viewer.email, "web-import", viewer
            )
    except SheetProblems as bad:
        return _index(request, engine, session, bad.problems, 400)
    except InvalidInput as bad:
        return _index(request, engine, session, [f"{bad.field}: {bad.reason}"], 400)
    key = AssessmentKey(system, framework, day)
    flags = "&flags=" + quote(str(len(read.flags))) if read.flags else ""
    return RedirectResponse(
        f"{_base(key)}?imported={len(saved.added) + len(saved.changed)}{flags}", status_code=303
    )


@router.get("/improvement/assessments/{system}/{framework}/{day}", response_class=HTMLResponse)
def assessment_page(
    request: Request, engine: Database, session: Signed, system: str, framework: str, day: str
) -> HTMLResponse:
    return _assessment(request, engine, session, _key(system, framework, day), None)


@dataclass(frozen=True, slots=True)
class Adding:
    """An entry whose adding was refused: its change, the cells as typed, every problem."""

    item_code: str
    typed: dict[str, str]
    errors: list[InvalidInput]

    def error(self, name: str) -> str | None:
        return next((e.reason for e in self.errors if e.field == name), None)


def _assessment(
    request: Request,
    engine: Engine,
    session: Session,
    key: AssessmentKey,
    adding: Adding | None,
) -> HTMLResponse:
    """One assessment; after an entry was refused, its add form open on what was typed."""
    viewer = viewer_of(session, request)
    with reading(engine) as conn:
        chosen = store.framework_named(conn, key.framework)
        histories = store.assessments(conn).get(key)
        editable = store.may_edit(conn, viewer, key.system)
        names = organisation_names(conn)
    if not histories:
        raise access.NotFound(
            f"{key.system} has no {key.framework} assessment on {key.assessed_on}"
        )
    entries = standing_entries(histories)
    groups = [
        (
            item,
            [
                (e, read_status(chosen, e.status), len(histories[e.entry_id].versions))
                for e in entries
                if e.item_code == item.code
            ],
        )
        for item in chosen.items
    ]
    return render(
        request,
        "assessment.html",
        session,
        {
            "key": key,
            "framework": chosen,
            "groups": groups,
            "total": len(entries),
            "base": _base(key),
            "editable": editable,
            "cells": EDITED_CELLS,
            "heading": heading,
            "adding": adding,
            "org_names": names,
            "problem": _said(adding.errors) if adding else None,
        },
        400 if adding else 200,
    )


@router.get("/improvement/assessments/{system}/{framework}/{day}/sheet.{suffix}")
def assessment_sheet(
    engine: Database, session: Signed, system: str, framework: str, day: str, suffix: str
) -> Response:
    key = _key(system, framework, day)
    if suffix not in ("csv", "xlsx"):
        raise access.NotFound(f"sheet.{suffix}")
    with reading(engine) as conn:
        chosen = store.framework_named(conn, key.framework)
        histories = store.assessments(conn).get(key)
    if not histories:
        raise access.NotFound(f"{system} has no {framework} assessment on {day}")
    entries = standing_entries(histories)
    columns = sheet_columns(entries)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"sheet.{suffix}"
        write_sheet(path, columns, rows_of(chosen, entries, columns))
        content = path.read_bytes()
    media = (
        "text/csv; charset=utf-8"
        if suffix == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"{key.system}-{key.framework}-{key.assessed_on}.{suffix}"
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get(
    "/improvement/assessments/{system}/{framework}/{day}/entries/{entry_id}",
    response_class=HTMLResponse,
)
def entry_page(
    request: Request,
    engine: Database,
    session: Signed,
    system: str,
    framework: str,
    day: str,
    entry_id: str,
) -> HTMLResponse:
    return _entry(request, engine, session, _key(system, framework, day), entry_id, None, None, 200)


def _entry(
    request: Request,
    engine: Database,
    session: Signed,
    key: AssessmentKey,
    entry_id: str,
    typed: dict[str, str] | None,
    problem: str | None,
    status_code: int,
    errors: list[InvalidInput] | None = None,
) -> HTMLResponse:
    with reading(engine) as conn:
        chosen = store.framework_named(conn, key.framework)
        history = store.assessments(conn).get(key, {}).get(entry_id)
        editable = store.may_edit(conn, viewer_of(session, request), key.system)
        names = organisation_names(conn)
    if history is None:
        raise access.NotFound(entry_id)
    entry = history.current
    return render(
        request,
        "assessment_entry.html",
        session,
        {
            "key": key,
            "framework": chosen,
            "item": chosen.item(entry.item_code),
            "entry": entry,
            "values": typed or {name: getattr(entry, name) for name in EDITED_CELLS},
            "versions": list(reversed(history.versions)),
            "seen": len(history.versions),
            "base": _base(key),
            "editable": editable,
            "cells": EDITED_CELLS,
            "heading": heading,
            "problem": problem,
            "errors": {e.field: e.reason for e in errors or ()},
            "org_names": names,
        },
        status_code,
    )


async def _posted(request: Request) -> dict[str, str]:
    """The entry's cells as typed, or every problem with them (domain.improvement.forms)."""
    form = await request.form()
    limit = cast(int, request.app.state.max_text_chars)
    typed = {name: str(form.get(name) or "") for name in EDITED_CELLS}
    return entry_cells(typed, EDITED_CELLS, limit)


def _typed(form: Mapping[str, object]) -> dict[str, str]:
    return {name: str(form.get(name) or "") for name in EDITED_CELLS}


@router.post(
    "/improvement/assessments/{system}/{framework}/{day}/entries/{entry_id}", response_model=None
)
async def edit_entry(
    request: Request,
    engine: Database,
    session: Signed,
    system: str,
    framework: str,
    day: str,
    entry_id: str,
) -> Response:
    await check_csrf(session, request)
    key = _key(system, framework, day)
    form = await request.form()
    typed = _typed(form)
    try:
        cells = await _posted(request)
        seen = int(str(form.get("seen") or "0"))
        store.edit_entry(engine, viewer_of(session, request), key, entry_id, cells, seen)
    except InvalidInput as bad:
        errors = list(problems_of(bad))
        return _entry(request, engine, session, key, entry_id, typed, _said(errors), 400, errors)
    except ValueError:
        message = "Not saved: the form was damaged; open it again."
        return _entry(request, engine, session, key, entry_id, typed, message, 400)
    except access.Conflict as clash:
        message = (
            f"Not saved: {clash.changed_by or 'someone else'} changed this entry at "
            f"{when(clash.changed_at)}. Their version is below and your entry is kept in the form; "
            "check it and save again."
        )
        return _entry(request, engine, session, key, entry_id, typed, message, 409)
    return RedirectResponse(
        f"{_base(key)}?saved={quote(entry_id)}#{quote(entry_id)}", status_code=303
    )


def _said(errors: list[InvalidInput]) -> str:
    named = (
        f"{heading(e.field) if e.field in CELL_FIELDS else e.field}: {e.reason}" for e in errors
    )
    return "Not saved: " + "; ".join(named) + "."


@router.post("/improvement/assessments/{system}/{framework}/{day}/entries", response_model=None)
async def add_entry(
    request: Request, engine: Database, session: Signed, system: str, framework: str, day: str
) -> Response:
    await check_csrf(session, request)
    key = _key(system, framework, day)
    form = await request.form()
    item_code = str(form.get("item_code") or "")
    try:
        cells = await _posted(request)
        entry_id = store.add_entry(engine, viewer_of(session, request), key, item_code, cells)
    except InvalidInput as bad:
        adding = Adding(item_code, _typed(form), list(problems_of(bad)))
        return _assessment(request, engine, session, key, adding)
    return RedirectResponse(
        f"{_base(key)}?saved={quote(entry_id)}#{quote(entry_id)}", status_code=303
    )


@router.get("/improvement/heat-map", response_class=HTMLResponse)
def heat_map_page(
    request: Request,
    engine: Database,
    session: Signed,
    system: str,
    framework: str,
    on: str,
    against: str = "",
) -> HTMLResponse:
    key = _key(system, framework, on)
    earlier = parse_day("against", against) if against else None
    with reading(engine) as conn:
        chosen = store.framework_named(conn, key.framework)
        found = store.assessments(conn)
        places = store.known_places(conn)
    dates = sorted(
        k.assessed_on for k in found if (k.system, k.framework) == (key.system, key.framework)
    )
    if key not in found:
        raise access.NotFound(f"{system} has no {framework} assessment on {on}")
    now = heat_map(chosen, standing_entries(found[key]), places)
    changed = []
    if earlier is not None:
        before_key = AssessmentKey(key.system, key.framework, earlier)
        if before_key not in found:
            raise access.NotFound(f"{system} has no {framework} assessment on {against}")
        before = heat_map(chosen, standing_entries(found[before_key]), places)
        changed = changes_between(before, now)
    return render(
        request,
        "heat_map.html",
        session,
        {
            "key": key,
            "framework": chosen,
            "map": now,
            "dates": [d for d in dates if d != key.assessed_on],
            "against": earlier,
            "changed": changed,
            "base": _base(key),
        },
    )
