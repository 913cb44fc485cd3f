"""The improvement collaborative's records in the event log: gatherings and progress scores,
and when the programme's actions and interactions were recorded (for momentum)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine

from homeflow.domain.improvement.collaborative import GatheringRecorded, ProgressScored, latest
from homeflow.domain.improvement.records import (
    ImprovementActionRecorded,
    PdsaRecorded,
    ProjectRecorded,
)
from homeflow.store.access.scope import Viewer
from homeflow.store.improvement import programme_events, save_record

COLLABORATIVE_TYPES = (GatheringRecorded.TYPE, ProgressScored.TYPE)
# What counts as an action or interaction of the programme, besides the gatherings themselves.
ACTIVITY_TYPES = (
    ImprovementActionRecorded.TYPE,
    PdsaRecorded.TYPE,
    ProjectRecorded.TYPE,
    ProgressScored.TYPE,
)


def gatherings(conn: Connection) -> list[GatheringRecorded]:
    found = latest(programme_events(conn, COLLABORATIVE_TYPES), GatheringRecorded)
    return sorted(
        (g for _, g in found.values() if isinstance(g, GatheringRecorded)),
        key=lambda g: (g.starts, g.gathering_id),
    )


def scores(conn: Connection) -> list[ProgressScored]:
    found = latest(programme_events(conn, COLLABORATIVE_TYPES), ProgressScored)
    return sorted(
        (s for _, s in found.values() if isinstance(s, ProgressScored)),
        key=lambda s: (s.team, s.month, s.scored_by.value),
    )


def activity(conn: Connection) -> list[datetime]:
    """When each action, PDSA, project and score was recorded."""
    return [e.occurred_at for e in programme_events(conn, ACTIVITY_TYPES)]


def save(
    engine: Engine,
    item: GatheringRecorded | ProgressScored,
    viewer: Viewer | None,
    recorded_by: str | None,
    source: str,
) -> bool:
    """Store the record if it is new or changed; a signed-in viewer must keep the system's
    records, and the change is audited."""
    return save_record(engine, item, item.system, _identity, viewer, recorded_by, source)


def _identity(item: object) -> tuple[object, ...]:
    if isinstance(item, GatheringRecorded):
        return (item.system, item.gathering_id)
    if isinstance(item, ProgressScored):
        return (item.system, item.team, item.month.isoformat(), item.scored_by.value)
    return ()
