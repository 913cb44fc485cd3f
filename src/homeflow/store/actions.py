"""The actions tracker's records: the improvement programme's actions (events) and the daily
call's actions on patients' stays (the `actions` projection)."""

from __future__ import annotations

import dataclasses

from sqlalchemy import Connection, Engine, select

from homeflow.domain import events as ev
from homeflow.domain.improvement.actions import TrackedAction, fold_actions
from homeflow.domain.improvement.records import ImprovementActionRecorded
from homeflow.domain.organisations import issuer_of
from homeflow.store import schema as t
from homeflow.store.access.scope import NotFound, Viewer
from homeflow.store.codec import from_db_time
from homeflow.store.eventlog import lock_writers
from homeflow.store.improvement import programme_events, save_record, save_record_in

ACTION_TYPES = (ImprovementActionRecorded.TYPE,)


def improvement_actions(conn: Connection) -> dict[tuple[str, str], ImprovementActionRecorded]:
    return fold_actions(programme_events(conn, ACTION_TYPES))


def tracked_actions(conn: Connection, viewer: Viewer) -> list[TrackedAction]:
    """Every action the tracker lists. A daily-call action's words may name a patient, so
    they are shown only to the treating organisation and the organisation that owns it;
    others see that there is one, its owner and its date."""
    found = [
        TrackedAction(
            "improvement",
            a.action_id,
            a.description,
            a.owner,
            a.owner_org,
            a.due_date,
            a.status,
            a.about,
            system=a.system,
        )
        for a in improvement_actions(conn).values()
    ]
    a = t.actions
    for row in conn.execute(select(a).order_by(a.c.spell_key, a.c.action_id)):
        involved = viewer.org_code in (issuer_of(row.spell_key), row.owner_org)
        found.append(
            TrackedAction(
                "daily call",
                row.action_id,
                row.description if involved else "An action on a patient's stay",
                row.owner,
                row.owner_org or "",
                row.due_date,
                ev.ActionStatus(row.status),
                f"/spells/{row.spell_key}" if involved else "",
                from_db_time(row.recorded_at),
                row.recorded_by,
            )
        )
    return found


def save_action(
    engine: Engine,
    action: ImprovementActionRecorded,
    viewer: Viewer | None,
    recorded_by: str | None,
    source: str,
) -> bool:
    """Store the action if it changed; a signed-in viewer must keep the system's records."""
    return save_record(engine, action, action.system, _identity, viewer, recorded_by, source)


def change_status(
    engine: Engine, viewer: Viewer, system: str, action_id: str, status: ev.ActionStatus
) -> bool:
    """A new status for one of `system`'s actions, the rest of it as it stands now: read,
    checked, stored and audited in one transaction. Says whether it was stored: the status
    it already had is not."""
    with engine.begin() as conn:
        lock_writers(conn)
        before = improvement_actions(conn).get((system, action_id))
        if before is None:
            raise NotFound(f"action {action_id} of {system}")
        changed = dataclasses.replace(before, status=status)
        return save_record_in(conn, changed, system, _identity, viewer, viewer.email, "web")


def _identity(item: object) -> tuple[object, ...]:
    if isinstance(item, ImprovementActionRecorded):
        return (item.system, item.action_id)
    return ()
