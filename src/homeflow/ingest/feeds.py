"""Feeds: every message received is stored verbatim with its outcome, in the same
transaction as the events it made, so an acknowledgement sent after commit is never a lie."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, case, func, insert, select, update

from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.ingest.census_csv import StoredSpell, read_census, reconcile
from homeflow.ingest.hl7 import adt
from homeflow.ingest.hl7.parser import parse
from homeflow.ingest.mapping import FeedMapping
from homeflow.store import schema as t
from homeflow.store.codec import from_db_time, to_db_time
from homeflow.store.db import insert_rows
from homeflow.store.eventlog import (
    SpellCache,
    append_in,
    catch_up,
    lock_writers,
)

APPLIED, DUPLICATE, REJECTED, HELD = "applied", "duplicate", "rejected", "held"


@dataclass(frozen=True, slots=True)
class Outcome:
    outcome: str
    control_id: str | None = None
    field: str | None = None
    reason: str | None = None
    event_key: str | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome in (APPLIED, DUPLICATE)


@dataclass(frozen=True, slots=True)
class Interpreted:
    """A message read as far as it goes: an event, or why not."""

    raw: str
    event: ev.Event | None
    outcome: Outcome
    message_type: str | None = None


# Built once: the listener reads the registry with every group of messages it commits.
_SITE_CODES = select(t.sites.c.code)
_WARD_CODES = select(t.wards.c.code)


def registry_mapping(conn: Connection, mapping: FeedMapping) -> FeedMapping:
    sites = conn.execute(_SITE_CODES).scalars().all()
    wards = conn.execute(_WARD_CODES).scalars().all()
    return mapping.with_registry(sites, wards)


def interpret_hl7(raw: str, mapping: FeedMapping, received_at: datetime) -> Interpreted:
    control_id = message_type = None
    try:
        message = parse(raw)
        control_id = message.value("MSH", 10) or None
        message_type = message.raw("MSH", 9)[:20] or None
        event = adt.to_event(message, mapping, received_at, raw)
    except adt.UnmappedWard as problem:
        return Interpreted(
            raw, None, Outcome(HELD, control_id, problem.field, problem.reason), message_type
        )
    except InvalidInput as problem:
        return Interpreted(
            raw, None, Outcome(REJECTED, control_id, problem.field, problem.reason), message_type
        )
    return Interpreted(raw, event, Outcome(APPLIED, control_id, event_key=event.key), message_type)


def settle(
    conn: Connection,
    items: Sequence[Interpreted],
    cache: SpellCache | None = None,
    project: bool = True,
) -> list[Outcome]:
    """Append the events these messages carry; each message's outcome, in order."""
    result = append_in(conn, [i.event for i in items if i.event is not None], cache, project)
    rejected = {r.key: r for r in result.rejected}
    applied = set(result.applied)
    outcomes: list[Outcome] = []
    for item in items:
        outcome = item.outcome
        if item.event is not None:
            key = item.event.key
            if key in rejected:
                problem = rejected[key]
                outcome = Outcome(REJECTED, outcome.control_id, problem.field, problem.reason, key)
            elif key in applied:
                applied.discard(key)  # a second copy in the same batch is a duplicate
            else:
                outcome = Outcome(DUPLICATE, outcome.control_id, event_key=key)
        outcomes.append(outcome)
    return outcomes


def apply_interpreted(
    conn: Connection,
    items: Sequence[Interpreted],
    source: str,
    kind: str,
    received_at: datetime,
    cache: SpellCache | None = None,
    project: bool = True,
) -> list[Outcome]:
    """Append the events of these messages and record each message with its outcome."""
    outcomes = settle(conn, items, cache, project)
    received = to_db_time(received_at)
    rows = [
        {
            "source": source,
            "kind": kind,
            "control_id": outcome.control_id,
            "message_type": item.message_type,
            "received_at": received,
            "occurred_at": to_db_time(item.event.occurred_at) if item.event else None,
            "raw": item.raw,
            "outcome": outcome.outcome,
            "field": outcome.field,
            "reason": outcome.reason,
            "event_key": outcome.event_key,
        }
        for item, outcome in zip(items, outcomes, strict=True)
    ]
    insert_rows(conn, t.feed_messages, rows)
    return outcomes


def receive_hl7(
    conn: Connection,
    raw_messages: Sequence[str],
    mapping: FeedMapping,
    received_at: datetime,
    cache: SpellCache | None = None,
    project: bool = True,
) -> list[Outcome]:
    """Apply a batch of HL7 messages in the caller's transaction; outcomes in the same order.

    A long-lived writer passes its `cache`; one that acknowledges before projecting passes
    `project=False` and calls `catch_up` afterwards.
    """
    lock_writers(conn)
    known = registry_mapping(conn, mapping)
    items = [interpret_hl7(raw, known, received_at) for raw in raw_messages]
    return apply_interpreted(conn, items, mapping.source, "hl7", received_at, cache, project)


def import_hl7(
    engine: Engine,
    raw_messages: Iterable[str],
    mapping: FeedMapping,
    batch: int = 10_000,
    project_every: int = 100_000,
) -> Iterator[Outcome]:
    """Apply a stream of HL7 messages (a backfill from files) in transactions of `batch`,
    keeping each spell's fold from one transaction to the next; outcomes in order.

    Views are brought up to date after every `project_every` messages and at the end (also
    when the import is interrupted), not with every transaction: a spell written once for a
    run of its messages, not once per transaction. Were the process killed in between, the
    next writer to append, or the listener starting, catches them up.
    """
    cache = SpellCache()
    pending: list[str] = []
    unprojected = 0
    # The cyclic garbage collector would walk the growing cache again and again, and a backfill
    # makes next to no reference cycles: it is off until the import ends.
    collecting = gc.isenabled()
    gc.disable()

    def apply_pending() -> list[Outcome]:
        with engine.begin() as conn:
            return receive_hl7(conn, pending, mapping, datetime.now(UTC), cache, project=False)

    def project() -> None:
        with engine.begin() as conn:
            lock_writers(conn)
            catch_up(conn, cache)

    try:
        for raw in raw_messages:
            pending.append(raw)
            if len(pending) >= batch:
                yield from apply_pending()
                unprojected += len(pending)
                pending.clear()
                if unprojected >= project_every:
                    project()
                    unprojected = 0
        if pending:
            yield from apply_pending()
    finally:
        project()
        if collecting:
            gc.enable()


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


def list_messages(
    engine: Engine, outcomes: Iterable[str] | None = None, limit: int = 200
) -> list[StoredMessage]:
    query = select(t.feed_messages).order_by(t.feed_messages.c.id.desc()).limit(limit)
    if outcomes is not None:
        query = query.where(t.feed_messages.c.outcome.in_(list(outcomes)))
    with engine.connect() as conn:
        return [
            StoredMessage(
                r.id,
                r.source,
                r.kind,
                r.control_id,
                r.message_type,
                from_db_time(r.received_at) or datetime.min,
                r.outcome,
                r.field,
                r.reason,
            )
            for r in conn.execute(query)
        ]


def replay(
    engine: Engine, mapping: FeedMapping, message_ids: Sequence[int] | None, now: datetime
) -> list[tuple[int, Outcome]]:
    """Re-apply rejected or held HL7 messages (all of them, or these) with today's mapping."""
    with engine.begin() as conn:
        lock_writers(conn)
        query = select(t.feed_messages).where(
            t.feed_messages.c.outcome.in_([REJECTED, HELD]), t.feed_messages.c.kind == "hl7"
        )
        if message_ids is not None:
            query = query.where(t.feed_messages.c.id.in_(list(message_ids)))
        stored = list(conn.execute(query.order_by(t.feed_messages.c.id)))
        known = registry_mapping(conn, mapping)
        items = [interpret_hl7(r.raw, known, from_db_time(r.received_at) or now) for r in stored]
        done = []
        for row, item, outcome in zip(stored, items, settle(conn, items), strict=True):
            conn.execute(
                update(t.feed_messages)
                .where(t.feed_messages.c.id == row.id)
                .values(
                    outcome=outcome.outcome,
                    field=outcome.field,
                    reason=outcome.reason,
                    event_key=outcome.event_key,
                    occurred_at=to_db_time(item.event.occurred_at) if item.event else None,
                )
            )
            done.append((row.id, outcome))
        return done


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


def receive_census(
    engine: Engine, text: str, day: date, source: str = "csv-census"
) -> dict[str, list[str]]:
    """Reconcile a CSV census into the log, all or nothing; returns what changed."""
    received_at = datetime.now(UTC)
    with engine.begin() as conn:
        lock_writers(conn)
        site_of_ward = dict(conn.execute(select(t.wards.c.code, t.wards.c.site_code)).all())
        lines = read_census(text, site_of_ward)
        sites = sorted({line.site for line in lines})
        s = t.spells
        rows = conn.execute(
            select(s).where(
                s.c.status == "admitted",
                s.c.site_code.in_(sites),
                s.c.spell_key.like("csv:%"),
            )
        ).all()
        stored = {
            r.spell_key: StoredSpell(
                r.spell_key,
                r.ward_code,
                r.bed,
                r.expected_discharge_date,
                r.discharge_ready_date,
                r.delay_reason,
                r.dtoc_reason,
                r.pathway,
            )
            for r in rows
        }
        made, changes = reconcile(lines, stored, day, source, received_at)
        result = append_in(conn, made)
        if result.rejected:
            problem = result.rejected[0]
            raise InvalidInput(problem.field, f"{problem.key}: {problem.reason}")
        conn.execute(
            insert(t.feed_messages).values(
                source=source,
                kind="csv",
                control_id=day.isoformat(),
                message_type="census",
                received_at=to_db_time(received_at),
                occurred_at=to_db_time(received_at),
                raw=text,
                outcome=APPLIED,
            )
        )
        return changes
