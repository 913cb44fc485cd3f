"""Event log throughput and rebuild time for the 120-day demo, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/bench_event_log.py [--days 120] [--postgres URL]

Each figure is reported beside a reference measured in the same run on the same database:
a bare batched INSERT of the same event rows into a table of the same shape (the storage
limit). The ratio says how much of that limit appending with idempotency, sequence checks
and projection upkeep achieves, which holds steadier across noisy machines than raw rates.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import Column, Engine, Index, MetaData, Table, create_engine, insert, text

from bench.ratios import report
from homeflow.demo import system
from homeflow.demo.generator import generate
from homeflow.domain import events as ev
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.codec import event_to_row
from homeflow.store.eventlog import EventLog
from homeflow.store.rebuild import rebuild
from homeflow.store.registry import save_registry


def bare_insert_rate(engine: Engine, rows: list[dict[str, object]]) -> float:
    """Rows a second for a plain batched INSERT into a copy of the events table."""
    copy = Table(
        "bench_events",
        MetaData(),
        *(
            Column(c.name, c.type, primary_key=c.primary_key, unique=c.unique)
            for c in t.events.columns
        ),
        Index("ix_bench_events_spell_key", "spell_key"),
        Index("ix_bench_events_patient_id", "patient_id"),
    )
    copy.create(engine)
    started = time.perf_counter()
    with engine.begin() as conn:
        for part in proj.chunks(rows, 5000):
            conn.execute(insert(copy), list(part))
    elapsed = time.perf_counter() - started
    copy.drop(engine)
    return len(rows) / elapsed


def append_rate(engine: Engine, events: list[ev.Event]) -> float:
    started = time.perf_counter()
    EventLog(engine).bulk_append(events)
    return len(events) / (time.perf_counter() - started)


def run(name: str, engine: Engine, events: list[ev.Event], end: date) -> None:
    db.migrate(engine)
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
        proj.extend_census(conn, end)
    reference = bare_insert_rate(engine, [event_to_row(e) for e in events])
    appended = append_rate(engine, events)
    started = time.perf_counter()
    spells = rebuild(engine)
    rebuild_seconds = time.perf_counter() - started
    print(
        f"{name}: {len(events):,} events; bare insert {reference:,.0f}/s; "
        f"append with projections {appended:,.0f}/s (ratio {appended / reference:.3f}); "
        f"rebuild of {spells:,} spells {rebuild_seconds:.1f} s "
        f"({len(events) / rebuild_seconds:,.0f} events/s, ratio to bare insert "
        f"{len(events) / rebuild_seconds / reference:.3f})"
    )
    report(f"event log {name}: append with projections / bare insert", appended / reference)
    report(f"event log {name}: rebuild / bare insert", len(events) / rebuild_seconds / reference)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--end", default="2026-11-21")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL to measure too")
    args = parser.parse_args()
    end = date.fromisoformat(args.end)
    events = generate(7, args.days, end)
    with tempfile.TemporaryDirectory() as folder:
        engine = db.connect(f"sqlite:///{Path(folder) / 'bench.db'}")
        run("SQLite", engine, events, end)
        engine.dispose()
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = create_engine(args.postgres, connect_args={"options": f"-csearch_path={schema}"})
        try:
            run("PostgreSQL", engine, events, end)
        finally:
            engine.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
