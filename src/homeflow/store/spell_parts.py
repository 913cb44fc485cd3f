"""Views made of one part a spell (the daily call's rows, the spells a return folds), kept
across changes to the log: after new events only the spells they touched are read again."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Hashable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, select

from homeflow.domain.spell import SpellState
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.log_head import holds_event, last_event

T = TypeVar("T")


@dataclass(frozen=True)
class _Parts:
    version: tuple[str, Hashable, int, str]  # the database, the view's key, the last event seen
    parts: dict[str, Any]


# Events are committed in seq order (store/eventlog), so the events after the last one seen
# are all that changed; the version is read before the parts, so a part is never older than it.
_parts: dict[str, _Parts] = {}
_parts_lock = threading.Lock()  # the server's threads share it
TOUCHED_AT_MOST = 500  # more spells touched than this, and the view is read whole
PER_SPELL_VIEWS = 8  # the least recently read dropped beyond this (a view may hold every spell)


def per_spell_since(
    conn: Connection,
    name: str,
    key: Hashable,
    read: Callable[[Collection[str] | None], Mapping[str, T]],
    by_patient: bool = False,
) -> dict[str, T]:
    """The view's parts by spell: `read(None)` reads every spell's, `read(keys)` those of
    these spells (a spell with none left out). After a change to the log only the spells its
    new events touched are read again (with `by_patient`, also every spell of a patient they
    touched: the patient's details are part of each); the rest are kept. A log emptied or
    restored under a kept view is seen by its last event no longer being the one seen."""
    seq, last_key = last_event(conn) or (0, "")
    version = (conn.engine.url.render_as_string(hide_password=False), key, seq, last_key)
    kept = _parts.get(name)
    if kept is not None and kept.version == version:
        with _parts_lock:
            _parts[name] = _parts.pop(name, kept)
        return cast(dict[str, T], kept.parts)
    touched = None
    if kept is not None and kept.version[:2] == version[:2]:
        touched = _touched_since(conn, kept.version[2], kept.version[3], by_patient)
    if kept is None or touched is None:
        parts = dict(read(None))
    else:
        parts = {k: part for k, part in kept.parts.items() if k not in touched}
        if touched:  # an empty IN plans as a scan of every stay ever
            parts.update(read(touched))
    with _parts_lock:
        _parts.pop(name, None)
        while len(_parts) >= PER_SPELL_VIEWS:
            del _parts[next(iter(_parts))]
        _parts[name] = _Parts(version, parts)
    return parts


def _touched_since(conn: Connection, seq: int, key: str, by_patient: bool) -> set[str] | None:
    """The spells the events after `seq` touched; None if the log no longer holds `key` at
    `seq`, or too many were touched to read them one by one."""
    e = t.events
    if seq and not holds_event(conn, seq, key):
        return None
    new = conn.execute(select(e.c.spell_key, e.c.patient_id).where(e.c.seq > seq)).all()
    spells = {r.spell_key for r in new if r.spell_key}
    patients = {r.patient_id for r in new if r.patient_id}
    if by_patient and patients and len(patients) <= TOUCHED_AT_MOST:
        s = t.spells
        spells.update(conn.scalars(select(s.c.spell_key).where(s.c.patient_id.in_(patients))))
    if len(spells) > TOUCHED_AT_MOST or (by_patient and len(patients) > TOUCHED_AT_MOST):
        return None
    return spells


def spells_in_hospital_on(
    conn: Connection, day: date, last: date | None = None
) -> list[SpellState]:
    """`projections.spells_in_hospital_on`, a spell folded again only when new events touch it
    (a day's return read again after a message refolded every spell in hospital then)."""

    def read(keys: Collection[str] | None) -> dict[str, SpellState]:
        return {s.spell_key: s for s in proj.spells_in_hospital_on(conn, day, last, keys)}

    folded = per_spell_since(conn, f"in hospital {day} to {last}", (day, last), read)
    return [folded[key] for key in sorted(folded)]
