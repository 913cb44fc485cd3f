"""What the monthly mental health delayed discharge figures read: the stays with a delayed
discharge period that were in hospital during the month, folded from their events, and the
places the figures are grouped by."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from sqlalchemy import Connection, Engine, or_, select

from homeflow.domain import events as ev
from homeflow.domain.clock import start_of_day
from homeflow.domain.flow import CENSUS_EVENT_TYPES
from homeflow.domain.mh_delays import Places
from homeflow.domain.spell import SpellState, fold_spell
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.codec import to_db_time
from homeflow.store.queries import local_authorities
from homeflow.store.registry import organisation_names

FOLDED = frozenset(CENSUS_EVENT_TYPES) | {ev.MhDelayRecorded.TYPE}


def mh_delay_data(engine: Engine, first: date, last: date) -> tuple[list[SpellState], Places]:
    """The stays with a period recorded that were in hospital from `first` to `last`."""
    e, s = t.events, t.spells
    with_periods = select(e.c.spell_key).where(e.c.type == ev.MhDelayRecorded.TYPE)
    in_hospital = select(s.c.spell_key).where(
        s.c.spell_key.in_(with_periods),
        s.c.admitted_at < to_db_time(start_of_day(last + timedelta(days=1))),
        or_(
            s.c.discharged_at.is_(None),
            s.c.discharged_at >= to_db_time(start_of_day(first)),
        ),
    )
    with db.reading(engine) as conn:
        keys = list(conn.execute(in_hospital).scalars())
        found = proj.load_spell_events(conn, keys, FOLDED)
        places = Places(
            dict(conn.execute(select(t.wards.c.code, t.wards.c.type)).all()),
            dict(conn.execute(select(t.sites.c.code, t.sites.c.org_code)).all()),
            local_authorities(conn),
            organisation_names(conn),
        )
    return [fold_spell(key, events) for key, events in found.items()], places


def known_spells(conn: Connection, keys: Collection[str]) -> set[str]:
    """Which of these spells homeflow holds."""
    s = t.spells
    return set(conn.execute(select(s.c.spell_key).where(s.c.spell_key.in_(set(keys)))).scalars())
