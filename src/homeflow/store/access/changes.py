"""Recording a change from a form: may this user make it, has someone else changed the same
thing since they looked, then the event and its audit entry in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, desc, select

from homeflow.domain import clock
from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.domain.form_bounds import Limits, changes_nothing, checked
from homeflow.domain.forms import form_named
from homeflow.domain.spell import SpellState, fold_spell
from homeflow.domain.writes import refusal
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.access.audit import audit
from homeflow.store.access.scope import (
    Conflict,
    Forbidden,
    Unchanged,
    Viewer,
    fold_scoped,
    fold_unscoped,
)
from homeflow.store.codec import from_db_time
from homeflow.store.eventlog import append_in, lock_writers
from homeflow.store.registry import organisation_names, system_of
from homeflow.store.users import user_org


@dataclass(frozen=True, slots=True)
class Change:
    form: str
    payload: ev.Payload
    seen: str  # the form's value when the user opened it (see domain.forms.Form.reads)
    fields: Mapping[str, str] = field(default_factory=dict)


def parse_change(form_name: str, fields: Mapping[str, str], limits: Limits | None = None) -> Change:
    """A posted form as the change it asks for, or every problem with it at once, each naming
    its field (with the bounds its dates and organisations must keep, when `limits` says)."""
    payload = checked(form_name, fields, limits)
    return Change(form_name, payload, (fields.get("seen") or "").strip(), dict(fields))


def form_limits(engine: Engine, viewer: Viewer, spell_key: str, today: date) -> Limits:
    """What bounds a form posted about this spell: today, the registry's organisations and
    the spell as it stands (its admission, its actions). Who may record the change is
    `record_change`'s to say."""
    with db.reading(engine) as conn:
        organisations = frozenset(organisation_names(conn))
        try:
            state = fold_scoped(conn, viewer, spell_key)[0]
        except Forbidden:
            # Not in the patient's care (a coordinator chairing the call): the actions alone,
            # so that what an action already says stands, and nothing else of the patient.
            whole = fold_spell(spell_key, proj.load_spell_events(conn, [spell_key])[spell_key])
            state = SpellState(spell_key, whole.status, actions=whole.actions)
    return Limits(today, state, organisations)


def record_change(engine: Engine, viewer: Viewer, spell_key: str, change: Change) -> SpellState:
    """Append the change as an event, if the viewer may make it and nobody changed the
    same thing since they looked; returns the spell's new state. A change that asks for what
    the record already says raises Unchanged (only once the viewer may make it)."""
    now = clock.now()
    with engine.begin() as conn:
        lock_writers(conn)
        state = _fold_scoped_for_change(conn, viewer, spell_key, change)
        # Asked once the viewer may make the change, before the version: a post of what the
        # record already says changes nothing, however old the form it came from.
        if changes_nothing(state, change.payload):
            raise Unchanged(change.form)
        now_reads = form_named(change.form).reads(state, change.fields)
        if now_reads != change.seen:
            last = _last_change(conn, spell_key, type(change.payload).TYPE)
            raise Conflict(
                change.form,
                now_reads,
                last.recorded_by if last is not None else None,
                from_db_time(last.occurred_at) if last is not None else None,
            )
        event = ev.Event(
            key=f"web:{uuid.uuid4()}",
            source="web",
            occurred_at=now,
            received_at=now,
            spell_key=spell_key,
            payload=change.payload,
            recorded_by=viewer.email,
        )
        result = append_in(conn, [event])
        if result.rejected:
            rejection = result.rejected[0]
            raise InvalidInput(rejection.field, rejection.reason)
        audit(conn, viewer, "change", f"{change.form}: {event.type}", spell_key)
        return fold_spell(spell_key, proj.load_spell_events(conn, [spell_key])[spell_key])


def _fold_scoped_for_change(
    conn: Connection, viewer: Viewer, spell_key: str, change: Change
) -> SpellState:
    """The spell, if the viewer's organisation may make this change: one involved in the
    patient's care, or for an action whoever its rule allows (the system's coordinators)."""
    recorded_by_org = treating_system = None
    if isinstance(change.payload, ev.ActionRecorded):
        state, treating_org = fold_unscoped(conn, spell_key)
        recorded_by_org = _action_recorded_by_org(conn, spell_key, change.payload.action_id)
        treating_system = system_of(conn, treating_org) if treating_org else None
    else:
        state, treating_org = fold_scoped(conn, viewer, spell_key)
    why = refusal(
        change.payload,
        viewer.org_code,
        viewer.role,
        state,
        treating_org,
        recorded_by_org,
        treating_system,
    )
    if why is not None:
        raise Forbidden(why)
    return state


def _action_recorded_by_org(conn: Connection, spell_key: str, action_id: str) -> str | None:
    """The organisation of whoever first recorded the action."""
    for event in proj.load_spell_events(conn, [spell_key]).get(spell_key, []):
        payload = event.payload
        if isinstance(payload, ev.ActionRecorded) and payload.action_id == action_id:
            return user_org(conn, event.recorded_by) if event.recorded_by else None
    return None


def _last_change(conn: Connection, spell_key: str, event_type: str) -> Any:
    e = t.events
    # The type is matched here, not in SQL: a type condition tempts the planner onto the type
    # index, which scans every event of that type in the log instead of this spell's few.
    spell_events = conn.execute(
        select(e.c.type, e.c.recorded_by, e.c.occurred_at)
        .where(e.c.spell_key == spell_key)
        .order_by(desc(e.c.seq))
    )
    return next((row for row in spell_events if row.type == event_type), None)
