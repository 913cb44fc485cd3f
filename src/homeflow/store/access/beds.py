"""A dated change to a ward's beds, recorded by an admin: who may, the change and its audit
row in one transaction."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from homeflow.domain import clock
from homeflow.domain.beds import WardBedsChanged, room_for_patients
from homeflow.domain.errors import InvalidInput
from homeflow.domain.spell import SpellStatus
from homeflow.domain.writes import may_change_beds
from homeflow.store import schema as t
from homeflow.store.access.audit import audit
from homeflow.store.access.scope import Forbidden, Viewer
from homeflow.store.eventlog import lock_writers
from homeflow.store.improvement import append_events, programme_event
from homeflow.store.registry import ward_registry


def record_beds_change(engine: Engine, viewer: Viewer, change: WardBedsChanged) -> None:
    with engine.begin() as conn:
        lock_writers(conn)
        ward = next((w for w in ward_registry(conn) if w.code == change.ward_code), None)
        if ward is None:
            raise InvalidInput("ward_code", f"{change.ward_code!r} is not a ward in the registry")
        if not may_change_beds(viewer.org_code, viewer.role, ward.org_code, ward.parent_code):
            raise Forbidden(
                f"only an admin of {ward.org_code} or its system changes its wards' beds"
            )
        sp = t.spells
        patients = conn.execute(
            select(func.count())
            .select_from(sp)
            .where(sp.c.status == SpellStatus.ADMITTED.value, sp.c.ward_code == change.ward_code)
        ).scalar_one()
        room_for_patients(change, patients, clock.today())
        e = t.events
        versions = conn.execute(
            select(func.count()).select_from(e).where(e.c.type == WardBedsChanged.TYPE)
        ).scalar_one()
        now = clock.now()
        append_events(conn, [programme_event(change, versions, viewer.email, "web", now)])
        audit(
            conn,
            viewer,
            "change",
            f"beds of {change.ward_code} from {change.from_day:%d/%m/%Y}: "
            f"{change.beds} + {change.escalation_beds} escalation",
        )
