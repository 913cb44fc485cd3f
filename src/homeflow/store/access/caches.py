"""Views computed once per change to the log, spells folded once per new event, and the few
records folded when read (the improvement programme's, community teams', OPEL's, support after
discharge) decoded once and then only what is new."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, func, select

from homeflow.domain.events import Event
from homeflow.domain.spell import SpellState, fold_spell
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.codec import event_from_row
from homeflow.store.log_head import holds_event

# What many people look at at once (the overview, the daily call) is computed once per change
# to the log and reused until the next event: keyed by the database, the last event's seq
# and what else the view depends on. The registry is configuration, changed rarely.
_log_cache: dict[str, tuple[Hashable, Any]] = {}
LOG_CACHE_VIEWS = 64


T = TypeVar("T")


def per_log_version(engine: Engine, name: str, key: Hashable, compute: Callable[[], T]) -> T:
    with db.reading(engine) as conn:
        version = conn.execute(select(func.max(t.events.c.seq))).scalar_one_or_none()
    full_key = (engine.url.render_as_string(), version, key)
    hit = _log_cache.get(name)
    if hit is not None and hit[0] == full_key:
        return cast(T, hit[1])
    value = compute()
    if len(_log_cache) >= LOG_CACHE_VIEWS:
        _log_cache.clear()  # views are cheap to recompute; memory stays flat
    _log_cache[name] = (full_key, value)
    return value


# Folded spells, by spell and its number of events: events are only ever added, so a spell
# whose count is unchanged folds to the same state. Bounded, so memory stays flat.
_fold_cache: dict[str, tuple[int, SpellState]] = {}
FOLD_CACHE_SPELLS = 20_000


def folded_spells(conn: Connection, event_counts: Mapping[str, int]) -> list[SpellState]:
    """The folded state of each spell, refolding only those with new events since last time."""
    states: dict[str, SpellState] = {}
    stale = []
    for key, count in event_counts.items():
        cached = _fold_cache.get(key)
        if cached is not None and cached[0] == count:
            states[key] = cached[1]
        else:
            stale.append(key)
    if stale:
        if len(_fold_cache) > FOLD_CACHE_SPELLS:
            _fold_cache.clear()
        for key, found in proj.load_spell_events(conn, stale).items():
            state = fold_spell(key, found)
            states[key] = state
            _fold_cache[key] = (state.event_count, state)
    return [states[key] for key in event_counts if key in states]


@dataclass(frozen=True)
class _Kept:
    through: int  # the seq of the last event read
    last_key: str
    events: tuple[Event, ...]


# By database and the types read. Every append holds the writers' lock (store/eventlog), so
# events are committed in seq order and none can appear below the last one read: reading on
# from it is the whole log. A log emptied, restored or rolled back under a kept reading is seen
# by its last event no longer being the one read, and is read again from the start.
_kept: dict[tuple[str, tuple[str, ...]], _Kept] = {}
KEPT_TYPE_SETS = 64


def events_of_types(conn: Connection, types: Sequence[str]) -> list[Event]:
    """The log's events of `types`, in order: decoded once per process, then only what is new
    (a community team's form, say, is checked against every record of the caseloads: decoding
    them all again took most of each post's time)."""
    e = t.events
    name = (conn.engine.url.render_as_string(hide_password=False), tuple(sorted(set(types))))
    kept = _kept.get(name)
    if kept is not None and not holds_event(conn, kept.through, kept.last_key):
        kept = None
    after = kept.through if kept is not None else 0
    query = select(e).where(e.c.type.in_(name[1]), e.c.seq > after).order_by(e.c.seq)
    rows = conn.execute(query).all()
    if not rows:
        return list(kept.events) if kept is not None else []
    events = (kept.events if kept is not None else ()) + tuple(event_from_row(r) for r in rows)
    if len(_kept) >= KEPT_TYPE_SETS:
        _kept.clear()
    _kept[name] = _Kept(rows[-1].seq, rows[-1].key, events)
    return list(events)
