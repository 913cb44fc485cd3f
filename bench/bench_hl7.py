"""HL7 ingestion speed: parsing (ours and python-hl7, like for like), the storage limit,
end-to-end file import, and MLLP with ACK-after-commit over four connections.

Run: .venv/bin/python bench/bench_hl7.py [--days 120] [--mllp-messages 4000] [--repeats 5]
    [--db postgresql+psycopg://postgres@127.0.0.1:5432/NAME] [--port PORT]

On SQLite (the default, scratch files) or PostgreSQL (`--db`: each database the run needs is a
schema of its own in that database, dropped at the end).

Parsing is compared like for like: each parser parses every message and reads every field
homeflow's ADT mapping reads (`FIELDS`, with their components), so our parser's laziness (it
splits a field only when it is read) is paid for. Each parse figure is timed after a warm-up
run, `--repeats` times, and given as the median and the best (minimum time) of the repeats.

All figures come from the same run on the same messages, so the ratios hold across noisy
machines: our parser against python-hl7, and end-to-end import against the storage limit:
the same event rows inserted through the database driver itself (sqlite3's `executemany` on
SQLite, psycopg's `COPY` on PostgreSQL) into the `events` table of a fresh database of the
same schema (so the same definition and indexes), in transactions of 10,000 as the import.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import hl7
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from homeflow.demo import system
from homeflow.demo.generator import generate
from homeflow.domain import clock
from homeflow.ingest.feeds import import_hl7, interpret_hl7
from homeflow.ingest.hl7.parser import parse
from homeflow.ingest.hl7.writer import adt_messages
from homeflow.ingest.mapping import FeedMapping
from homeflow.store import db
from homeflow.store.codec import event_to_row
from homeflow.store.db import sqlite_datetime_text
from homeflow.store.registry import save_registry

sys.path.insert(0, str(Path(__file__).parent.parent))
from tests.support import ListenerProcess, free_port

from bench.ratios import report
from homeflow.ingest.hl7.mllp import Sender


def rate(count: int, seconds: float) -> float:
    return count / seconds


def timed(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - started


def repeated(action: object, repeats: int) -> tuple[float, float]:
    """(median, minimum) seconds of `repeats` runs after one warm-up run."""
    timed(action)
    times = sorted(timed(action) for _ in range(repeats))
    return times[len(times) // 2], times[0]


# Every field homeflow's ADT mapping reads (ingest/hl7/adt.py, ack.py, feeds.py), as
# (segment, field, component): the work any parser must do for homeflow.
FIELDS = (
    ("MSH", 4, 1), ("MSH", 7, 1), ("MSH", 9, 1), ("MSH", 9, 2), ("MSH", 10, 1), ("MSH", 12, 1),
    ("EVN", 1, 1), ("EVN", 2, 1), ("EVN", 6, 1),
    ("PID", 3, 1), ("PID", 3, 4), ("PID", 5, 1), ("PID", 5, 2), ("PID", 7, 1), ("PID", 8, 1),
    ("PV1", 3, 1), ("PV1", 3, 3), ("PV1", 3, 4), ("PV1", 4, 1), ("PV1", 6, 1), ("PV1", 6, 4),
    ("PV1", 10, 1), ("PV1", 19, 1), ("PV1", 19, 4), ("PV1", 36, 1), ("PV1", 37, 1),
    ("PV2", 8, 1),
)  # fmt: skip


def ours_read(text: str) -> list[str]:
    message = parse(text)
    return [message.value(seg, field, component) for seg, field, component in FIELDS]


def reference_read(text: str) -> list[str]:
    message = hl7.parse(text)
    values = []
    for seg, field, component in FIELDS:
        try:
            values.append(message.extract_field(seg, 1, field, 1, component))
        except (KeyError, IndexError):  # python-hl7's answer for a segment that is not there
            values.append("")
    return values


class Databases:
    """Fresh databases of the latest schema holding the demo's registry: SQLite files in a
    scratch folder, or schemas of one PostgreSQL database (each dropped by `close`)."""

    def __init__(self, url: str | None, folder: Path) -> None:
        self.url, self.folder = url, folder
        self.schemas: list[str] = []
        self.engine = "SQLite" if url is None else "PostgreSQL"

    def fresh(self, name: str, registry: bool = True) -> str:
        """A new database of the latest schema; with `registry`, holding the demo's."""
        if self.url is None:
            url = f"sqlite:///{self.folder / name}.db"
        else:
            schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
            self._admin(f'CREATE SCHEMA "{schema}"')
            self.schemas.append(schema)
            url = (
                make_url(self.url)
                .update_query_dict({"options": f"-csearch_path={schema}"})
                .render_as_string(hide_password=False)
            )
        engine = db.connect(url)
        db.migrate(engine)
        if registry:
            with engine.begin() as conn:
                save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
        engine.dispose()
        return url

    def close(self) -> None:
        for schema in self.schemas:
            self._admin(f'DROP SCHEMA "{schema}" CASCADE')

    def _admin(self, statement: str) -> None:
        assert self.url is not None
        admin = create_engine(self.url)
        with admin.begin() as conn:
            conn.execute(text(statement))
        admin.dispose()


COLUMNS = (
    "key", "type", "source", "spell_key", "patient_id", "occurred_at", "received_at", "payload",
    "raw", "recorded_by",
)  # fmt: skip


def driver_insert_rate(url: str, rows: Sequence[dict[str, Any]], batch: int = 10_000) -> float:
    """Rows a second inserted into the `events` table of the database at `url` by the driver
    itself, in transactions of `batch`: sqlite3's executemany (the times as the text SQLite
    stores, made before the clock starts), psycopg's COPY. The storage limit."""
    engine = db.connect(url)
    pooled = engine.raw_connection()  # the connection settings every writer of homeflow has
    driver: Any = pooled.driver_connection
    names = ", ".join(COLUMNS)
    values = [tuple(row[c] for c in COLUMNS) for row in rows]
    parts = [values[i : i + batch] for i in range(0, len(values), batch)]
    if engine.dialect.name == "sqlite":
        at = COLUMNS.index("occurred_at"), COLUMNS.index("received_at")
        parts = [
            [
                tuple(sqlite_datetime_text(v) if i in at else v for i, v in enumerate(value))
                for value in part
            ]
            for part in parts
        ]
        sql = f"INSERT INTO events ({names}) VALUES ({', '.join('?' * len(COLUMNS))})"
        started = time.perf_counter()
        for part in parts:
            driver.execute("BEGIN IMMEDIATE")
            driver.executemany(sql, part)
            driver.execute("COMMIT")
    else:
        started = time.perf_counter()
        for part in parts:
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY events ({names}) FROM STDIN") as copy,
            ):
                for value in part:
                    copy.write_row(value)
            driver.commit()
    elapsed = time.perf_counter() - started
    pooled.close()
    engine.dispose()
    return len(rows) / elapsed


def measure_storage(
    databases: Databases,
    messages: list[str],
    mapping: FeedMapping,
    now: datetime,
    args: argparse.Namespace,
) -> None:
    """The storage limit, file import against it, and MLLP, on the engine of `databases`."""
    n = len(messages)
    name = databases.engine
    rows = [event_to_row(i.event) for m in messages if (i := interpret_hl7(m, mapping, now)).event]
    storage = driver_insert_rate(databases.fresh("insert"), rows)
    how = "sqlite3 executemany" if name == "SQLite" else "psycopg COPY"
    print(f"{name}, {how} of the same event rows: {storage:,.0f}/s (the storage limit)")

    engine = db.connect(databases.fresh("import"))

    def import_all() -> None:
        for _ in import_hl7(engine, messages, FeedMapping()):  # as `homeflow ingest hl7`
            pass

    end_to_end = rate(n, timed(import_all))
    engine.dispose()
    print(
        f"end-to-end file import (parse, map, append, project, store message) into {name}, "
        f"in transactions of 10,000: "
        f"{end_to_end:,.0f}/s (ratio to the storage limit {end_to_end / storage:.2f})"
    )
    report(f"hl7 file import / driver batched insert, {name}", end_to_end / storage)

    url = databases.fresh("mllp")
    port = args.port or free_port()
    listener = ListenerProcess(url, port)
    share = [messages[k : args.mllp_messages : 4] for k in range(4)]

    def send(batch: list[str]) -> None:
        sender = Sender(port)
        for m in batch:
            sender.send(m.encode())
        sender.close()

    threads = [threading.Thread(target=send, args=(b,)) for b in share]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    mllp = rate(sum(len(b) for b in share), time.perf_counter() - started)
    listener.stop()
    print(f"MLLP, ACK after commit, 4 connections each waiting for its ACK: {mllp:,.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--mllp-messages", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--db", default=None, help="a PostgreSQL URL (else SQLite)")
    parser.add_argument("--port", type=int, default=None, help="the listener's (else any free)")
    args = parser.parse_args()
    events = sorted(generate(7, args.days, date(2026, 11, 21)), key=lambda e: e.fold_order)
    messages = [m for _, m in adt_messages(events)]
    n = len(messages)
    print(f"{n:,} ADT messages from the {args.days}-day demo")

    assert [ours_read(m) for m in messages[:200]] == [reference_read(m) for m in messages[:200]]
    ours = repeated(lambda: [ours_read(m) for m in messages], args.repeats)
    reference = repeated(lambda: [reference_read(m) for m in messages], args.repeats)
    for name, (median, best) in (
        ("parse and read homeflow's fields, homeflow", ours),
        ("parse and read homeflow's fields, python-hl7", reference),
    ):
        print(f"{name}: median {rate(n, median):,.0f}/s, best {rate(n, best):,.0f}/s")
    print(
        f"like for like, homeflow / python-hl7: median {reference[0] / ours[0]:.1f}x, "
        f"best {reference[1] / ours[1]:.1f}x ({args.repeats} repeats after a warm-up)"
    )
    report("hl7 parse: homeflow / python-hl7 (median)", reference[0] / ours[0])
    mapping = FeedMapping().with_registry(
        {s.code: s.org_code for s in system.SITES}, {w.code: w.site_code for w in system.WARDS}
    )
    now = clock.now()
    median, best = repeated(
        lambda: [interpret_hl7(m, mapping, now) for m in messages], args.repeats
    )
    print(f"parse and map to events: median {rate(n, median):,.0f}/s, best {rate(n, best):,.0f}/s")

    with tempfile.TemporaryDirectory() as folder_name:
        databases = Databases(args.db, Path(folder_name))
        try:
            measure_storage(databases, messages, mapping, now, args)
        finally:
            databases.close()
    print(
        f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; {subprocess.getoutput('date -I')}"
    )


if __name__ == "__main__":
    main()
