"""Writing folded state to the projection tables, and keeping the daily census exact.

Every projection is a fold over events (homeflow.domain); this module only stores the
results. The daily census is kept by adding each changed spell's new contribution and
subtracting its old one, so a late event changes past days exactly as if it had been on time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
)

from homeflow.domain import events as ev
from homeflow.domain.clock import local_date, start_of_day
from homeflow.domain.flow import (
    CENSUS_EVENT_TYPES,
    CENSUS_MEASURES,
    census_contributions,
    daily_census,
)
from homeflow.domain.organisations import Patient
from homeflow.domain.patient import fold_patients, merged_into
from homeflow.domain.patient_search import name_parts
from homeflow.domain.spell import SpellState, SpellStatus, fold_spell
from homeflow.store import schema as t
from homeflow.store.codec import event_from_row, stored_local_date, to_db_time
from homeflow.store.db import insert_rows, upsert_insert

CHUNK = 900
CensusDelta = Counter[tuple[date, str, str]]


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def one_of(dialect: str, column: ColumnElement[Any]) -> ColumnElement[bool]:
    """`column IN (:keys)`, the values bound when the statement runs, so that a statement
    built once serves every call (building it costs more than running it); on PostgreSQL
    `= ANY(:keys)`, one array parameter that plans quickly."""
    if dialect == "postgresql":
        return column == any_(bindparam("keys", type_=ARRAY(String)))
    return column.in_(bindparam("keys", expanding=True))


@lru_cache
def _events_of_spells(dialect: str) -> Select[Any]:
    # Built once: every message a feed sends reads its spell's events.
    return select(t.events).where(one_of(dialect, t.events.c.spell_key))


def load_spell_events(
    conn: Connection, spell_keys: Iterable[str], types: Collection[str] | None = None
) -> dict[str, list[ev.Event]]:
    """The stored events of these spells (only those of `types`, if given)."""
    found: dict[str, list[ev.Event]] = {}
    for row in _spell_event_rows(conn, spell_keys):
        # Filtered here, not in SQL: a type condition tempts the planner onto the type index.
        if types is None or row.type in types:
            found.setdefault(row.spell_key, []).append(event_from_row(row))
    return found


def load_stored_events(
    conn: Connection, spell_keys: Iterable[str]
) -> dict[str, list[tuple[int, ev.Event]]]:
    """The stored events of these spells, each with its place in the log."""
    found: dict[str, list[tuple[int, ev.Event]]] = {}
    for row in _spell_event_rows(conn, spell_keys):
        found.setdefault(row.spell_key, []).append((row.seq, event_from_row(row)))
    return found


def _spell_event_rows(conn: Connection, spell_keys: Iterable[str]) -> Iterator[Any]:
    query = _events_of_spells(conn.dialect.name)
    for part in chunks(sorted(set(spell_keys))):
        yield from conn.execute(query, {"keys": list(part)})


EVENTS_THROUGH = "events_through"


def projected_through(conn: Connection) -> int:
    """The last event (by seq) the projections include; 0 when they include none."""
    seq = conn.execute(
        select(t.projection_marks.c.seq).where(t.projection_marks.c.name == EVENTS_THROUGH)
    ).scalar_one_or_none()
    return seq or 0


def set_projected_through(conn: Connection, seq: int) -> None:
    conn.execute(delete(t.projection_marks).where(t.projection_marks.c.name == EVENTS_THROUGH))
    conn.execute(insert(t.projection_marks).values(name=EVENTS_THROUGH, seq=seq))


def census_through(conn: Connection) -> date | None:
    return conn.execute(
        select(t.projection_marks.c.day).where(t.projection_marks.c.name == "census_through")
    ).scalar_one_or_none()


def _set_census_through(conn: Connection, day: date) -> None:
    conn.execute(delete(t.projection_marks).where(t.projection_marks.c.name == "census_through"))
    conn.execute(insert(t.projection_marks).values(name="census_through", day=day))


def write_census(conn: Connection, states: Iterable[SpellState], through: date) -> None:
    """The whole daily census from scratch, up to `through` (used by rebuild)."""
    delta: CensusDelta = Counter()
    for state in states:
        delta.update(census_delta(None, state, through))
    apply_census_delta(conn, delta)
    _set_census_through(conn, through)


def census_delta(
    old: SpellState | None, new: SpellState, through: date | None, since: date | None = None
) -> CensusDelta:
    """New contribution minus old, for the days the census holds (from `since`, when the
    caller knows no earlier day can differ)."""
    delta: CensusDelta = Counter()
    if through is None:
        return delta
    for state, sign in ((old, -1), (new, 1)):
        if state is None or state.admitted_at is None:
            continue
        first = local_date(state.admitted_at)
        if since is not None:
            first = max(first, since)
        for part in census_contributions(state, first, through):
            for name in CENSUS_MEASURES:
                if value := getattr(part, name):
                    delta[(part.day, part.ward_code, name)] += sign * value
    return delta


def apply_census_delta(conn: Connection, delta: CensusDelta) -> None:
    rows: dict[tuple[date, str], dict[str, Any]] = {}
    for (day, ward_code, name), value in delta.items():
        if value:
            row = rows.setdefault(
                (day, ward_code),
                {"day": day, "ward_code": ward_code, **dict.fromkeys(CENSUS_MEASURES, 0)},
            )
            row[name] = value
    if not rows:
        return
    for part in chunks(list(rows.values()), 500):
        stmt = upsert_insert(conn, t.daily_census)
        stmt = stmt.on_conflict_do_update(
            index_elements=["day", "ward_code"],
            set_={
                name: getattr(t.daily_census.c, name) + stmt.excluded[name]
                for name in CENSUS_MEASURES
            },
        )
        conn.execute(stmt, list(part))
    # A ward-day whose every count fell to zero is dropped, as a rebuild would never write it.
    days = sorted({day for day, _ in rows})
    conn.execute(
        delete(t.daily_census).where(
            t.daily_census.c.day.between(days[0], days[-1]),
            *(getattr(t.daily_census.c, name) == 0 for name in CENSUS_MEASURES),
        )
    )


_PATIENT_DETAIL_TYPES = (ev.Admitted.TYPE, ev.PatientDetailsUpdated.TYPE)


@lru_cache
def _events_of_patients(dialect: str) -> Select[Any]:
    e = t.events
    return select(e.c.key, e.c.type).where(one_of(dialect, e.c.patient_id))


@lru_cache
def _events_by_key(dialect: str) -> Select[Any]:
    k = t.event_keys
    return select(t.events).join(k, k.c.seq == t.events.c.seq).where(one_of(dialect, k.c.key))


def refresh_patients(
    conn: Connection, patient_ids: Iterable[str], known: Mapping[str, ev.Event] | None = None
) -> None:
    """Refold the patients these events touched, and every merge link. Events in `known`
    (by key) are taken from there rather than decoded again from their rows."""
    ids = sorted(set(patient_ids))
    if not ids:
        return
    known = known or {}
    found: list[ev.Event] = []
    missing: list[str] = []
    for part in chunks(ids):
        for key, event_type in conn.execute(_events_of_patients(conn.dialect.name), {"keys": part}):
            # Filtered here, not in SQL, as in `load_spell_events`.
            if event_type in _PATIENT_DETAIL_TYPES:
                if key in known:
                    found.append(known[key])
                else:
                    missing.append(key)
    # Only events not in hand are read whole (a row holds the message it came from).
    for part in chunks(missing):
        found.extend(
            event_from_row(r)
            for r in conn.execute(_events_by_key(conn.dialect.name), {"keys": part})
        )
    merge_rows = conn.execute(select(t.events).where(t.events.c.type == ev.PatientsMerged.TYPE))
    links = merged_into(event_from_row(r) for r in merge_rows)
    write_patients(conn, fold_patients(found), links)


def write_patients(conn: Connection, folded: dict[str, Patient], links: dict[str, str]) -> None:
    """The patients' rows, and where a name search may find each (`name_parts`)."""
    for table in (t.patients, t.patient_name_parts):
        replaced = delete(table).where(one_of(conn.dialect.name, table.c.patient_id))
        for part in chunks(list(folded)):
            conn.execute(replaced, {"keys": list(part)})
    rows = [
        {
            "patient_id": p.patient_id,
            "nhs_number": p.nhs_number,
            "local_id": p.local_id,
            "family_name": p.family_name,
            "given_name": p.given_name,
            "birth_date": p.birth_date,
            "sex": p.sex,
            "merged_into": links.get(p.patient_id),
            "local_authority": p.local_authority,
        }
        for p in folded.values()
    ]
    insert_rows(conn, t.patients, rows)
    parts = [
        {"part": name_part, "patient_id": p.patient_id}
        for p in folded.values()
        for name_part in sorted(name_parts(p.family_name, p.given_name))
    ]
    insert_rows(conn, t.patient_name_parts, parts)


def extend_census(
    conn: Connection, through: date, folded: Mapping[str, SpellState] | None = None
) -> None:
    """Materialise the daily census up to `through`, folding the spells in hospital then (or
    taking their states from `folded`: a bulk load has just folded every spell it wrote, and
    reading them back took a fifth of a demo build)."""
    held = census_through(conn)
    if held is not None and held >= through:
        return
    first_admission = conn.execute(select(func.min(t.spells.c.admitted_at))).scalar_one_or_none()
    if first_admission is None:
        _set_census_through(conn, through)
        return
    first = (held + timedelta(days=1)) if held is not None else stored_local_date(first_admission)
    window_start = to_db_time(start_of_day(first))
    keys = list(
        conn.execute(
            select(t.spells.c.spell_key).where(
                t.spells.c.status.in_([SpellStatus.ADMITTED.value, SpellStatus.DISCHARGED.value]),
                t.spells.c.admitted_at < to_db_time(start_of_day(through + timedelta(days=1))),
                or_(t.spells.c.discharged_at.is_(None), t.spells.c.discharged_at >= window_start),
            )
        ).scalars()
    )
    known = folded or {}
    found = load_spell_events(conn, [k for k in keys if k not in known], CENSUS_EVENT_TYPES)
    states = [known[k] for k in keys if k in known]
    states += [fold_spell(key, spell_events) for key, spell_events in found.items()]
    delta: CensusDelta = Counter()
    for state in states:
        for part in census_contributions(state, first, through):
            for name in CENSUS_MEASURES:
                if value := getattr(part, name):
                    delta[(part.day, part.ward_code, name)] += value
    apply_census_delta(conn, delta)
    _set_census_through(conn, through)


def spells_in_hospital_on(
    conn: Connection, day: date, last: date | None = None, among: Collection[str] | None = None
) -> list[SpellState]:
    """Every spell in hospital at some time from `day` to `last` (default: that day), or those
    of the spells `among`, folded from the events its stay, criteria to reside, delay reasons
    and pathway depend on."""
    keys = keys_in_hospital_on(conn, day, last, among)
    found = load_spell_events(conn, keys, CENSUS_EVENT_TYPES)
    return [fold_spell(key, spell_events) for key, spell_events in found.items()]


def keys_in_hospital_on(
    conn: Connection, day: date, last: date | None = None, among: Collection[str] | None = None
) -> list[str]:
    """The keys of the spells `spells_in_hospital_on` folds, for a caller that reads their
    events itself."""
    query = _in_hospital_on(day, last)
    if among is not None:
        query = query.where(t.spells.c.spell_key.in_(sorted(among)))
    return list(conn.execute(query).scalars())


def _in_hospital_on(day: date, last: date | None = None) -> Select[Any]:
    """The keys of the spells in hospital at some time from `day` to `last`."""
    s = t.spells
    return select(s.c.spell_key).where(
        # Each side of the OR has its own index: still in, or discharged since `day`.
        or_(
            s.c.status == SpellStatus.ADMITTED.value,
            and_(
                s.c.status == SpellStatus.DISCHARGED.value,
                s.c.discharged_at >= to_db_time(start_of_day(day)),
            ),
        ),
        s.c.admitted_at < to_db_time(start_of_day((last or day) + timedelta(days=1))),
    )


def census_for_day(conn: Connection, day: date) -> dict[str, dict[str, int]]:
    """One day's census folded on demand from the spells in hospital then (not stored)."""
    states = spells_in_hospital_on(conn, day)
    return {ward: counts for (_, ward), counts in daily_census(states, day, day).items()}


def drop_projections(conn: Connection) -> None:
    for table in t.PROJECTIONS:
        conn.execute(delete(table))
