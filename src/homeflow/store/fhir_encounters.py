"""FHIR Encounters as last sent (the latest version of each), for reads and searches; their
facts are in the event log like any feed's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from homeflow.store import schema as t
from homeflow.store.codec import from_db_time, to_db_time


def stored_encounter(conn: Connection, resource_id: str) -> Any:
    """The stored row (id, version, org_code, body, ...) or None."""
    return conn.execute(
        select(t.fhir_encounters).where(t.fhir_encounters.c.id == resource_id)
    ).first()


def read_stored(engine: Engine, resource_id: str) -> Any:
    with engine.connect() as conn:
        return stored_encounter(conn, resource_id)


def save_version(conn: Connection, resource_id: str, first: bool, row: Mapping[str, Any]) -> None:
    """Store a version: `row` has the facts searched on, its times aware."""
    values = {
        **row,
        "period_start": to_db_time(row["period_start"]) if row["period_start"] else None,
        "period_end": to_db_time(row["period_end"]) if row["period_end"] else None,
        "updated_at": to_db_time(row["updated_at"]),
    }
    if first:
        conn.execute(insert(t.fhir_encounters).values(id=resource_id, **values))
    else:
        conn.execute(
            update(t.fhir_encounters).where(t.fhir_encounters.c.id == resource_id).values(**values)
        )


def find_by_identifier(conn: Connection, org_code: str, identifier: str) -> Any:
    """The organisation's Encounter with this `system|value`, or with this value in any system
    when no system is given."""
    e = t.fhir_encounters
    query = select(e).where(e.c.org_code == org_code)
    if "|" in identifier:
        query = query.where(e.c.identifier == identifier)
    else:
        # Matched exactly: LIKE's own wildcards in the value are escaped, not obeyed.
        escaped = identifier.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(e.c.identifier.like(f"%|{escaped}", escape="\\"))
    return conn.execute(query).first()


def organisation_encounters(
    engine: Engine, org_code: str, status: str | None, patient_ids: Sequence[str] = ()
) -> list[tuple[Any, datetime | None, datetime | None]]:
    """The organisation's Encounters (row, period start, period end), oldest change first;
    with `patient_ids`, those of the patient known by any of these keys."""
    e = t.fhir_encounters
    query = select(e).where(e.c.org_code == org_code)
    if status:
        query = query.where(e.c.status == status)
    if patient_ids:
        query = query.where(e.c.patient_id.in_(patient_ids))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(e.c.updated_at)).all()
    return [(r, from_db_time(r.period_start), from_db_time(r.period_end)) for r in rows]
