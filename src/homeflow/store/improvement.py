"""The improvement programme's records in the event log: frameworks and self-assessments.

They are few (hundreds of events a system a year), so they are folded from the log when read
rather than kept in projection tables.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from homeflow.domain import clock
from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.domain.improvement.assessment import (
    AssessmentKey,
    EntryHistory,
    fold_assessments,
    local_frameworks,
    standing_entries,
)
from homeflow.domain.improvement.frameworks import Framework, built_in, read_status
from homeflow.domain.improvement.kinds import PROGRAMME_PAYLOADS
from homeflow.domain.improvement.permissions import improvement_refusal, may_keep
from homeflow.domain.improvement.records import (
    CELL_FIELDS,
    AssessmentEntryRecorded,
    FrameworkDefined,
    SegmentSet,
)
from homeflow.domain.payloads import payload_to_dict
from homeflow.store import schema as t
from homeflow.store.access.audit import audit
from homeflow.store.access.caches import events_of_types
from homeflow.store.access.scope import Conflict, Forbidden, NotFound, Viewer
from homeflow.store.eventlog import append_in, lock_writers
from homeflow.store.registry import system_of, systems_of_places

ASSESSMENT_TYPES = (AssessmentEntryRecorded.TYPE,)
FRAMEWORK_TYPES = (FrameworkDefined.TYPE,)


def programme_events(
    conn: Connection, types: Sequence[str] = tuple(PROGRAMME_PAYLOADS)
) -> list[ev.Event]:
    return events_of_types(conn, types)


def programme_event(
    record: ev.Payload, versions: int, recorded_by: str | None, source: str, now: datetime
) -> ev.Event:
    """An improvement record as an event. Its key is the record's content and how many versions
    came before it: the same edit sent twice is stored once, and going back to an earlier
    wording is a new version."""
    content = json.dumps([record.TYPE, versions, payload_to_dict(record)], sort_keys=True)
    key = f"{record.TYPE}:{hashlib.sha256(content.encode()).hexdigest()[:32]}"
    return ev.Event(key, source, now, now, None, record, recorded_by=recorded_by)


def append_events(conn: Connection, new: Sequence[ev.Event]) -> None:
    """Store the records in the caller's transaction, which holds the writers' lock and has
    checked who may store them; a refused one is an error naming its field."""
    if not new:
        return
    result = append_in(conn, list(new))
    if result.rejected:
        raise InvalidInput(result.rejected[0].field, result.rejected[0].reason)


def save_record(
    engine: Engine,
    item: ev.Payload,
    system: str,
    identity: Callable[[ev.Payload], tuple[object, ...]],
    viewer: Viewer | None,
    recorded_by: str | None,
    source: str,
    agrees: Callable[[Connection, ev.Payload], None] | None = None,
) -> bool:
    """Store a record's new version if it differs from its latest (records of the same type
    with the same `identity` are its versions). A signed-in `viewer` must keep `system`'s
    records; `agrees` raises if the record disagrees with what is stored. The checks, the
    new version and its audit row are one transaction. Returns whether anything was stored."""
    with engine.begin() as conn:
        lock_writers(conn)
        return save_record_in(conn, item, system, identity, viewer, recorded_by, source, agrees)


def save_record_in(
    conn: Connection,
    item: ev.Payload,
    system: str,
    identity: Callable[[ev.Payload], tuple[object, ...]],
    viewer: Viewer | None,
    recorded_by: str | None,
    source: str,
    agrees: Callable[[Connection, ev.Payload], None] | None = None,
) -> bool:
    """`save_record` in the caller's transaction, which holds the writers' lock."""
    if viewer is not None:
        check_keeper(conn, viewer, system)
    if agrees is not None:
        agrees(conn, item)
    versions = [
        e.payload
        for e in programme_events(conn, (item.TYPE,))
        if identity(e.payload) == identity(item)
    ]
    if versions and versions[-1] == item:
        return False
    now = clock.now()
    append_events(conn, [programme_event(item, len(versions), recorded_by, source, now)])
    if viewer is not None:
        audit(conn, viewer, "change", " ".join([item.TYPE, *map(str, identity(item))]))
    return True


def frameworks(conn: Connection) -> dict[str, Framework]:
    """The national frameworks and every system's own, by short name."""
    local = {
        name: fw
        for name, (_, fw) in local_frameworks(programme_events(conn, FRAMEWORK_TYPES)).items()
    }
    return {**built_in(), **local}


def framework_named(conn: Connection, name: str, field: str = "framework") -> Framework:
    found = frameworks(conn).get(name)
    if found is None:
        names = ", ".join(sorted(frameworks(conn)))
        raise InvalidInput(field, f"{name!r} is not a framework; use one of {names}")
    return found


def check_system(conn: Connection, code: str, field: str = "system") -> str:
    o = t.organisations
    if conn.execute(select(o.c.code).where(o.c.code == code)).first() is None:
        raise InvalidInput(field, f"{code!r} is not an organisation in the registry")
    return code


def known_places(conn: Connection) -> dict[str, str]:
    """Registry organisations and sites by lower-case code and name, to their code."""
    places: dict[str, str] = {}
    for table in (t.organisations, t.sites):
        for code, name in conn.execute(select(table.c.code, table.c.name)):
            places[code.lower()] = code
            places[name.lower()] = code
    return places


def assessments(conn: Connection) -> dict[AssessmentKey, dict[str, EntryHistory]]:
    return fold_assessments(programme_events(conn, ASSESSMENT_TYPES))


@dataclass
class Saved:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def save_entries(
    engine: Engine,
    key: AssessmentKey,
    entries: Sequence[AssessmentEntryRecorded],
    recorded_by: str | None,
    source: str,
    replace: bool = False,
    viewer: Viewer | None = None,
) -> Saved:
    """Record the entries that differ from what is stored; with `replace` (an import of the
    whole sheet) entries stored but not given are removed. A signed-in `viewer` must keep the
    system's records, and the import is audited. One transaction: all or nothing."""
    with engine.begin() as conn:
        lock_writers(conn)
        if viewer is not None:
            check_keeper(conn, viewer, key.system)
        saved = _save_entries(conn, key, entries, recorded_by, source, replace)
        if viewer is not None:
            what = f"assessment import {key.system} {key.framework} {key.assessed_on}"
            audit(conn, viewer, "change", f"{what}: {len(entries)} entries")
    return saved


def _save_entries(
    conn: Connection,
    key: AssessmentKey,
    entries: Sequence[AssessmentEntryRecorded],
    recorded_by: str | None,
    source: str,
    replace: bool,
) -> Saved:
    saved = Saved()
    now = clock.now()
    stored = assessments(conn).get(key, {})
    new: list[ev.Event] = []

    def add(entry: AssessmentEntryRecorded) -> None:
        versions = len(stored[entry.entry_id].versions) if entry.entry_id in stored else 0
        new.append(programme_event(entry, versions, recorded_by, source, now))

    given = {entry.entry_id for entry in entries}
    for entry in entries:
        before = stored.get(entry.entry_id)
        if before is None or before.current.removed:
            saved.added.append(entry.entry_id)
        elif before.current == entry:
            saved.unchanged += 1
            continue
        else:
            saved.changed.append(entry.entry_id)
        add(entry)
    if replace:
        for entry_id, history in stored.items():
            if entry_id not in given and not history.current.removed:
                saved.removed.append(entry_id)
                add(_removed(history.current))
    append_events(conn, new)
    return saved


def _removed(entry: AssessmentEntryRecorded) -> AssessmentEntryRecorded:
    return dataclasses.replace(entry, removed=True)


def define_framework(engine: Engine, tips: FrameworkDefined, recorded_by: str | None) -> None:
    if tips.name in built_in():
        raise InvalidInput("name", f"{tips.name!r} is a national framework's name")
    now = clock.now()
    with engine.begin() as conn:
        lock_writers(conn)
        defined = [
            e.payload
            for e in programme_events(conn, FRAMEWORK_TYPES)
            if isinstance(e.payload, FrameworkDefined) and e.payload.name == tips.name
        ]
        if defined and defined[-1].system != tips.system:
            raise InvalidInput("name", f"{tips.name!r} is already {defined[-1].system}'s framework")
        append_events(conn, [programme_event(tips, len(defined), recorded_by, "framework", now)])


def may_edit(conn: Connection, viewer: Viewer, system: str) -> bool:
    """Whether the viewer keeps `system`'s records (the pages' forms ask this)."""
    return may_keep(viewer.role, viewer.org_code, system_of(conn, viewer.org_code), system)


def check_keeper(
    conn: Connection, viewer: Viewer, system: str, places: dict[str, str] | None = None
) -> None:
    """Refuse the change unless the viewer keeps `system`'s records (and every place it is
    about is the system's): `domain.improvement.permissions` decides."""
    org_system = system_of(conn, viewer.org_code)
    why = improvement_refusal(viewer.role, viewer.org_code, org_system, system, places)
    if why is not None:
        raise Forbidden(why)


def _edit(
    conn: Connection,
    viewer: Viewer,
    key: AssessmentKey,
    entry: AssessmentEntryRecorded,
    seen: int | None,
) -> None:
    """Record one entry's new version for a signed-in user, in the caller's transaction:
    who may, whether someone changed it since `seen`, the entry and its audit row."""
    check_keeper(conn, viewer, key.system)
    framework = framework_named(conn, key.framework)
    stored = assessments(conn).get(key, {}).get(entry.entry_id)
    if seen is not None and stored is not None and len(stored.versions) != seen:
        latest = stored.versions[-1]
        raise Conflict("entry", latest.entry.where_now, latest.recorded_by, latest.recorded_at)
    status = read_status(framework, entry.status)
    if status.unknown and not status.levels:
        names = ", ".join(level.name for level in framework.levels)
        raise InvalidInput("status", f"{entry.status!r} is not a maturity level ({names})")
    _save_entries(conn, key, [entry], viewer.email, "web", replace=False)
    audit(
        conn,
        viewer,
        "change",
        f"assessment {key.system} {key.framework} {key.assessed_on} {entry.entry_id}",
    )


def edit_entry(
    engine: Engine,
    viewer: Viewer,
    key: AssessmentKey,
    entry_id: str,
    cells: dict[str, str],
    seen: int,
) -> None:
    with engine.begin() as conn:
        lock_writers(conn)
        stored = assessments(conn).get(key, {}).get(entry_id)
        if stored is None:
            raise NotFound(entry_id)
        _edit(conn, viewer, key, dataclasses.replace(stored.current, **_cells(cells)), seen)


def add_entry(
    engine: Engine, viewer: Viewer, key: AssessmentKey, item_code: str, cells: dict[str, str]
) -> str:
    """A new entry under a change, placed after that change's last entry."""
    with engine.begin() as conn:
        lock_writers(conn)
        check_keeper(conn, viewer, key.system)
        framework = framework_named(conn, key.framework)
        current = standing_entries(assessments(conn).get(key, {}))
        if item_code not in {item.code for item in framework.items}:
            raise InvalidInput("item_code", f"{item_code!r} is not a change of {framework.name}")
        under = [e.position for e in current if e.item_code == item_code]
        position = max(under) if under else max((e.position for e in current), default=0) + 1
        entry_id = f"web-{uuid.uuid4().hex}"
        entry = AssessmentEntryRecorded(
            system=key.system,
            framework=key.framework,
            assessed_on=key.assessed_on,
            entry_id=entry_id,
            position=position,
            item_code=item_code,
            **_cells(cells),
        )
        _edit(conn, viewer, key, entry, None)
    return entry_id


def _cells(cells: dict[str, str]) -> dict[str, Any]:
    unknown = sorted(set(cells) - set(CELL_FIELDS))
    if unknown:
        raise InvalidInput(unknown[0], "is not a cell of an assessment entry")
    return dict(cells)


def set_segment(engine: Engine, viewer: Viewer, chosen: SegmentSet) -> None:
    """A person's segment for one of their system's places, with the reason: who may, the
    segment and its audit row in one transaction."""
    with engine.begin() as conn:
        lock_writers(conn)
        place_system = systems_of_places(conn, chosen.level).get(chosen.place)
        if place_system is None:
            raise InvalidInput("place", f"{chosen.place!r} is not a {chosen.level} in the registry")
        check_keeper(conn, viewer, chosen.system, {chosen.place: place_system})
        before = [
            e
            for e in programme_events(conn, (chosen.TYPE,))
            if isinstance(e.payload, SegmentSet)
            and (e.payload.system, e.payload.level, e.payload.place)
            == (chosen.system, chosen.level, chosen.place)
        ]
        now = clock.now()
        append_events(conn, [programme_event(chosen, len(before), viewer.email, "web", now)])
        what = "cleared" if chosen.cleared else f"segment {chosen.segment}"
        audit(conn, viewer, "change", f"smart list {chosen.level} {chosen.place}: {what}")
