"""Bed requests on a site: who is waiting for a bed and how long, and the waits of those
placed (domain/bed_requests.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from homeflow.domain import bed_requests as br
from homeflow.domain.clock import SYSTEM_ZONE
from homeflow.domain.errors import InvalidInput
from homeflow.store import bed_requests as kept
from homeflow.store import db
from homeflow.store.registry import site_names

REQUEST_COLUMNS = ("patient", "specialty", "needs", "decided at", "waited", "mark", "bed")


def site_requests(engine: Engine, site_code: str, field: str = "site") -> list[br.BedRequest]:
    """Every bed request on the site, earliest decision first; a site homeflow does not
    know is refused naming `field`."""
    with db.reading(engine) as conn:
        if site_code not in site_names(conn):
            raise InvalidInput(field, f"{site_code!r} is not a site homeflow knows")
        return kept.site_requests(conn, site_code)


def needs(request: br.BedRequested) -> str:
    said = [
        "isolation" if request.isolation else "side room" if request.side_room else "",
        request.sex or "",
    ]
    return ", ".join(s for s in said if s)


def patient_of(request: br.BedRequested) -> str:
    name = f"{request.family_name.upper()}, {request.given_name}".strip(", ")
    return name or request.nhs_number or request.local_id or request.patient_id


def waiting_rows(engine: Engine, site_code: str, now: datetime) -> list[dict[str, Any]]:
    """A row per request still waiting for a bed (allocated or not), longest wait first."""
    rows = []
    waiting = [r for r in site_requests(engine, site_code, "--site") if r.open]
    for request in sorted(waiting, key=lambda r: r.decided_at):
        waited = request.waited(now)
        assert waited is not None
        hours, minutes = divmod(int(waited.total_seconds()) // 60, 60)
        bed = f"{request.allocated_ward} {request.allocated_bed}" if request.allocated_bed else ""
        rows.append(
            {
                "patient": patient_of(request.request),
                "specialty": request.request.specialty,
                "needs": needs(request.request),
                "decided at": request.decided_at.astimezone(SYSTEM_ZONE).strftime("%d/%m/%Y %H:%M"),
                "waited": f"{hours}h {minutes:02d}m",
                "mark": br.marks(waited),
                "bed": bed,
            }
        )
    return rows
