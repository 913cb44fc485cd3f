"""The few records folded when read are decoded once and then read on from the last one
(store/access/caches.events_of_types): whatever happens to the log between two readings (records
of the types read and of others appended, a transaction rolled back after its records were
read, the log emptied and written again), a reading equals the log read afresh, on both
engines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select

from homeflow.domain.community.records import TeamDefined
from homeflow.domain.improvement.collaborative import GatheringKind, GatheringRecorded
from homeflow.store import schema as t
from homeflow.store.access.caches import events_of_types
from homeflow.store.codec import event_from_row
from homeflow.store.eventlog import lock_writers
from homeflow.store.improvement import append_events, programme_event

TEAM_TYPES = (TeamDefined.TYPE,)
BOTH = (TeamDefined.TYPE, GatheringRecorded.TYPE)
_made = iter(range(10**9))


def a_record(kind: str) -> TeamDefined | GatheringRecorded:
    n = next(_made)
    if kind == "team":
        return TeamDefined(f"team-{n}", f"Team {n}", "RW1")
    day = date(2026, 3, 2)
    return GatheringRecorded(
        "QDE", f"g-{n}", GatheringKind.LEARNING_SESSION, f"Session {n}", day, day
    )


def fresh(engine: Engine, types: tuple[str, ...]) -> list[tuple[str, str]]:
    e = t.events
    with engine.connect() as conn:
        rows = conn.execute(select(e).where(e.c.type.in_(types)).order_by(e.c.seq))
        return [(ev.key, ev.type) for ev in map(event_from_row, rows)]


def kept(engine: Engine, types: tuple[str, ...]) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [(ev.key, ev.type) for ev in events_of_types(conn, types)]


STEPS = st.lists(
    st.sampled_from(["team", "gathering", "read", "read-both", "rolled-back", "emptied"]),
    max_size=12,
)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_a_kept_reading_equals_the_log_read_afresh(engine: Engine, steps: list[str]) -> None:
    with engine.begin() as conn:
        conn.execute(delete(t.events))
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for step in steps:
        if step in ("team", "gathering"):
            with engine.begin() as conn:
                lock_writers(conn)
                append_events(conn, [programme_event(a_record(step), 0, None, "test", now)])
        elif step == "rolled-back":
            # Read inside a transaction that appended and then failed: nothing of it stays.
            before = len(fresh(engine, TEAM_TYPES))
            with pytest.raises(RuntimeError), engine.begin() as conn:
                lock_writers(conn)
                append_events(conn, [programme_event(a_record("team"), 0, None, "test", now)])
                assert len(events_of_types(conn, TEAM_TYPES)) == before + 1
                raise RuntimeError("the audit row could not be written")
        elif step == "emptied":
            with engine.begin() as conn:
                conn.execute(delete(t.events))
        types = BOTH if step == "read-both" else TEAM_TYPES
        assert kept(engine, types) == fresh(engine, types), step
    assert kept(engine, BOTH) == fresh(engine, BOTH)
