"""Feeds: every message received is stored verbatim with its outcome, in the same
transaction as the events it made, so an acknowledgement sent after commit is never a lie."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine

from homeflow.config import future_tolerance
from homeflow.domain import clock
from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import OrganisationType
from homeflow.ingest.census_csv import StoredSpell, read_census, reconcile
from homeflow.ingest.hl7 import adt
from homeflow.ingest.hl7.parser import parse
from homeflow.ingest.mapping import FeedMapping
from homeflow.store.eventlog import (
    SpellCache,
    append_in,
    catch_up,
    lock_writers,
    refresh_statistics,
)
from homeflow.store.feed_messages import (
    APPLIED,
    DUPLICATE,
    HELD,
    REJECTED,
    MessageRecord,
    census_received,
    open_census_spells,
    record_messages,
    record_outcome,
    unsettled_hl7,
)
from homeflow.store.garbage import without_cycle_collection
from homeflow.store.registry import organisation_types, registry_places, ward_places

__all__ = ["APPLIED", "DUPLICATE", "HELD", "REJECTED"]


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


# The last mapping made with the registry, with the feed's mapping and the registry rows it
# was made from. The registry is read with every group of messages (a ward added is known to
# the next message), but building the mapping's lookups from it again cost more than reading.
_last_known: tuple[FeedMapping, list[tuple[str, str, str]], FeedMapping] | None = None


def registry_mapping(conn: Connection, mapping: FeedMapping) -> FeedMapping:
    """The feed's mapping with the registry as it is now."""
    global _last_known
    rows = registry_places(conn)
    last = _last_known
    if last is not None and last[0] is mapping and last[1] == rows:
        return last[2]
    of: dict[str, dict[str, str]] = {"o": {}, "s": {}, "w": {}}
    for kind, code, value in rows:
        of[kind][code] = value
    types = {code: OrganisationType(kind) for code, kind in of["o"].items()}
    known = mapping.with_registry(of["s"], of["w"], types)
    _last_known = (mapping, rows, known)
    return known


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
    events = [i.event for i in items if i.event is not None]
    result = append_in(conn, events, cache, project, future_tolerance())
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
    record_messages(
        conn,
        source,
        kind,
        received_at,
        (
            MessageRecord(
                outcome.control_id,
                item.message_type,
                item.event.occurred_at if item.event else None,
                item.raw,
                outcome.outcome,
                outcome.field,
                outcome.reason,
                outcome.event_key,
            )
            for item, outcome in zip(items, outcomes, strict=True)
        ),
    )
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

    def apply_pending() -> list[Outcome]:
        with engine.begin() as conn:
            outcomes = receive_hl7(conn, pending, mapping, clock.now(), cache, project=False)
        # Else PostgreSQL plans the next duplicate check as for the log before the import
        # (empty, for a first load) and scans the whole log for every chunk of keys.
        refresh_statistics(engine)
        return outcomes

    def project() -> None:
        with engine.begin() as conn:
            lock_writers(conn)
            catch_up(conn, cache)

    # The cyclic collector would walk the growing cache again and again (store/garbage.py).
    with without_cycle_collection():
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


def replay(
    engine: Engine, mapping: FeedMapping, message_ids: Sequence[int] | None
) -> list[tuple[int, Outcome]]:
    """Re-apply rejected or held HL7 messages (all of them, or these) with today's mapping."""
    with engine.begin() as conn:
        lock_writers(conn)
        return replay_in(conn, mapping, message_ids)


def replay_in(
    conn: Connection,
    mapping: FeedMapping,
    message_ids: Sequence[int] | None,
    source: str | None = None,
) -> list[tuple[int, Outcome]]:
    """`replay` in the caller's transaction (which holds the writers' lock), so that what it
    stores commits with the caller's audit row; `source` keeps it to one feed's messages."""
    stored = unsettled_hl7(conn, message_ids, source)
    known = registry_mapping(conn, mapping)
    items = [interpret_hl7(m.raw, known, m.received_at) for m in stored]
    done = []
    for message, item, outcome in zip(stored, items, settle(conn, items), strict=True):
        record_outcome(
            conn,
            message.id,
            outcome.outcome,
            outcome.field,
            outcome.reason,
            outcome.event_key,
            item.event.occurred_at if item.event else None,
        )
        done.append((message.id, outcome))
    return done


def receive_census(
    engine: Engine, text: str, day: date, source: str = "csv-census"
) -> dict[str, list[str]]:
    """Reconcile a CSV census into the log, all or nothing; returns what changed."""
    received_at = clock.now()
    with engine.begin() as conn:
        lock_writers(conn)
        site_of_ward, org_of_ward = ward_places(conn)
        lines = read_census(text, site_of_ward, org_of_ward, organisation_types(conn))
        rows = open_census_spells(conn, sorted({line.site for line in lines}))
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
        result = append_in(conn, made, future_tolerance=future_tolerance())
        if result.rejected:
            problem = result.rejected[0]
            raise InvalidInput(problem.field, f"{problem.key}: {problem.reason}")
        census_received(conn, source, day, text, received_at)
        return changes
