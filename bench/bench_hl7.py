"""HL7 ingestion speed: parsing (ours and python-hl7, like for like), the storage limit,
end-to-end file import, and MLLP with ACK-after-commit over four connections.

Run: .venv/bin/python bench/bench_hl7.py [--days 120] [--mllp-messages 4000] [--repeats 5]

Parsing is compared like for like: each parser parses every message and reads every field
homeflow's ADT mapping reads (`FIELDS`, with their components), so our parser's laziness (it
splits a field only when it is read) is paid for. Each parse figure is timed after a warm-up
run, `--repeats` times, and given as the median and the best (minimum time) of the repeats.

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
    parser.add_argument("--repeats", type=int, default=5)
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
    now = datetime.now(UTC)
    median, best = repeated(
        lambda: [interpret_hl7(m, mapping, now) for m in messages], args.repeats
    )
    print(f"parse and map to events: median {rate(n, median):,.0f}/s, best {rate(n, best):,.0f}/s")

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
        report("hl7 file import / SQLite batched insert", end_to_end / storage)

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
