"""HL7 ingestion speed: bare parsing (ours and python-hl7), the storage limit, end-to-end
file import, and MLLP with ACK-after-commit over four connections.

Run: .venv/bin/python bench/bench_hl7.py [--days 120] [--mllp-messages 4000]

All figures come from the same run on the same messages, so the ratios hold across noisy
machines: our parser against python-hl7, and end-to-end import against a bare batched
INSERT of the same event rows into SQLite (what storage alone allows).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import hl7

from homeflow.demo import system
from homeflow.demo.generator import generate
from homeflow.ingest.feeds import import_hl7, interpret_hl7
from homeflow.ingest.hl7.parser import parse
from homeflow.ingest.hl7.writer import adt_messages
from homeflow.ingest.mapping import FeedMapping
from homeflow.store import db
from homeflow.store.codec import event_to_row
from homeflow.store.registry import save_registry

sys.path.insert(0, str(Path(__file__).parent.parent))
from tests.support import ListenerProcess, free_port

from bench.bench_event_log import bare_insert_rate
from homeflow.ingest.hl7.mllp import Sender


def rate(count: int, seconds: float) -> float:
    return count / seconds


def timed(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - started


def fresh(folder: Path, name: str) -> str:
    url = f"sqlite:///{folder / name}"
    engine = db.connect(url)
    db.migrate(engine)
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--mllp-messages", type=int, default=4000)
    args = parser.parse_args()
    events = sorted(generate(7, args.days, date(2026, 11, 21)), key=lambda e: e.fold_order)
    messages = [m for _, m in adt_messages(events)]
    n = len(messages)
    print(f"{n:,} ADT messages from the {args.days}-day demo")

    ours = rate(n, timed(lambda: [parse(m) for m in messages]))
    reference = rate(n, timed(lambda: [hl7.parse(m) for m in messages]))
    print(
        f"bare parse: homeflow {ours:,.0f}/s, python-hl7 {reference:,.0f}/s (ratio {ours / reference:.1f}x)"
    )
    mapping = FeedMapping().with_registry(
        {s.code: s.org_code for s in system.SITES}, {w.code: w.site_code for w in system.WARDS}
    )
    now = datetime.now(UTC)
    interpreted = rate(n, timed(lambda: [interpret_hl7(m, mapping, now) for m in messages]))
    print(f"parse and map to events: {interpreted:,.0f}/s")

    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        engine = db.connect(fresh(folder, "insert.db"))
        rows = [
            event_to_row(i.event) for m in messages if (i := interpret_hl7(m, mapping, now)).event
        ]
        storage = bare_insert_rate(engine, rows)
        engine.dispose()
        print(f"SQLite batched insert of the same event rows: {storage:,.0f}/s (the storage limit)")

        engine = db.connect(fresh(folder, "import.db"))

        def import_all() -> None:
            for _ in import_hl7(engine, messages, FeedMapping()):  # as `homeflow ingest hl7`
                pass

        end_to_end = rate(n, timed(import_all))
        engine.dispose()
        print(
            f"end-to-end file import (parse, map, append, project, store message) into SQLite, "
            f"in transactions of 10,000: "
            f"{end_to_end:,.0f}/s (ratio to the storage limit {end_to_end / storage:.2f})"
        )

        url = fresh(folder, "mllp.db")
        port = free_port()
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
    print(
        f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; {subprocess.getoutput('date -I')}"
    )


if __name__ == "__main__":
    main()
