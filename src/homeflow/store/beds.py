"""Wards' beds over time, read back from the dated changes kept as events in the log, for the
census, the whiteboard, the capacity model and the wards page (services/beds.py records them)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from homeflow.domain.beds import BedBase, WardBedsChanged
from homeflow.store import schema as t
from homeflow.store.codec import event_from_row

_CHANGES = select(t.events).where(t.events.c.type == WardBedsChanged.TYPE).order_by(t.events.c.seq)


def dated_beds(conn: Connection) -> BedBase:
    payloads = (event_from_row(row).payload for row in conn.execute(_CHANGES))
    return BedBase(p for p in payloads if isinstance(p, WardBedsChanged))
