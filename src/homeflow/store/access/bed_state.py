"""A bed's status set by a person on the site's beds page: who may (the ward's own trust's
care roles), whether the bed still reads as the page showed it, the event and its audit row in
one transaction."""

from __future__ import annotations

from sqlalchemy import Engine

from homeflow.domain import clock
from homeflow.domain.bed_state import STATUS_WORDS, BedStatusSet
from homeflow.domain.errors import InvalidInput
from homeflow.domain.writes import may_set_bed_status
from homeflow.store.access.audit import audit
from homeflow.store.access.scope import Conflict, Forbidden, Viewer
from homeflow.store.bed_state import BedRow, bed_events, beds_at
from homeflow.store.eventlog import lock_writers
from homeflow.store.improvement import append_events, programme_event
from homeflow.store.registry import ward_registry


def seen_token(row: BedRow) -> str:
    """What the page showed of a bed, for the conflict check: its status and since when."""
    since = "" if row.since is None else row.since.isoformat()
    return f"{row.status.value}@{since}"


def record_bed_status(
    engine: Engine,
    viewer: Viewer,
    status: BedStatusSet,
    seen: str,
    cleaned_after_discharge: frozenset[str],
) -> None:
    """Set the bed's status now, if the viewer may and the bed still reads as `seen`."""
    with engine.begin() as conn:
        lock_writers(conn)
        ward = next((w for w in ward_registry(conn) if w.code == status.ward_code), None)
        if ward is None:
            raise InvalidInput("ward_code", f"{status.ward_code!r} is not a ward homeflow knows")
        if not may_set_bed_status(viewer.org_code, viewer.role, ward.org_code):
            raise Forbidden(f"only {ward.org_code}'s ward staff and site team set its beds")
        now = clock.now()
        rows = beds_at(conn, ward.site_code, now, cleaned_after_discharge)
        row = next((r for r in rows if (r.ward, r.bed) == (status.ward_code, status.bed)), None)
        if row is None:
            raise InvalidInput("bed", f"{status.bed!r} is not a bed of {status.ward_code}")
        if seen_token(row) != seen:
            raise Conflict(
                f"bed {status.bed} of {status.ward_code}", STATUS_WORDS[row.status], None, row.since
            )
        settings, _ = bed_events(conn, [status.ward_code], now)
        versions = sum(1 for _, s in settings if s.bed == status.bed)
        event = programme_event(status, versions, viewer.email, "web", now)
        append_events(conn, [event])
        audit(
            conn,
            viewer,
            "change",
            f"bed {status.bed} of {status.ward_code}: {STATUS_WORDS[status.status]}"
            + (f" ({status.reason.value})" if status.reason else ""),
        )
