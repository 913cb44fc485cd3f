"""The demo as a user meets it, built by the real command ending today: a ward never holds more
patients than beds, nothing lies in the future, readmissions happen at real rates."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from homeflow.demo import system
from homeflow.demo.generator import generate
from homeflow.domain.clock import SYSTEM_ZONE, local_date, start_of_day
from homeflow.domain.events import Event
from homeflow.services.live_demo import Played, play_live, split_at
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.people import census_spells
from homeflow.store.codec import from_db_time, to_db_time
from homeflow.store.eventlog import EventLog
from homeflow.store.queries import census
from homeflow.store.registry import save_registry
from tests.conftest import demo_database, url_of
from tests.support import ListenerProcess, free_port, homeflow

DAYS = 40


@dataclass
class Demo:
    url: str
    finished: datetime  # when `homeflow demo` had returned
    last_day: date


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """On SQLite, as `make run` builds it: what the demo holds is made before it is stored, the
    same on either engine, and its build on PostgreSQL runs in every PostgreSQL template
    (tests/demo_templates.py); this one ends today, so it would be built again every run."""
    folder = tmp_path_factory.mktemp("today")
    # Measured: the one demo build coverage counts (every other is built unmeasured).
    with demo_database("sqlite", folder, "--days", str(DAYS), "--seed", "11", measured=True) as url:
        yield Demo(url, datetime.now(UTC), local_date(datetime.now(UTC)))


def test_no_ward_ever_holds_more_patients_than_beds(demo: Demo) -> None:
    engine = db.connect(demo.url)
    first = demo.last_day - timedelta(days=DAYS - 1)
    overfull = []
    for n in range(DAYS):
        day = first + timedelta(days=n)
        rows = census(engine, day, today=demo.last_day)
        assert sum(r.occupied for r in rows) > 1000, day
        overfull += [(day, r.ward_code, r.occupied, r.beds) for r in rows if r.occupied > r.beds]
    assert overfull == []
    # Everyone in hospital now is in a bed of their own.
    s = t.spells
    with db.reading(engine) as conn:
        in_hospital = conn.execute(
            select(s.c.ward_code, s.c.bed).where(s.c.status == "admitted")
        ).all()
    engine.dispose()
    beds = [(ward, bed) for ward, bed in in_hospital]
    assert len(beds) > 1000
    assert all(bed is not None for _, bed in beds)
    assert len(set(beds)) == len(beds), "two patients in one bed"


def test_nothing_in_the_demo_lies_in_the_future(demo: Demo) -> None:
    engine = db.connect(demo.url)
    e = t.events
    with db.reading(engine) as conn:
        occurred, received = conn.execute(
            select(func.max(e.c.occurred_at), func.max(e.c.received_at))
        ).one()
        today = conn.execute(
            select(func.count()).where(e.c.occurred_at >= to_db_time(start_of_day(demo.last_day)))
        ).scalar_one()
    engine.dispose()
    assert from_db_time(occurred) <= demo.finished
    assert from_db_time(received) <= demo.finished
    assert today > 0  # the demo reaches the present moment of today


def test_a_readmission_rate_like_real_trusts(demo: Demo, tmp_path: Path) -> None:
    """About one in seven discharged alive come back as an emergency within 30 days."""
    first = demo.last_day - timedelta(days=DAYS - 1)
    out = tmp_path / "readmissions.csv"
    done = homeflow(
        demo.url,
        "kpi",
        "readmissions-30-day",
        "--from",
        first.isoformat(),
        "--to",
        (first + timedelta(days=13)).isoformat(),
        "--level",
        "org",
        "--period",
        "range",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    rates = {r["place"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    for trust in ("RX1", "RX2"):
        assert int(rates[trust]["denominator"]) > 300
        assert 8.0 <= float(rates[trust]["value"]) <= 20.0, rates[trust]


@pytest.fixture(scope="module")
def two_days() -> tuple[date, list[Event]]:
    """Two days of the demo ending yesterday, simulated once for the live tests (a few seconds
    each time, more under coverage); each test stores them in a database of its own."""
    yesterday = local_date(datetime.now(UTC)) - timedelta(days=1)
    return yesterday, generate(5, 2, yesterday)


@pytest.mark.parametrize("over_mllp", [False, True])
def test_live_adds_each_event_when_its_moment_comes(
    engine: Engine, over_mllp: bool, two_days: tuple[date, list[Event]]
) -> None:
    """`demo --live` on a clock of the test's own: from yesterday 08:00 to 10:00 every event
    received by then is stored (ADT through a real listener when sent over MLLP), none later,
    and none before its moment."""
    yesterday, simulated = two_days
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    start = datetime.combine(yesterday, time(8), SYSTEM_ZONE).astimezone(UTC)
    stop = start + timedelta(hours=2)
    history, later = split_at(simulated, start)
    EventLog(engine).bulk_append(history)
    clock = [start]
    stored_ahead: list[str] = []

    def sleep(seconds: float) -> None:
        clock[0] += timedelta(seconds=seconds)

    def check(_played: Played) -> None:
        with engine.connect() as conn:
            newest = conn.execute(select(func.max(t.events.c.occurred_at))).scalar_one()
        if from_db_time(newest) > clock[0]:
            stored_ahead.append(str(newest))

    due = [e.key for e in later if e.received_at <= stop]
    listener = ListenerProcess(url_of(engine), free_port()) if over_mllp else None
    try:
        played = play_live(
            engine,
            history,
            later,
            stop,
            ("127.0.0.1", listener.port) if listener else None,
            clock=lambda: clock[0],
            sleep=sleep,
            on_batch=check,
        )
    finally:
        if listener is not None:
            listener.stop()
    assert stored_ahead == []
    assert played.refused == 0
    assert (played.sent > 10) is over_mllp
    assert played.appended + played.sent == len(due) > 100
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
    # Over MLLP the listener keys each event by its message: count them instead.
    assert stored == len(history) + len(due)


def test_the_live_demo_runs_from_the_command_line_and_stops_by_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    assert homeflow(url, "init-db").returncode == 0
    done = homeflow(url, "demo", "--days", "2", "--live", "--live-for", "0.05", timeout=300)
    assert done.returncode == 0, done.stderr
    assert "live: stopped" in done.stderr
    engine = db.connect(url)
    with db.reading(engine) as conn:
        newest = conn.execute(select(func.max(t.events.c.occurred_at))).scalar_one()
    engine.dispose()
    assert from_db_time(newest) <= datetime.now(UTC)
    refused = homeflow(url, "demo", "--days", "2", "--live", "--end", "2026-01-05")
    assert refused.returncode != 0 and "--live" in refused.stderr
    wrong = homeflow(url, "demo", "--days", "2", "--live", "--mllp", "nowhere")
    assert wrong.returncode != 0 and "--mllp" in wrong.stderr


def test_rare_turns_happen_at_real_rates_and_a_cancelled_stay_counts_nowhere(demo: Demo) -> None:
    """A few admissions in 1,000 are cancelled (HL7 A11) and a few patients in 1,000 meet the
    criteria to reside again after being found ready (demo/people.py gives the sources), so
    the recounts in test_sitrep.py meet both; a cancelled stay is in no day's census."""
    engine = db.connect(demo.url)
    e = t.events
    with db.reading(engine) as conn:
        rows = conn.execute(
            select(e.c.spell_key, e.c.type, e.c.payload)
            .where(e.c.type.in_(("admitted", "admission-cancelled", "criteria-to-reside-assessed")))
            .order_by(e.c.occurred_at, e.c.seq)
        ).all()
    admitted, cancelled, ready, again = set(), set(), set(), set()
    for spell, kind, payload in rows:
        if kind == "admitted":
            admitted.add(spell)
        elif kind == "admission-cancelled":
            cancelled.add(spell)
        elif not json.loads(payload)["meets"]:
            ready.add(spell)
        elif spell in ready:
            again.add(spell)
    assert 0.5 <= 1000 * len(cancelled) / len(admitted) <= 5, (len(cancelled), len(admitted))
    assert 2 <= 1000 * len(again) / len(admitted) <= 15, (len(again), len(admitted))
    first = demo.last_day - timedelta(days=DAYS - 1)
    wards = [w.code for w in system.WARDS]
    counted = {
        spell.spell_key
        for n in range(0, DAYS, 3)
        for measure in ("occupied", "admissions")
        for spell in census_spells(engine, first + timedelta(days=n), measure, wards)
    }
    engine.dispose()
    assert cancelled and not cancelled & counted
