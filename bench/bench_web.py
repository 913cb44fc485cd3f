"""Page response times with 20 signed-in users on loopback, for a 5,000-spell system.

Run: .venv/bin/python bench/bench_web.py [--db var/bench-large.db] [--users 20]
     [--seconds 90] [--think 3] [--pages "beds of a site,coordination view"] [--live 5]

Builds (once; kept at --db) four copies of the demo system with a year of history, about
6,000 open spells, starts `homeflow serve` on it, signs in one user per simulated person,
and has each person cycle through the system overview, a whiteboard of their own trust, the
daily call, and a site of their trust's bed state and coordination view, pausing `--think` seconds (±50%) between pages as a person reading does. `--live N` sets a
bed's status every N seconds meanwhile, as a live feed changes the log.
The reference, measured in the same run under the same load, is the server's answer for a
small static file: the ratio says how much of each page's time is the page's own work.

`--cpu N` instead opens each page N times in this process, one after another, and reports
the CPU time each took (`time.process_time`, the test client's small share included): on a
machine other jobs are using, wall-clock times measure the queue, CPU time the page's work.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import statistics
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import ServerProcess

from bench.large_system import build
from bench.ratios import report
from homeflow.domain import clock
from homeflow.domain import events as ev
from homeflow.domain.bed_state import BedStatus, BedStatusSet, ClosureReason
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.eventlog import EventLog
from homeflow.store.users import add_user
from homeflow.web.app import create_app

PASSWORD = "benchmark password 1"


REFERENCE = "/static/homeflow.css"
PAGES: list[tuple[str, str | None]] = [
    ("overview", "/overview"),
    ("whiteboard", None),
    ("daily call", "/daily-call"),
    ("beds of a site", "beds"),
    ("coordination view", "coordination"),
    ("patient search", "search"),
    ("sitrep", "/returns/sitrep"),
    ("static file (reference)", REFERENCE),
]
# The pages people cycle through unless --pages names others.
USUAL = ("overview", "whiteboard", "daily call", "beds of a site", "coordination view")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="var/bench-large.db")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--copies", type=int, default=4, help="copies of the demo system")
    parser.add_argument("--days", type=int, default=365, help="days of history")
    parser.add_argument("--port", type=int, default=None, help="the server's (default: a free one)")
    parser.add_argument("--cpu", type=int, default=0, help="CPU time of N requests a page")
    parser.add_argument(
        "--pages",
        type=lambda text: [name.strip() for name in text.split(",")],
        default=list(USUAL),
        help="the pages people cycle through, by name, comma-separated (default: "
        f"{', '.join(USUAL)}; also: patient search, sitrep; the reference is always read)",
    )
    parser.add_argument(
        "--live",
        type=float,
        default=0,
        help="a bed's status set every N seconds while people read (with --cpu: before every "
        "reading of a page), as a live feed changes the log",
    )
    args = parser.parse_args()

    path = Path(args.db)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        build(path, args.copies, args.days)
        print(f"built {path} in {time.perf_counter() - started:.0f} s")
    url = f"sqlite:///{path}"
    engine = db.connect(url)
    # A database built before the latest migration is brought up to it (a projection it adds
    # is filled from the log then, once).
    if db.schema_revision(engine) != db.latest_revision():
        started = time.perf_counter()
        db.migrate(engine)
        print(f"migrated {path} in {time.perf_counter() - started:.0f} s")
    system = read_system(engine)
    print(f"system: {system.open_spells} open spells, {system.events} events")
    people = sign_up(engine, args.users, system.acute_orgs)
    if args.cpu:
        cpu_times(engine, people[0], system, args.cpu, args.live > 0)
        return
    background = []
    if args.live:
        every = args.live
        background.append(lambda stop_at: feed(engine, system.wards, stop_at, every))
    measured = under_load(url, people, system, args.pages, args, args.port, background)
    print_times(
        measured,
        f"{args.users} users, think {args.think:.1f} s, {args.seconds:.0f} s, "
        f"{args.workers} server workers (python {sys.version.split()[0]}, SQLite)",
        "web",
    )


@dataclass
class System:
    """What the people of a benchmark read: the acute trusts, their wards, and some family
    names to search for."""

    open_spells: int
    events: int
    acute_orgs: list[str]
    wards: dict[str, list[str]]
    names: list[str]


def read_system(engine: Engine) -> System:
    with engine.connect() as conn:
        open_spells = conn.execute(
            select(func.count()).select_from(t.spells).where(t.spells.c.status == "admitted")
        ).scalar_one()
        events = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
        acute_orgs = list(
            conn.execute(
                select(t.organisations.c.code)
                .where(t.organisations.c.type == "acute")
                .order_by(t.organisations.c.code)
            ).scalars()
        )
        wards = {
            org: list(
                conn.execute(
                    select(t.wards.c.code)
                    .join(t.sites, t.sites.c.code == t.wards.c.site_code)
                    .where(t.sites.c.org_code == org)
                ).scalars()
            )
            for org in acute_orgs
        }
        names = list(
            conn.execute(
                select(t.patients.c.family_name).group_by(t.patients.c.family_name).limit(20)
            ).scalars()
        )
    return System(open_spells, events, acute_orgs, wards, names)


def sign_up(engine: Engine, users: int, orgs: list[str]) -> list[tuple[str, str]]:
    """A discharge team member of each trust in turn: email and trust."""
    people = []
    for n in range(users):
        org = orgs[n % len(orgs)]
        email = f"bench{n}@{org.lower()}.test"
        add_user(engine, email, org, "discharge-team", PASSWORD)
        people.append((email, org))
    return people


@dataclass
class Measured:
    timings: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)


def under_load(
    url: str,
    people: list[tuple[str, str]],
    system: System,
    names: Sequence[str],
    args: argparse.Namespace,
    port: int | None,
    background: Sequence[Callable[[float], None]] = (),
) -> Measured:
    """`homeflow serve --workers N` on the database at `url`, warmed, then each person cycling
    through the pages `names` (and the reference) for `args.seconds`, pausing `args.think`
    seconds (±50%) between pages, while each of `background` runs until the same moment."""
    server = ServerProcess(url, "--workers", str(args.workers), port=port)
    try:
        _warm(server.base, people[0], system)
        measured = Measured()
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds
        pages = [(name, page) for name, page in PAGES if name in names or page == REFERENCE]

        def person(email: str, org: str, seed: int) -> None:
            # http.client, not httpx: the load generator shares this 2-core machine with the
            # server, and a light client keeps its own CPU out of the measured times.
            rng = random.Random(seed)
            connection, cookie = _connect_as(server.port, email)
            # People do not all open the overview in the same millisecond.
            time.sleep(rng.uniform(0, 2 * args.think))
            # Every person opens each page at least once, however short the run, so that every
            # page (and the reference) has a time to report.
            rounds = 0
            while rounds == 0 or time.monotonic() < stop_at:
                rounds += 1
                for name, page in pages:
                    target = _target(page, rng.choice(system.wards[org]), rng.choice(system.names))
                    started = time.perf_counter()
                    try:
                        connection.request("GET", target, headers={"Cookie": cookie})
                        answer = connection.getresponse()
                        answer.read()
                        failed = answer.status != 200
                    except (OSError, http.client.HTTPException):
                        # A dropped keep-alive connection is an error to count, not the end of
                        # this person's session: they open a new one and go on.
                        failed = True
                        connection.close()
                        connection, cookie = _reconnect_as(server.port, email)
                    elapsed = time.perf_counter() - started
                    with lock:
                        if failed:
                            measured.errors[name] = measured.errors.get(name, 0) + 1
                        else:
                            measured.timings.setdefault(name, []).append(elapsed)
                    time.sleep(args.think * rng.uniform(0.5, 1.5))

        threads = [
            threading.Thread(target=person, args=(email, org, n))
            for n, (email, org) in enumerate(people)
        ]
        threads += [threading.Thread(target=task, args=(stop_at,)) for task in background]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    return measured


def _sign_in_form(page: str, email: str) -> dict[str, str]:
    """The sign-in form for `email`, with the pre-session token the sign-in page gave."""
    found = re.search(r'name="pre_session" value="([^"]+)"', page)
    return {"email": email, "password": PASSWORD, "pre_session": found.group(1) if found else ""}


def _connect_as(port: int, email: str) -> tuple[http.client.HTTPConnection, str]:
    """A keep-alive connection signed in as `email`, and its session cookie."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/")
    page = connection.getresponse()
    pre_session = page.getheader("set-cookie", "").split(";")[0]
    form = urllib.parse.urlencode(_sign_in_form(page.read().decode(), email))
    connection.request(
        "POST",
        "/sign-in",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": pre_session},
    )
    answer = connection.getresponse()
    answer.read()
    return connection, answer.getheader("set-cookie", "").split(";")[0]


def _reconnect_as(port: int, email: str) -> tuple[http.client.HTTPConnection, str]:
    """A new signed-in connection after one was dropped, tried again for up to a minute (a
    server too busy to answer a sign-in drops it too)."""
    for _ in range(60):
        try:
            return _connect_as(port, email)
        except (OSError, http.client.HTTPException):
            time.sleep(1)
    return _connect_as(port, email)


def _warm(base: str, person: tuple[str, str], system: System) -> None:
    """Warm the server (templates compiled, first queries planned) before measuring."""
    warm = httpx.Client(base_url=base, timeout=600)
    warm.post("/sign-in", data=_sign_in_form(warm.get("/").text, person[0]))
    for _ in range(4):  # each worker process, more than once
        for page in ("/overview", f"/wards/{system.wards[person[1]][0]}", "/daily-call"):
            warm.get(page)
        # The bed pages' reading is kept per site (and per worker) until the log changes:
        # every site the people will open, as the overview is warmed.
        for ward in {
            ward.split("-")[0]: ward for org in system.acute_orgs for ward in system.wards[org]
        }.values():
            for page in ("beds", "coordination"):
                warm.get(_target(page, ward, ""))


def print_times(measured: Measured, header: str, bench: str) -> None:
    """Each page's p50 and p95, and its p95's ratio to the reference's; the run fails on any
    error."""
    timings, errors = measured.timings, measured.errors
    reference = percentile(timings["static file (reference)"], 0.95)
    failed = sum(errors.values())
    print(header)
    print(f"{'page':28} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p95 / reference':>16}")
    for name, values in timings.items():
        p95 = percentile(values, 0.95)
        print(
            f"{name:28} {len(values):8d} {statistics.median(values) * 1000:8.1f} "
            f"{p95 * 1000:8.1f} {p95 / reference:16.1f}"
        )
    for name, values in timings.items():
        if name != "static file (reference)":
            report(
                f"{bench} p95 {name} / static file", percentile(values, 0.95) / reference, "lower"
            )
    print(f"errors: {failed}" + (f" ({errors})" if failed else ""))
    if failed:
        raise SystemExit(1)


def _target(page: str | None, ward: str, name: str) -> str:
    """The address of a page of the list: a whiteboard is of `ward`; the bed pages of its site;
    a patient search is for the family name `name`."""
    site = ward.split("-")[0]
    if page is None:
        return f"/wards/{ward}"
    if page in ("beds", "coordination"):
        return f"/{page}?site={site}"
    if page == "search":
        return f"/search?q={urllib.parse.quote(name)}"
    return page


class LiveChange:
    """A bed's status set now, closed and reopened in turn: a change to the log as a live
    feed's A20 makes one."""

    def __init__(self, engine: Engine) -> None:
        self.log = EventLog(engine)
        self.made = 0

    def __call__(self, ward: str) -> None:
        self.made += 1
        status = BedStatus.CLOSED if self.made % 2 else BedStatus.FREE
        reason = ClosureReason.MAINTENANCE if status is BedStatus.CLOSED else None
        at = clock.now()
        key = f"bench-live-{ward}-{at.timestamp()}-{self.made}"
        setting = BedStatusSet(ward, "01", status, reason)
        result = self.log.append([ev.Event(key, "bench", at, at, None, setting)])
        if result.rejected:
            raise SystemExit(f"the live change was refused: {result.rejected}")


def feed(engine: Engine, wards: dict[str, list[str]], stop_at: float, every: float) -> None:
    """A bed's status set every `every` seconds on a ward of each trust in turn, until the run
    ends."""
    change = LiveChange(engine)
    every_ward = [ward for found in wards.values() for ward in found]
    while time.monotonic() < stop_at:
        time.sleep(every)
        change(every_ward[change.made % len(every_ward)])


def cpu_times(
    engine: Engine, person: tuple[str, str], system: System, repeats: int, live: bool = False
) -> None:
    """Each page opened `repeats` times in this process by one signed-in person, with the CPU
    time of each (the first, which fills the caches, reported apart); with `live`, each reading
    follows a change to the log (a bed of the page's site set), whose time is not counted."""
    wards = system.wards[person[1]]
    change = LiveChange(engine) if live else None
    client = TestClient(create_app(engine))
    client.post("/sign-in", data=_sign_in_form(client.get("/").text, person[0]))
    pages = {
        name: _target(page, wards[0], system.names[0]) for name, page in PAGES if page != REFERENCE
    }
    print(
        ("each after a change to the log; " if live else "")
        + f"CPU time, {repeats} requests a page, one after another (python {sys.version.split()[0]}, {engine.dialect.name})"
    )
    print(f"{'page':28} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8}")
    for name, target in pages.items():
        times = []
        for _ in range(repeats + 1):
            if change is not None:
                change(wards[0])
            started = time.process_time()
            answer = client.get(target)
            times.append(time.process_time() - started)
            if answer.status_code != 200:
                raise SystemExit(f"{target}: {answer.status_code}")
        first, rest = times[0], times[1:]
        print(
            f"{name:28} {first * 1000:9.1f} {statistics.median(rest) * 1000:8.1f} "
            f"{percentile(rest, 0.95) * 1000:8.1f}"
        )


if __name__ == "__main__":
    main()
