"""A region on PostgreSQL: sixteen acute trusts with two years of history, fifty people reading
its pages while four HL7 feeds flow.

Run: createdb -h 127.0.0.1 -U postgres region
     .venv/bin/python -m bench.region --db postgresql+psycopg://postgres@127.0.0.1:5432/region
         [--scale 1] [--days 730] [--users 50] [--seconds 90] [--think 3] [--workers 3]
         [--feeds 4] [--feed-every 1] [--port PORT] [--pages NAMES] [--check] [--scratch]
         [--cpu N [--live]]

Builds (once; kept in --db, which must be empty the first time) `--scale` of the region: a
fraction of sixteen acute trusts, or a number of them (each copy of the demo system,
bench/large_system.py, holds two, with its community and mental health trusts). Then starts
`homeflow serve --workers N` and `homeflow listen` on it, signs in one user per person, and has
each person cycle through the system overview, a whiteboard, the daily call, a patient search,
the coordination view of a site and the sitrep page of their trust, pausing `--think` seconds
(±50%) between pages (`--pages` names fewer), while `--feeds` connections each send a trust's
ADT messages (a fresh two days of the demo's, renamed to that trust, with identities of the
run's own) every `--feed-every` seconds, each waiting for its ACK as a patient administration
system does. The reference, measured in the same run under the same load, is the server's
answer for a small static file.

`--check` first rebuilds every projection from the log (`homeflow rebuild`) and compares it,
row for row, with the projections as built: the copies written table by table must be what the
log projects. It holds the whole log in memory, so it is for small scales. `--scratch` builds in
a schema of its own in --db (PostgreSQL) or a scratch file (SQLite), dropped at the end: the
tiny run of `make bench-tiny`. `--cpu N` instead opens each page N times in this process, one
after another, and reports the CPU time each took (as `bench/bench_web.py --cpu`; with `--live`,
each reading follows a change to the log).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import ListenerProcess, free_port

from bench import bench_web
from bench.bench_hl7 import Databases
from bench.large_system import build, clone, place_codes
from homeflow.demo.generator import generate
from homeflow.domain import clock
from homeflow.ingest.hl7.mllp import Sender
from homeflow.ingest.hl7.writer import adt_messages
from homeflow.store import schema as t
from homeflow.store.rebuild import rebuild

TRUSTS = 16  # the region at full size
PAGES = (
    "overview",
    "whiteboard",
    "daily call",
    "patient search",
    "coordination view",
    "sitrep",
)


def trusts_of(scale: float) -> int:
    """`--scale` as a number of acute trusts: a fraction of the region, or a count."""
    return max(1, round(scale * TRUSTS) if scale <= 1 else round(scale))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgresql+psycopg://postgres@127.0.0.1:5432/region")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction, or trust count")
    parser.add_argument("--days", type=int, default=730, help="days of history")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--think", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--feeds", type=int, default=4)
    parser.add_argument("--feed-every", type=float, default=1.0, help="seconds between messages")
    parser.add_argument("--port", type=int, default=None, help="the server's; the listener's +1")
    parser.add_argument(
        "--pages",
        type=lambda text: [name.strip() for name in text.split(",")],
        default=list(PAGES),
        help=f"the pages people cycle through, comma-separated (default: {', '.join(PAGES)})",
    )
    parser.add_argument("--cpu", type=int, default=0, help="CPU time of N requests a page")
    parser.add_argument(
        "--live", action="store_true", help="with --cpu: a change to the log before each reading"
    )
    parser.add_argument("--check", action="store_true", help="compare with a rebuild first")
    parser.add_argument("--scratch", action="store_true", help="build in a scratch schema/file")
    args = parser.parse_args()
    with _database(args.db, args.scratch) as url:
        engine = _built(url, trusts_of(args.scale), args.days)
        if args.check:
            check(engine)
        if args.cpu:
            system = bench_web.read_system(engine)
            person = bench_web.sign_up(engine, 1, system.acute_orgs)[0]
            bench_web.cpu_times(engine, person, system, args.cpu, args.live)
        else:
            run(engine, url, args)


@contextmanager
def _database(url: str, scratch: bool) -> Iterator[str]:
    if not scratch:
        yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        databases = Databases(None if url.startswith("sqlite") else url, Path(folder))
        try:
            yield databases.fresh("region", registry=False)
        finally:
            databases.close()


def _built(url: str, trusts: int, days: int) -> Engine:
    copies = math.ceil(trusts / 2)
    started = time.perf_counter()
    engine = build(url, copies, days, say=print)
    took = time.perf_counter() - started
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
        open_spells = conn.execute(
            select(func.count()).select_from(t.spells).where(t.spells.c.status == "admitted")
        ).scalar_one()
        first = conn.execute(select(func.min(t.events.c.occurred_at))).scalar_one()
    print(
        f"region: {2 * copies} acute trusts ({copies} copies of the demo), {open_spells:,} open "
        f"spells, {events:,} events from {first:%Y-%m-%d} ({took:.0f} s to build or open; "
        f"{engine.dialect.name})"
    )
    return engine


def check(engine: Engine) -> None:
    """Every projection as built against the same rebuilt from the log: the run stops on any
    difference."""
    started = time.perf_counter()
    built = _projections(engine)
    rebuild(engine)
    rebuilt = _projections(engine)
    differ = [name for name in built if built[name] != rebuilt[name]]
    for name in differ:
        only_built, only_rebuilt = built[name] - rebuilt[name], rebuilt[name] - built[name]
        print(f"{name}: {len(only_built)} rows only as built, {len(only_rebuilt)} only rebuilt")
        print(f"  as built, e.g. {sorted(only_built, key=repr)[:2]}")
        print(f"  rebuilt, e.g. {sorted(only_rebuilt, key=repr)[:2]}")
    if differ:
        raise SystemExit(f"the projections as built are not the log's: {', '.join(differ)}")
    rows = sum(len(found) for found in built.values())
    took = time.perf_counter() - started
    print(f"check: {rows:,} projection rows equal to a rebuild from the log ({took:.0f} s)")


def _projections(engine: Engine) -> dict[str, set[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: {tuple(row) for row in conn.execute(select(table))}
            for table in t.PROJECTIONS
        }


def run(engine: Engine, url: str, args: argparse.Namespace) -> None:
    system = bench_web.read_system(engine)
    people = bench_web.sign_up(engine, args.users, system.acute_orgs)
    port = args.port or free_port()
    listener_port = port + 1 if args.port else free_port()
    listener = ListenerProcess(url, listener_port)
    feeds = Feeds(system.acute_orgs[: args.feeds], listener_port, args.feed_every)
    try:
        measured = bench_web.under_load(
            url, people, system, args.pages, args, port, background=[feeds.send]
        )
    finally:
        feeds.stop.set()
        listener.stop()
    with engine.connect() as conn:
        outcomes = dict(
            conn.execute(
                select(t.feed_messages.c.outcome, func.count()).group_by(t.feed_messages.c.outcome)
            ).all()
        )
    bench_web.print_times(
        measured,
        f"{args.users} users, think {args.think:.1f} s, {args.seconds:.0f} s, {args.workers} "
        f"server workers, {len(feeds.sent)} HL7 feeds sent {sum(feeds.sent.values())} messages, "
        f"every feed message stored so far: {outcomes} ({engine.dialect.name})",
        "region",
    )


class Feeds:
    """ADT messages for each of `orgs`, one connection a trust, a message every `every`
    seconds on each; each waits for its ACK."""

    def __init__(self, orgs: list[str], port: int, every: float) -> None:
        self.orgs, self.port, self.every = orgs, port, every
        self.stop = threading.Event()
        self.sent: dict[str, int] = {}
        end = clock.now()
        fresh = [e for e in generate(seed=29, days=2, end=clock.today()) if e.occurred_at <= end]
        # Identities of this run's own, so that a second run on the same region changes the
        # log too (the same messages again would be duplicates).
        run = f"F{int(time.time())}"
        self.messages = {org: _messages(fresh, org, run) for org in orgs}

    def send(self, stop_at: float) -> None:
        threads = [threading.Thread(target=self._feed, args=(org, stop_at)) for org in self.orgs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _feed(self, org: str, stop_at: float) -> None:
        sender = Sender(self.port)
        self.sent[org] = 0
        for message in self.messages[org]:
            if time.monotonic() >= stop_at or self.stop.is_set():
                break
            sender.send(message.encode())
            self.sent[org] += 1
            time.sleep(self.every)
        sender.close()


def _messages(fresh: list[Any], org: str, suffix: str) -> list[str]:
    """The HL7 messages of `org`'s spells among the fresh events, renamed to that trust (a copy
    of the demo's RX1 or RX2), their identities given `suffix`."""
    base, _, copy = org.partition("K")
    codes = place_codes(int(copy)) if copy else {}
    own = [e for e in fresh if e.spell_key is not None and e.spell_key.startswith(base + ":")]
    return [message for _, message in adt_messages(clone(e, suffix, codes) for e in own)]


if __name__ == "__main__":
    main()
