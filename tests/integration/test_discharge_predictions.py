"""Discharge predictions through the store, on a small hand-built database: an event received
after the morning's instant is not known at it, each stay's outcome is read from the whole
record, and a place's expected count is the sum of its patients' probabilities."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine

from homeflow.domain import events as ev
from homeflow.services import discharge_predictions as dp
from homeflow.store.eventlog import EventLog

DAY = date(2026, 1, 6)
SIX = datetime(2026, 1, 6, 6, tzinfo=UTC)  # 06:00 in London in winter


def _event(key: str, spell: str, at: datetime, payload: ev.Payload, received: datetime) -> ev.Event:
    return ev.Event(key, "test", at, received, spell, payload)


def _stays(engine: Engine) -> None:
    admitted = SIX - timedelta(days=3)
    made = []
    for n in (1, 2):
        made.append(
            _event(f"a{n}", f"S{n}", admitted, ev.Admitted(f"P{n}", "SITE", "W1"), admitted)
        )
    # S1's EDD of today was set at 05:00 but reached homeflow at 07:00: not known at 06:00.
    edd = ev.ExpectedDischargeDateSet(DAY, "mobile")
    made.append(_event("e1", "S1", SIX - timedelta(hours=1), edd, SIX + timedelta(hours=1)))
    # S2's EDD was known the day before; S2 went home at 15:00.
    made.append(_event("e2", "S2", SIX - timedelta(days=1), edd, SIX - timedelta(days=1)))
    gone = SIX + timedelta(hours=9)
    made.append(_event("d2", "S2", gone, ev.Discharged("usual residence"), gone))
    assert not EventLog(engine).append(made).rejected


def test_what_is_known_at_the_instant_and_what_became_of_each(engine: Engine) -> None:
    _stays(engine)
    found = dp.read_examples(engine, DAY - timedelta(days=1), DAY, time(6))
    today = {
        p.spell_key: (p.expected_discharge_date, found.left["today"][i])
        for i, (d, p) in enumerate(zip(found.days, found.inpatients, strict=True))
        if d == DAY
    }
    assert today == {"S1": (None, False), "S2": (DAY, True)}


def test_a_place_counts_the_sum_of_its_patients() -> None:
    rows = [
        dp.Prediction("S1", None, "W1", "SITE", "ORG", None, 0.5, 0.6),
        dp.Prediction("S2", None, "W1", "SITE", "ORG", None, 0.2, 0.9),
        dp.Prediction("S3", None, "W2", "SITE", "ORG", None, 1.0, 1.0),
    ]
    wards = {c.place: c for c in dp.by_place(rows, "ward")}
    assert wards["W1"].patients == 2 and wards["W1"].today.expected == pytest.approx(0.7)
    assert (wards["W1"].today.low, wards["W1"].today.high) == (0, 1)
    (site,) = dp.by_place(rows, "site")
    assert site.today.expected == pytest.approx(1.7) and site.tomorrow.expected == pytest.approx(
        2.5
    )
