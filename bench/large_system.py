"""A large system for benchmarks: the demo system run for a year, cloned into copies.

The demo is one ICB with about 1,700 beds (two acute trusts); the page and return benchmarks
ask for a system of at least 5,000 open spells with a year of history: four copies hold about
6,000, and bench/region.py asks for eight (sixteen acute trusts) over two years. Each copy gets
its own organisations, sites, wards, patients and spells (codes suffixed K1, K2, ...), under the
same ICB, so every page and return sees one system so many times the size, with real-looking
wards.

The first copy is appended through the event log, which checks and projects it; each other
copy is the first's stored rows (the log and every projection) renamed, written table by table
(PostgreSQL's COPY, SQLite's executemany): the same rows the log would project from the
renamed events, in a fraction of the time. `python -m bench.region --check` rebuilds the
projections from the log and compares.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Collection, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select, update

from homeflow.demo import system
from homeflow.demo.generator import generate
from homeflow.domain import clock
from homeflow.domain import events as ev
from homeflow.domain.organisations import Organisation, Site, Ward, visit_number_of
from homeflow.domain.payloads import payload_from_dict, payload_to_dict
from homeflow.services.live_demo import split_at
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.eventlog import EventLog
from homeflow.store.registry import save_registry

# Fields whose values name a person or a stay rather than a place: suffixed in every copy.
_IDENTITIES = (
    "patient_id",
    "referral_id",
    "action_id",
    "surviving_patient_id",
    "merged_patient_id",
    "request_id",
    "period_id",
)
# The same in stored rows: a projection's columns, and the log's own.
_ROW_IDENTITIES = frozenset((*_IDENTITIES, "spell_key", "merged_into"))
# Columns holding a payload as JSON: the log's (compact, as the codec writes it) and a bed
# request's latest record (as store/bed_requests.py writes it).
_JSON_COLUMNS = {
    ("events", "payload"): json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode,
    ("bed_requests", "request"): json.JSONEncoder(sort_keys=True).encode,
}


def place_codes(copy: int) -> dict[str, str]:
    suffix = f"K{copy}"
    places: dict[str, str] = {}
    for o in system.ORGANISATIONS:
        if o.type.value != "icb":
            places[o.code] = o.code + suffix
    for s in system.SITES:
        places[s.code] = s.code + suffix
    for w in system.WARDS:
        site, _, rest = w.code.partition("-")
        places[w.code] = f"{site}{suffix}-{rest}"
    return places


def _registry(copy: int) -> tuple[list[Organisation], list[Site], list[Ward]]:
    if copy == 0:
        return list(system.ORGANISATIONS), list(system.SITES), list(system.WARDS)
    codes = place_codes(copy)
    orgs = [
        dataclasses.replace(o, code=codes[o.code], name=f"{o.name} ({copy + 1})")
        for o in system.ORGANISATIONS
        if o.code in codes
    ]
    sites = [
        dataclasses.replace(
            s, code=codes[s.code], name=f"{s.name} ({copy + 1})", org_code=codes[s.org_code]
        )
        for s in system.SITES
    ]
    wards = [
        dataclasses.replace(w, code=codes[w.code], site_code=codes[w.site_code])
        for w in system.WARDS
    ]
    return orgs, sites, wards


def _renamed(
    fields: dict[str, Any], suffix: str, codes: dict[str, str], identities: Collection[str]
) -> dict[str, Any]:
    """A payload's or a row's fields for a copy: identities suffixed, places renamed."""
    return {
        name: (_identity(value, suffix, codes) if name in identities else codes.get(value, value))
        if isinstance(value, str)
        else value
        for name, value in fields.items()
    }


def _identity(value: str, suffix: str, codes: dict[str, str]) -> str:
    """An identity in a copy: suffixed, and issued by the copy's trust when it names its issuer
    (`RX1:V00001013` in the second copy is `RX1K1:V00001013K1`)."""
    issuer, colon, rest = value.partition(":")
    return f"{codes[issuer]}:{rest}{suffix}" if colon and issuer in codes else value + suffix


def clone(event: ev.Event, suffix: str, codes: dict[str, str]) -> ev.Event:
    """The event as it happens in a copy: its places renamed by `codes`, its identities (and
    key) given `suffix`."""
    data = _renamed(payload_to_dict(event.payload), suffix, codes, _IDENTITIES)
    return dataclasses.replace(
        event,
        key=f"{event.key}#{suffix}",
        spell_key=None if event.spell_key is None else _identity(event.spell_key, suffix, codes),
        payload=payload_from_dict(event.type, data),
    )


def build(
    target: Path | str,
    copies: int = 4,
    days: int = 365,
    end: date | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> Engine:
    """A database (a SQLite file at a path, or a URL) holding `copies` of a `days`-long demo
    system ending `end` (default today), its daily census held through `end`. An empty database
    is filled; one that holds the copies already is left as it is. `say` hears each step."""
    url = target if isinstance(target, str) else f"sqlite:///{target}"
    engine = db.connect(url)
    db.migrate(engine)
    with engine.connect() as conn:
        present = set(conn.execute(select(t.organisations.c.code)).scalars())
        there = [copy for copy in range(copies) if _holds(conn, copy)]
    if present and _registry(copies - 1)[0][-1].code not in present:
        raise SystemExit(f"{url} holds another system: build into an empty database")
    started = time.perf_counter()
    if not present:
        last = end or clock.today()
        with engine.begin() as conn:
            for copy in range(copies):
                save_registry(conn, *_registry(copy))
        # Only what has been received by now, as `homeflow demo` stores: the rest of today's
        # events would be a log ahead of the clock, and the bed pages fold the whole history of
        # a site until the clock passes its last bed event (store/bed_state.beds_at).
        demo, _ = split_at(generate(seed=11, days=days, end=last), clock.now())
        say(f"simulated {len(demo):,} events ({time.perf_counter() - started:.0f} s)")
        EventLog(engine).bulk_append(demo)
        with engine.begin() as conn:
            proj.extend_census(conn, last)
        say(f"appended and projected the first copy ({time.perf_counter() - started:.0f} s)")
        there = [0]
    if there != [0]:  # built, or the first copy's rows can no longer be told from the others'
        if len(there) < copies:
            raise SystemExit(f"{url} holds copies {there} of {copies}: build afresh")
        return engine
    copy_rows(engine, range(1, copies))
    say(f"wrote {copies - 1} more as renamed rows ({time.perf_counter() - started:.0f} s)")
    return engine


def _holds(conn: Connection, copy: int) -> bool:
    """Whether the copy's spells are stored (a copy is written whole or not at all)."""
    site = _registry(copy)[1][0].code
    found = conn.execute(select(t.spells.c.spell_key).where(t.spells.c.site_code == site).limit(1))
    return found.first() is not None


def copy_rows(engine: Engine, copies: Iterable[int]) -> None:
    """Each of `copies` written, in a transaction of its own, as the renamed rows of the first
    copy (the only one stored), the log and every projection; the projections' marks at the
    end of the log move to its new end."""
    wanted = list(copies)
    if not wanted:
        return
    tables = [table for table in (t.events, *t.PROJECTIONS) if table is not t.projection_marks]
    first = {}
    with engine.connect() as conn:
        for table in tables:
            columns = [c for c in table.columns if (table.name, c.name) != ("events", "seq")]
            first[table.name] = [row._asdict() for row in conn.execute(select(*columns))]
    for copy in wanted:
        suffix, codes = f"K{copy}", place_codes(copy)
        with engine.begin() as conn:
            through = conn.execute(select(func.max(t.events.c.seq))).scalar_one()
            for table in tables:
                for part in proj.chunks(first[table.name], 20_000):
                    _write(conn, table, [copied_row(table.name, r, suffix, codes) for r in part])
            end = conn.execute(select(func.max(t.events.c.seq))).scalar_one()
            marks = t.projection_marks
            conn.execute(update(marks).where(marks.c.seq == through).values(seq=end))


def _write(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows (each with the same columns) inserted: by COPY on PostgreSQL."""
    if conn.dialect.name != "postgresql" or not rows:
        db.insert_rows(conn, table, rows)
        return
    names = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])


def copied_row(
    table: str, row: dict[str, Any], suffix: str, codes: dict[str, str]
) -> dict[str, Any]:
    """A stored row of the first copy as the same row of another."""
    renamed = _renamed(row, suffix, codes, _ROW_IDENTITIES)
    if "key" in row:  # an event's key, in the log or the bed projections
        renamed["key"] = f"{row['key']}#{suffix}"
    if table == "spells":  # the copy's visit number, as its key now ends
        renamed["visit_number"] = visit_number_of(renamed["spell_key"])
    for (name, column), encode in _JSON_COLUMNS.items():
        if name == table:
            fields = _renamed(json.loads(row[column]), suffix, codes, _IDENTITIES)
            renamed[column] = encode(fields)
    return renamed
