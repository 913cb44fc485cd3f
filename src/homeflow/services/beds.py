"""Changing a ward's beds from a day (winter escalation beds opened, a ward closed for
refurbishment): an admin of the ward's trust or of its system records it, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine

from homeflow.domain.beds import WardBedsChanged
from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import Role
from homeflow.store import db
from homeflow.store.access import Forbidden, Viewer, record
from homeflow.store.beds import dated_beds
from homeflow.store.improvement import append_records, programme_event, programme_events
from homeflow.store.registry import ward_registry


@dataclass(frozen=True, slots=True)
class WardBeds:
    code: str
    name: str
    site_code: str
    org_code: str
    registered: int  # the registry's beds
    today: WardBedsChanged | None  # the change in force today
    later: list[WardBedsChanged]  # changes from a later day


def wards_with_beds(engine: Engine, today: date) -> list[WardBeds]:
    with db.reading(engine) as conn:
        wards = ward_registry(conn)
        dated = dated_beds(conn)
    return [
        WardBeds(
            w.code,
            w.name,
            w.site_code,
            w.org_code,
            w.beds,
            dated.change_on(w.code, today),
            dated.changes_after(w.code, today),
        )
        for w in wards
    ]


def change_beds(engine: Engine, viewer: Viewer, change: WardBedsChanged) -> None:
    """Record a dated change to a ward's beds."""
    with db.reading(engine) as conn:
        ward = next((w for w in ward_registry(conn) if w.code == change.ward_code), None)
        versions = len(programme_events(conn, (WardBedsChanged.TYPE,)))
    if ward is None:
        raise InvalidInput("ward_code", f"{change.ward_code!r} is not a ward in the registry")
    if viewer.role != Role.ADMIN or viewer.org_code not in (ward.org_code, ward.parent_code):
        raise Forbidden(f"only an admin of {ward.org_code} or its system changes its wards' beds")
    append_records(
        engine, [programme_event(change, versions, viewer.email, "web", datetime.now(UTC))]
    )
    record(
        engine,
        viewer,
        "change",
        f"beds of {change.ward_code} from {change.from_day:%d/%m/%Y}: "
        f"{change.beds} + {change.escalation_beds} escalation",
    )
