"""OPEL parameters as the store holds them: what providers entered (events about no stay), and
the wards' night each computed parameter is counted from. An entry is stored, with who may and
its audit row, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, select

from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput
from homeflow.domain.opel import PILLARS, Entry, OpelParameterEntered, WardNight
from homeflow.domain.organisations import OrganisationType, WardType
from homeflow.domain.writes import may_enter_opel
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.audit import audit
from homeflow.store.access.scope import Forbidden, Viewer
from homeflow.store.beds import dated_beds
from homeflow.store.eventlog import lock_writers
from homeflow.store.improvement import append_events, programme_event, programme_events
from homeflow.store.queries import census


@dataclass(frozen=True, slots=True)
class Provider:
    code: str
    name: str
    pillar: OrganisationType
    system: str  # its parent in the registry, or itself


def providers(conn: Connection) -> list[Provider]:
    """The acute, community and mental-health providers of the registry, by code."""
    o = t.organisations
    rows = conn.execute(
        select(o.c.code, o.c.name, o.c.type, o.c.parent_code)
        .where(o.c.type.in_([p.value for p in PILLARS]))
        .order_by(o.c.code)
    )
    return [
        Provider(r.code, r.name, OrganisationType(r.type), r.parent_code or r.code) for r in rows
    ]


def entries(conn: Connection) -> list[Entry]:
    """Every value providers entered, in the order stored."""
    found = []
    for event in programme_events(conn, (OpelParameterEntered.TYPE,)):
        assert isinstance(event.payload, OpelParameterEntered)
        found.append(Entry(event.payload, event.recorded_by, event.occurred_at))
    return found


def ward_nights(engine: Engine, day: date) -> dict[str, list[WardNight]]:
    """Each organisation's wards at the midnight ending `day`, from the census."""
    rows = census(engine, day)
    with db.reading(engine) as conn:
        types = {r.code: r.type for r in conn.execute(select(t.wards.c.code, t.wards.c.type))}
        beds = dated_beds(conn)
    found: dict[str, list[WardNight]] = {}
    for row in rows:
        change = beds.change_on(row.ward_code, day)
        found.setdefault(row.org_code, []).append(
            WardNight(
                row.ward_code,
                WardType(types[row.ward_code]),
                row.beds,
                change.escalation_beds if change else 0,
                row.occupied,
                row.nctr,
            )
        )
    return found


def save_entries(
    engine: Engine,
    items: Sequence[OpelParameterEntered],
    source: str,
    viewer: Viewer | None = None,
) -> int:
    """Store the values that differ from the latest for the same provider, day and parameter,
    all or none. A signed-in `viewer` enters only its own organisation's (`may_enter_opel`)
    and each entry is audited; a file fed from the command line is the operator's. How many
    were stored."""
    now = clock.now()
    with engine.begin() as conn:
        lock_writers(conn)
        known = {p.code for p in providers(conn)}
        history: dict[tuple[object, ...], list[OpelParameterEntered]] = {}
        for entry in entries(conn):
            history.setdefault(entry.record.identity(), []).append(entry.record)
        new = []
        for item in items:
            if item.org_code not in known:
                raise InvalidInput(
                    "org_code",
                    f"{item.org_code} is not an acute, community or mental-health provider",
                )
            if viewer is not None and not may_enter_opel(
                viewer.org_code, viewer.role, item.org_code
            ):
                raise Forbidden(f"only {item.org_code}'s own flow staff enter its OPEL parameters")
            versions = history.setdefault(item.identity(), [])
            if versions and versions[-1] == item:
                continue
            recorded_by = viewer.email if viewer else None
            new.append(programme_event(item, len(versions), recorded_by, source, now))
            versions.append(item)
        append_events(conn, new)
        if viewer is not None:
            for event in new:
                record = event.payload
                assert isinstance(record, OpelParameterEntered)
                audit(
                    conn,
                    viewer,
                    "change",
                    f"OPEL {record.parameter} of {record.org_code} on {record.on:%d/%m/%Y}: "
                    f"{record.value:g}",
                )
    return len(new)
