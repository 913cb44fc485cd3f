"""The longest delays and internal delays over 48 hours (UEC plan 2025/26): the daily call's
counts of now open to these lists; a day that has ended shows its midnight, as the sitrep."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from homeflow.domain.clock import now, today
from homeflow.domain.errors import InvalidInput
from homeflow.domain.flow import snapshot_at
from homeflow.domain.long_delays import KIND_TITLES, DelayKind
from homeflow.reports.cells import safe_row
from homeflow.store import access
from homeflow.store.access.long_delays import CSV_COLUMNS, DelayLevel, DelayRow, delay_rows
from homeflow.store.db import reading
from homeflow.store.registry import organisation_names
from homeflow.web.auth import Database, Signed, viewer_of
from homeflow.web.rendering import ended_day, render
from homeflow.web.sorting import Column, sort_rows, sortable

router = APIRouter()
# The list in its own order (the longest past the ready date first) unless a header asks.
COLUMNS: Mapping[str, Column[DelayRow]] = sortable(
    "delays.html",
    {
        "patient": Column(lambda r: r.patient.name, shows="patient"),
        "where": Column(lambda r: f"{r.ward_name} {r.site_name}"),
        "ready": Column(lambda r: r.discharge_ready_date, shows="day"),
        "days": Column(lambda r: r.days_past, first="desc", shows="number"),
        "pathway": Column(lambda r: r.pathway),
        "reason": Column(lambda r: f"{r.reason} {r.family}"),
        "hours": Column(lambda r: r.hours_internal, first="desc", shows="number"),
    },
)


def _asked(day: str, kind: str, level: str) -> tuple[date | None, datetime, DelayKind, DelayLevel]:
    """The day (none: now, as the daily call) and the list asked for; the day is read first,
    so a day that has not ended is refused whatever else is wrong."""
    shown = ended_day("day", day) if day else None
    at = snapshot_at(shown) if shown else now()
    try:
        chosen = DelayKind(kind)
    except ValueError:
        raise InvalidInput("kind", f"{kind!r} is not longest or internal") from None
    try:
        where = DelayLevel(level)
    except ValueError:
        raise InvalidInput("level", f"{level!r} is not ward, site, trust or system") from None
    return shown, at, chosen, where


@router.get("/daily-call/delays", response_class=HTMLResponse)
def delays_page(
    request: Request,
    engine: Database,
    session: Signed,
    kind: str,
    level: str = "system",
    place: str = "",
    day: str = "",
    pathway: str = "",
) -> HTMLResponse:
    shown, at, chosen, where = _asked(day, kind, level)
    viewer = viewer_of(session, request)
    rows = delay_rows(
        engine, viewer, chosen, at, where, place or None, today(), pathway=pathway or None
    )
    rows, sorting = sort_rows(request, rows, COLUMNS)
    with reading(engine) as conn:
        names = organisation_names(conn)
    day_asked = f"{shown:%d/%m/%Y}" if shown else ""
    same = urlencode(
        {k: v for k, v in (("place", place), ("pathway", pathway), ("day", day_asked)) if v}
    )
    same = f"level={where.value}" + (f"&{same}" if same else "")
    return render(
        request,
        "delays.html",
        session,
        {
            "rows": rows,
            "title": KIND_TITLES[chosen],
            "kind": chosen.value,
            "level": where.value,
            "place": place,
            "pathway": pathway,
            "shown": shown,
            "at": at,
            "same": same,  # the list's place, pathway and day, kept when the kind changes
            "org_names": names,
            "sorting": sorting,
        },
    )


@router.get("/daily-call/delays.csv")
def delays_csv(
    request: Request,
    engine: Database,
    session: Signed,
    kind: str,
    level: str = "system",
    place: str = "",
    day: str = "",
    pathway: str = "",
) -> Response:
    shown, at, chosen, where = _asked(day, kind, level)
    viewer = viewer_of(session, request)
    rows = delay_rows(
        engine, viewer, chosen, at, where, place or None, today(), pathway=pathway or None
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(safe_row(row.as_dict().values()))
    if any(r.patient.identified for r in rows):
        access.audit_export(engine, viewer, f"{KIND_TITLES[chosen].lower()} CSV")
    name = f"delays-{chosen.value}-{place or where.value}-{(shown or today()).isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@dataclass(frozen=True, slots=True)
class DelayCount:
    site: str  # a site's code; "" for the whole system
    name: str
    longest: int
    internal: int


def delay_counts(engine: Engine, viewer: access.Viewer) -> list[DelayCount]:
    """For the daily call: each site's patients on each list now, then the system's (each
    count opens to a list of as many patients)."""
    at = now()
    found = {
        kind: delay_rows(engine, viewer, kind, at, DelayLevel.SITE, None, today(), audited=False)
        for kind in DelayKind
    }
    names = {r.place: r.site_name for rows in found.values() for r in rows}
    counts = [
        DelayCount(
            site,
            names[site],
            sum(r.place == site for r in found[DelayKind.LONGEST]),
            sum(r.place == site for r in found[DelayKind.INTERNAL]),
        )
        for site in sorted(names, key=lambda s: names[s])
    ]
    everyone = DelayCount(
        "", "Whole system", len(found[DelayKind.LONGEST]), len(found[DelayKind.INTERNAL])
    )
    return [*counts, everyone]
