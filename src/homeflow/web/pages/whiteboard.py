"""A ward's whiteboard."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from homeflow.config import models_folder
from homeflow.domain.bed_state import REASON_WORDS, SETTABLE, STATUS_WORDS
from homeflow.domain.clock import now, today
from homeflow.domain.writes import may_set_bed_status
from homeflow.services.bed_state import site_beds
from homeflow.services.morning_predictions import morning
from homeflow.store import access
from homeflow.store.access.bed_state import seen_token
from homeflow.store.users import Session
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.rendering import render
from homeflow.web.sorting import Column, sort_rows, sortable

router = APIRouter()
# The board's lines (a bed and its patient, or an empty bed) bed by bed, or by the column a
# header asks for, empty beds last.
Line = tuple[str, access.BedRow | None]
COLUMNS: Mapping[str, Column[Line]] = sortable(
    "whiteboard.html",
    {
        "patient": Column(lambda line: line[1].patient.name if line[1] else None, shows="patient"),
        "days": Column(
            lambda line: line[1].length_of_stay if line[1] else None, first="desc", shows="number"
        ),
        "edd": Column(
            lambda line: line[1].expected_discharge_date if line[1] else None, shows="day"
        ),
    },
)


@dataclass(frozen=True, slots=True)
class Refused:
    """A change not saved: the row's cell it came from opens again with what was typed, the
    problem, each field's reason beside it, or the other user's change it clashed with."""

    spell_key: str
    problem: str
    typed: dict[str, str]  # the posted fields, and "form": the form's name
    errors: dict[str, str] = field(default_factory=dict)
    clash: access.Conflict | None = None

    @property
    def status(self) -> int:
        return 409 if self.clash else 400


@router.get("/wards/{ward_code}", response_class=HTMLResponse)
def whiteboard_page(
    request: Request, engine: Database, session: Signed, ward_code: str, only: str | None = None
) -> HTMLResponse:
    return show_board(request, engine, session, ward_code, only, None)


def show_board(
    request: Request,
    engine: Engine,
    session: Session,
    ward_code: str,
    only: str | None,
    refused: Refused | None,
    bed_problem: tuple[str, str, int] | None = None,
) -> HTMLResponse:
    """The board; after a change posted without JavaScript was refused, with that patient's
    cell open on what the user typed, or a bed's status control open on why (`bed_problem`:
    the bed, the reason, the answer's status code)."""
    viewer = viewer_of(session, request)
    board = access.whiteboard(engine, viewer, ward_code, today(), only)
    lines, sorting = sort_rows(request, board.lines(), COLUMNS)
    # This morning's predictions of the ward's own patients only: quick enough for each load.
    found = morning(engine, now(), models_folder(), ward_code)
    context: dict[str, Any] = {
        "board": board,
        "lines": lines,
        "sorting": sorting,
        "only": only,
        "refused": refused,
        **bed_context(engine, viewer, board, bed_problem),
        "morning": found,
        "chances": found.by_spell(),
    }
    status = refused.status if refused else (bed_problem[2] if bed_problem else 200)
    return render(request, "whiteboard.html", session, context, status)


def bed_context(
    engine: Engine,
    viewer: access.Viewer,
    board: access.Whiteboard,
    problem: tuple[str, str, int] | None = None,
) -> dict[str, Any]:
    """Each bed's state, for its status control (set through the beds page's POST /beds)."""
    beds = site_beds(engine, board.site_code, now())
    return {
        "bed_states": {r.bed: r for r in beds if r.ward == board.ward_code},
        "may_set_bed": may_set_bed_status(viewer.org_code, viewer.role, board.org_code),
        "bed_settable": SETTABLE,
        "bed_seen": seen_token,
        "bed_problem": problem,
        "status_words": STATUS_WORDS,
        "reason_words": REASON_WORDS,
    }
