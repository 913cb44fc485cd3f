"""The record of every message a feed sent: stored verbatim with its outcome, listed, replayed
and summed up as feed health. Written in the same transaction as the events a message made."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, case, func, select, update

from homeflow.store import schema as t
from homeflow.store.codec import from_db_time, to_db_time
from homeflow.store.db import insert_rows

APPLIED, DUPLICATE, REJECTED, HELD = "applied", "duplicate", "rejected", "held"


class MessageRecord(NamedTuple):
    control_id: str | None
    message_type: str | None
    occurred_at: datetime | None
    raw: str
    outcome: str
    field: str | None = None
    reason: str | None = None
    event_key: str | None = None


def record_messages(
    conn: Connection,
    source: str,
    kind: str,
    received_at: datetime,
    messages: Iterable[MessageRecord],
) -> None:
    """Store messages received together, each with its outcome."""
    received = to_db_time(received_at)
    insert_rows(
        conn,
        t.feed_messages,
        [
            {
                "source": source,
                "kind": kind,
                "control_id": m.control_id,
                "message_type": m.message_type,
                "received_at": received,
                "occurred_at": to_db_time(m.occurred_at) if m.occurred_at else None,
                "raw": m.raw,
                "outcome": m.outcome,
                "field": m.field,
                "reason": m.reason,
                "event_key": m.event_key,
            }
            for m in messages
        ],
    )


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    source: str
    kind: str
    control_id: str | None
    message_type: str | None
    received_at: datetime
    outcome: str
    field: str | None
    reason: str | None
    raw: str = ""


def _message(r: Any) -> StoredMessage:
    return StoredMessage(
        r.id,
        r.source,
        r.kind,
        r.control_id,
        r.message_type,
        from_db_time(r.received_at) or datetime.min,
        r.outcome,
        r.field,
        r.reason,
        r.raw,
    )


def list_messages(
    engine: Engine,
    outcomes: Iterable[str] | None = None,
    limit: int = 200,
    source: str | None = None,
) -> list[StoredMessage]:
    """Messages newest first: with these outcomes, of this feed (else all)."""
    query = select(t.feed_messages).order_by(t.feed_messages.c.id.desc()).limit(limit)
    if outcomes is not None:
        query = query.where(t.feed_messages.c.outcome.in_(list(outcomes)))
    if source is not None:
        query = query.where(t.feed_messages.c.source == source)
    with engine.connect() as conn:
        return [_message(r) for r in conn.execute(query)]


def unsettled_hl7(
    conn: Connection, message_ids: Sequence[int] | None, source: str | None = None
) -> list[StoredMessage]:
    """Rejected or held HL7 messages (all, or these; of every feed, or of this one), oldest
    first."""
    m = t.feed_messages
    query = select(m).where(m.c.outcome.in_([REJECTED, HELD]), m.c.kind == "hl7")
    if message_ids is not None:
        query = query.where(m.c.id.in_(list(message_ids)))
    if source is not None:
        query = query.where(m.c.source == source)
    return [_message(r) for r in conn.execute(query.order_by(m.c.id))]


def record_outcome(
    conn: Connection,
    message_id: int,
    outcome: str,
    field: str | None,
    reason: str | None,
    event_key: str | None,
    occurred_at: datetime | None,
) -> None:
    """A replayed message's new outcome."""
    conn.execute(
        update(t.feed_messages)
        .where(t.feed_messages.c.id == message_id)
        .values(
            outcome=outcome,
            field=field,
            reason=reason,
            event_key=event_key,
            occurred_at=to_db_time(occurred_at) if occurred_at else None,
        )
    )


@dataclass(frozen=True, slots=True)
class FeedHealth:
    source: str
    last_hour: int
    last_day: int
    last_received_at: datetime | None
    mean_lag_seconds: float | None
    rejected: int
    held: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "messages_last_hour": self.last_hour,
            "messages_last_day": self.last_day,
            "last_received_at": self.last_received_at.isoformat()
            if self.last_received_at
            else None,
            "mean_lag_seconds_last_day": self.mean_lag_seconds,
            "rejected": self.rejected,
            "held": self.held,
        }


def feed_health(engine: Engine, now: datetime) -> list[FeedHealth]:
    m = t.feed_messages
    hour, day = to_db_time(now - timedelta(hours=1)), to_db_time(now - timedelta(days=1))

    def counted(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    query = (
        select(
            m.c.source,
            counted(m.c.received_at >= hour),
            counted(m.c.received_at >= day),
            func.max(m.c.received_at),
            counted(m.c.outcome == REJECTED),
            counted(m.c.outcome == HELD),
        )
        .group_by(m.c.source)
        .order_by(m.c.source)
    )
    with engine.connect() as conn:
        health = []
        for source, last_hour, last_day, last, rejected, held in conn.execute(query):
            lags = conn.execute(
                select(m.c.received_at, m.c.occurred_at).where(
                    m.c.source == source, m.c.received_at >= day, m.c.occurred_at.is_not(None)
                )
            ).all()
            lag = (
                sum((r.received_at - r.occurred_at).total_seconds() for r in lags) / len(lags)
                if lags
                else None
            )
            health.append(
                FeedHealth(
                    source,
                    int(last_hour),
                    int(last_day),
                    from_db_time(last),
                    lag,
                    int(rejected),
                    int(held),
                )
            )
        return health


def open_census_spells(conn: Connection, sites: Sequence[str]) -> list[Any]:
    """The spells a CSV census admitted at these sites that are still open."""
    s = t.spells
    return list(
        conn.execute(
            select(s).where(
                s.c.status == "admitted",
                s.c.site_code.in_(list(sites)),
                s.c.spell_key.like("%:csv:%"),
            )
        )
    )


def census_received(conn: Connection, source: str, day: date, text: str, at: datetime) -> None:
    """A CSV census file, kept as a message applied whole."""
    record_messages(
        conn, source, "csv", at, [MessageRecord(day.isoformat(), "census", at, text, APPLIED)]
    )
