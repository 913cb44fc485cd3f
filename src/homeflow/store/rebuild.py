"""`homeflow rebuild`: every projection dropped and folded again from the whole event log."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select

from homeflow.domain import events as ev
from homeflow.domain.clock import local_date
from homeflow.domain.patient import fold_patients, merged_into
from homeflow.domain.spell import fold_spell
from homeflow.store import bed_projections
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.codec import event_from_row
from homeflow.store.eventlog import lock_writers
from homeflow.store.log_partitions import refuse_unless_whole
from homeflow.store.spell_tables import write_spells


def rebuild(engine: Engine, through: date | None = None) -> int:
    """Drop every projection and refold it from the log; returns the number of spells."""
    with engine.begin() as conn:
        lock_writers(conn)
        refuse_unless_whole(conn)
        held = proj.census_through(conn)
        proj.drop_projections(conn)
        by_spell: dict[str, list[ev.Event]] = {}
        patient_events: list[ev.Event] = []
        last_seq = 0
        for row in conn.execute(select(t.events).order_by(t.events.c.seq)):
            last_seq = row.seq
            event = event_from_row(row)
            if event.spell_key is not None:
                by_spell.setdefault(event.spell_key, []).append(event)
            if row.patient_id is not None:
                patient_events.append(event)
        states = [fold_spell(key, found) for key, found in by_spell.items()]
        write_spells(conn, states)
        proj.write_patients(conn, fold_patients(patient_events), merged_into(patient_events))
        target = through or held
        if target is None and states:
            latest = max((s.last_event_at for s in states if s.last_event_at), default=None)
            target = local_date(latest) if latest else None
        if target is not None:
            proj.write_census(conn, states, target)
        bed_projections.fill(conn, last_seq)
        proj.set_projected_through(conn, last_seq)
        return len(states)
