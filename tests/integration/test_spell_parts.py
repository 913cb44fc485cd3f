"""Views kept a part a spell across changes to the log (store/spell_parts): the daily call's
delayed patients and the spells a day's return folds. The demo's last events are taken off the
log and appended again in batches of random size, the log cut back and rebuilt now and then;
after each change the kept view equals the same view read afresh, on both engines. The fresh
readings and the rebuilds are the reference, measured by their own tests: here they run
outside coverage's tracing, which would double their time."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, delete, select

from homeflow.domain.escalation import EscalationRules
from homeflow.domain.events import Event, PatientDetailsUpdated
from homeflow.reports.sitrep import sitrep
from homeflow.services.returns import sitrep_rows
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.access.daily_call import _delayed_in, _delayed_patients
from homeflow.store.codec import event_from_row
from homeflow.store.eventlog import append_in, lock_writers
from homeflow.store.queries import return_data
from homeflow.store.rebuild import rebuild
from homeflow.store.registry import systems_of_places
from homeflow.store.spell_parts import spells_in_hospital_on
from tests.conftest import ENGINES, demo_database
from tests.support import SHORT_DEMO, unmeasured

RULES = EscalationRules()
TAKEN = 600  # events taken off the end of the demo's log


@pytest.fixture(scope="module", params=ENGINES)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with demo_database(request.param, tmp_path_factory.mktemp("parts"), *SHORT_DEMO) as url:
        engine = db.connect(url)
        yield engine
        engine.dispose()


def take_off(engine: Engine, count: int) -> list[Event]:
    """The last `count` events of patients' stays (by when they happened), taken off the log,
    the projections rebuilt without them."""
    e = t.events
    with engine.begin() as conn:
        query = select(e).where(e.c.spell_key.is_not(None)).order_by(e.c.occurred_at.desc())
        rows = conn.execute(query.limit(count)).all()
        conn.execute(delete(e).where(e.c.key.in_([r.key for r in rows])))
    with unmeasured(True):
        rebuild(engine)
    return [event_from_row(r) for r in reversed(rows)]


def renamed(engine: Engine, rng: random.Random, today: date) -> Event:
    """A change to the name of a delayed patient (an event of the patient, not of a stay)."""
    spell_key = rng.choice([d.found.spell_key for d in _delayed_patients(engine, today, RULES)])
    with engine.connect() as conn:
        of_spell = select(t.spells.c.patient_id).where(t.spells.c.spell_key == spell_key)
        patient_id = str(conn.scalar(of_spell))
    at = datetime.combine(today, time(12), UTC)
    n = rng.randrange(10**9)
    details = PatientDetailsUpdated(patient_id, family_name=f"Renamed{n}")
    return Event(f"renamed-{n}", "test", at, at, None, details)


def append(engine: Engine, events: list[Event]) -> None:
    with engine.begin() as conn:
        lock_writers(conn)
        append_in(conn, events)


def assert_kept_equals_fresh(engine: Engine, today: date) -> None:
    kept = _delayed_patients(engine, today, RULES)
    with db.reading(engine) as conn, unmeasured(True):
        fresh = _delayed_in(conn, today, RULES, systems_of_places(conn, "org"), None)
    assert {d.found.spell_key: d for d in kept} == fresh
    order = [(d.family, d.next_step_org, -d.days_delayed, d.found.spell_key) for d in kept]
    assert order == sorted(order)
    for day in (today, today - timedelta(days=2)):
        with db.reading(engine) as conn:
            kept_states = spells_in_hospital_on(conn, day)
            with unmeasured(True):
                fresh_states = proj.spells_in_hospital_on(conn, day)
        fresh_states.sort(key=lambda s: s.spell_key)
        assert kept_states == fresh_states, day
        with unmeasured(True):
            data = return_data(engine, ("acute",), day, day)
            fresh_rows = sitrep(day, fresh_states, data.org_of_site, data.organisations)
        assert sitrep_rows(engine, day) == fresh_rows, day


@pytest.mark.parametrize("seed", [1])
def test_kept_views_equal_a_fresh_reading_after_each_change(demo: Engine, seed: int) -> None:
    rng = random.Random(seed)
    held = take_off(demo, TAKEN)
    today = max(e.occurred_at for e in held).date()
    assert_kept_equals_fresh(demo, today)  # read whole once, then kept
    seen = {repr(_delayed_patients(demo, today, RULES))}
    while held:
        step = rng.random()
        if step < 0.1:
            held = take_off(demo, rng.randint(1, 30)) + held  # the log cut back under the view
        elif step < 0.3:
            append(demo, [renamed(demo, rng, today)])
        else:
            count = rng.randint(1, 150)
            append(demo, held[:count])
            held = held[count:]
        assert_kept_equals_fresh(demo, today)
        seen.add(repr(_delayed_patients(demo, today, RULES)))
    assert len(seen) > 1  # the appends changed the daily call
