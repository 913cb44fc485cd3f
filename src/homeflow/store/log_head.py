"""The log's last event, by which a writer's cache and the kept views tell whether the log
changed under them: events are committed in seq order (store/eventlog), so a log whose last
event is the one seen has not changed, and one that no longer holds it was emptied, restored
or rolled back."""

from __future__ import annotations

from sqlalchemy import Connection, select

from homeflow.store import schema as t

_LAST_EVENT = select(t.events.c.seq, t.events.c.key).order_by(t.events.c.seq.desc()).limit(1)


def last_event(conn: Connection) -> tuple[int, str] | None:
    """The seq and key of the log's last event; None for an empty log."""
    row = conn.execute(_LAST_EVENT).first()
    return None if row is None else (row.seq, row.key)


def holds_event(conn: Connection, seq: int, key: str) -> bool:
    """Whether the log still holds the event `key` at `seq`."""
    return conn.scalar(select(t.events.c.key).where(t.events.c.seq == seq)) == key
