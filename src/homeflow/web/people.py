"""The patients behind a figure (people.html), as every figure's list shows them: sorted by
the column its header asks for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from fastapi import Request
from fastapi.responses import HTMLResponse

from homeflow.domain import codes
from homeflow.store.access.people import People, Person
from homeflow.store.users import Session
from homeflow.web.rendering import render
from homeflow.web.sorting import Column, sort_rows, sortable

COLUMNS: Mapping[str, Column[Person]] = sortable(
    "people.html",
    {
        "patient": Column(lambda p: p.patient.name, shows="patient"),
        "ward": Column(lambda p: p.ward_code),
        "admitted": Column(lambda p: p.admitted_on, shows="day"),
        "discharged": Column(lambda p: p.discharged_on, shows="day"),
        "ready": Column(lambda p: p.discharge_ready_date, shows="day"),
        "reason": Column(lambda p: reason_words(p.delay_reason)),
        "pathway": Column(lambda p: p.pathway),
        "adds": Column(lambda p: p.adds, first="desc", shows="number"),
    },
)


def reason_words(code: str | None) -> str | None:
    """A delay reason as the list shows it: the code's words, or as recorded."""
    reasons = codes.nctr_delay_reasons()
    return reasons.get(code).label if code in reasons.by_code else code


def people_page(request: Request, session: Session, found: People) -> HTMLResponse:
    rows, sorting = sort_rows(request, found.rows, COLUMNS)
    return render(
        request, "people.html", session, {"people": replace(found, rows=rows), "sorting": sorting}
    )
