"""The event log's partitions on PostgreSQL: listed, closed, detached for archive, attached again.

The log is partitioned by range of `seq` (migration 0022), the order it was written in, so
only the open partition (up to MAXVALUE) takes new events and every other one is closed for
good. `close_partition` ends the open one at the log's head and opens the next: run at the end
of a quarter (or whatever span a deployment keeps together), a partition then holds the events
written in it. A closed partition whose events are all older than a retention line the
deployment names, and none of whose spells or bed requests is still open, may be detached: its
table stays in the database, out of the log, for `pg_dump -t` to archive and `DROP TABLE` to
remove. Its keys stay in `event_keys`, so an archived event resent is still a duplicate, and
its spells are listed in `archived_spells`: an event for one of them is refused, since its fold
would lack the history detached with it. While a partition is detached the log is no longer
whole, so `homeflow rebuild` refuses to run (docs/scale.md, "Partitioning the event log").

SQLite keeps the log in one table: every function here refuses there, naming why.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, delete, insert, select, text

from homeflow.domain.bed_requests import RequestStatus
from homeflow.domain.clock import local_date
from homeflow.domain.errors import InvalidInput
from homeflow.domain.spell import SpellStatus
from homeflow.store import schema as t
from homeflow.store.codec import from_db_time

PARTITION = re.compile(r"^events_p(\d{4,})$")
_NAME = "events_p{:04d}"


@dataclass(frozen=True, slots=True)
class Partition:
    name: str
    attached: bool
    open: bool  # takes new events (its range runs to MAXVALUE)
    events: int
    first_seq: int | None
    last_seq: int | None
    first_received: datetime | None
    last_received: datetime | None


def is_partition(name: str) -> bool:
    """Whether a table is one of the log's partitions (attached or detached)."""
    return PARTITION.match(name) is not None


def _postgresql(conn: Connection, field: str) -> None:
    if conn.dialect.name != "postgresql":
        raise InvalidInput(
            field, "the event log is partitioned on PostgreSQL; SQLite keeps it in one table"
        )


def _tables(conn: Connection) -> list[str]:
    """The partitions' tables in homeflow's schema, in order."""
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        )
    ).scalars()
    return sorted((r for r in rows if is_partition(r)), key=lambda r: int(r[8:]))


def _bounds(conn: Connection) -> dict[str, str]:
    """Each attached partition's range, as PostgreSQL writes it."""
    rows = conn.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent"
            " JOIN pg_namespace n ON n.oid = p.relnamespace"
            " WHERE p.relname = 'events' AND n.nspname = current_schema()"
        )
    ).all()
    return {name: bound for name, bound in rows}


def partitions(conn: Connection) -> list[Partition]:
    """Every partition of the log, attached or detached, with what it holds."""
    _postgresql(conn, "database")
    bounds = _bounds(conn)
    found = []
    for name in _tables(conn):
        # The name is one of ours (matched above), not text from outside.
        row = conn.execute(
            text(
                f"SELECT count(*), min(seq), max(seq), min(received_at), max(received_at)"
                f" FROM {name}"
            )
        ).one()
        bound = bounds.get(name)
        found.append(
            Partition(
                name,
                attached=bound is not None,
                open=bound is not None and "MAXVALUE" in bound.split("TO")[-1],
                events=int(row[0]),
                first_seq=row[1],
                last_seq=row[2],
                first_received=from_db_time(row[3]),
                last_received=from_db_time(row[4]),
            )
        )
    return found


def detached(conn: Connection) -> list[str]:
    """The partitions taken out of the log (none on SQLite)."""
    if conn.dialect.name != "postgresql":
        return []
    bounds = _bounds(conn)
    return [name for name in _tables(conn) if name not in bounds]


def refuse_unless_whole(conn: Connection) -> None:
    """Refuse, naming it, while a partition is out of the log (a rebuild needs all of it)."""
    for name in detached(conn):
        raise InvalidInput(
            "database",
            f"{name} is detached from the event log: attach it again"
            f" (homeflow log attach {name}) to rebuild from the whole log",
        )


def _lower(bound: str) -> str:
    """A range's lower end as PostgreSQL wrote it (`FOR VALUES FROM (1) TO (MAXVALUE)`)."""
    found = re.search(r"FROM \((\w+)\)", bound)
    assert found is not None, bound
    return found.group(1)


def close_partition(conn: Connection) -> tuple[str, str]:
    """End the open partition at the log's head and open the next; their names."""
    _postgresql(conn, "database")
    # Writers wait while the range is moved (a moment: the CHECK reads the partition once).
    conn.execute(text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE"))
    bounds = _bounds(conn)
    now_open = [name for name, bound in bounds.items() if "MAXVALUE" in bound.split("TO")[-1]]
    if len(now_open) != 1:
        raise InvalidInput(
            "database", f"the event log has {len(now_open)} open partitions, not one"
        )
    name = now_open[0]
    lower = _lower(bounds[name])
    head = conn.execute(text(f"SELECT max(seq) FROM {name}")).scalar()
    if head is None:
        raise InvalidInput("database", f"{name} holds no events yet: there is nothing to close")
    upper = int(head) + 1
    floor = "" if lower == "MINVALUE" else f"seq >= {int(lower)} AND "
    conn.execute(text(f"ALTER TABLE events DETACH PARTITION {name}"))
    # The range as a constraint too: attaching then needs no scan, and a detached partition
    # keeps its range with it.
    conn.execute(
        text(f"ALTER TABLE {name} ADD CONSTRAINT {name}_range CHECK ({floor}seq < {upper})")
    )
    conn.execute(
        text(f"ALTER TABLE events ATTACH PARTITION {name} FOR VALUES FROM ({lower}) TO ({upper})")
    )
    numbers = [int(PARTITION.match(n).group(1)) for n in _tables(conn)]  # type: ignore[union-attr]
    following = _NAME.format(max(numbers) + 1)
    conn.execute(
        text(
            f"CREATE TABLE {following} PARTITION OF events FOR VALUES FROM ({upper}) TO (MAXVALUE)"
        )
    )
    return name, following


def _one(conn: Connection, name: str) -> Partition:
    found = {p.name: p for p in partitions(conn)}
    if name not in found:
        raise InvalidInput("PARTITION", f"{name!r} is not a partition of the event log")
    return found[name]


def _still_open(conn: Connection, name: str) -> tuple[list[str], list[str]]:
    """The spells and bed requests with an event in the partition that are not yet over."""
    spells = conn.execute(
        text(
            f"SELECT DISTINCT s.spell_key FROM {name} e JOIN spells s ON s.spell_key = e.spell_key"
            " WHERE s.status NOT IN (:discharged, :cancelled) ORDER BY s.spell_key"
        ),
        {"discharged": SpellStatus.DISCHARGED.value, "cancelled": SpellStatus.CANCELLED.value},
    ).scalars()
    requests = conn.execute(
        text(
            f"SELECT DISTINCT b.request_id FROM {name} e"
            " JOIN bed_request_records r ON r.key = e.key"
            " JOIN bed_requests b ON b.request_id = r.request_id"
            " WHERE b.status IN (:waiting, :allocated) ORDER BY b.request_id"
        ),
        {"waiting": RequestStatus.WAITING.value, "allocated": RequestStatus.ALLOCATED.value},
    ).scalars()
    return list(spells), list(requests)


def detach_partition(conn: Connection, name: str, before: date) -> int:
    """Take a closed partition whose events were all received before `before` out of the
    log; the number of spells it archives."""
    _postgresql(conn, "PARTITION")
    conn.execute(text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE"))
    part = _one(conn, name)
    if not part.attached:
        raise InvalidInput("PARTITION", f"{name} is already detached")
    if part.open:
        raise InvalidInput(
            "PARTITION", f"{name} takes new events: close it first (homeflow log close-partition)"
        )
    if part.last_received is not None and local_date(part.last_received) >= before:
        raise InvalidInput(
            "--before",
            f"{name} holds events received up to {part.last_received:%d/%m/%Y}, on or after {before:%d/%m/%Y}",
        )
    spells, requests = _still_open(conn, name)
    if spells or requests:
        named = ", ".join([*spells[:3], *requests[:3]])
        raise InvalidInput(
            "PARTITION",
            f"{len(spells)} spells and {len(requests)} bed requests with events in {name} are"
            f" still open ({named}): they need their whole history",
        )
    keys = conn.execute(
        text(f"SELECT DISTINCT spell_key FROM {name} WHERE spell_key IS NOT NULL")
    ).scalars()
    archived = [{"spell_key": key, "partition": name} for key in keys]
    if archived:
        conn.execute(insert(t.archived_spells), archived)
    conn.execute(text(f"ALTER TABLE events DETACH PARTITION {name}"))
    return len(archived)


def attach_partition(conn: Connection, name: str) -> None:
    """Put a detached partition back in the log (before `homeflow rebuild`, say)."""
    _postgresql(conn, "PARTITION")
    conn.execute(text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE"))
    part = _one(conn, name)
    if part.attached:
        raise InvalidInput("PARTITION", f"{name} is already in the log")
    if part.first_seq is None or part.last_seq is None:
        raise InvalidInput("PARTITION", f"{name} holds no events")
    # Its own events' range: inside the range it had, so it meets no other partition's.
    conn.execute(
        text(
            f"ALTER TABLE events ATTACH PARTITION {name}"
            f" FOR VALUES FROM ({part.first_seq}) TO ({part.last_seq + 1})"
        )
    )
    conn.execute(delete(t.archived_spells).where(t.archived_spells.c.partition == name))


def archived_among(conn: Connection, spell_keys: Collection[str]) -> dict[str, str]:
    """Of these spells, those whose earlier events are detached, with the partition."""
    if conn.dialect.name != "postgresql" or not spell_keys:
        return {}
    a = t.archived_spells
    query = select(a.c.spell_key, a.c.partition).where(a.c.spell_key.in_(list(spell_keys)))
    return {key: part for key, part in conn.execute(query)}
