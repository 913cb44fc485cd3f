"""The demo's board rounds record senior reviews every day, weekends included (issue 29: the
board read "No" senior review for every patient of a demo ending on a Saturday)."""

from __future__ import annotations

from datetime import date, timedelta

from homeflow.demo.agenda import Agenda
from homeflow.demo.board_rounds import board_rounds
from homeflow.demo.people import Patient
from homeflow.domain import events as ev


def _reviewed_on(end: date, kind: str) -> dict[date, float]:
    """The share of 400 patients, in hospital all fortnight, reviewed on each day."""
    origin = end - timedelta(days=30)
    sim = Agenda(7, origin, (end - origin).days * 24.0 + 24.0)
    patients = [Patient(f"RX1:V{n}", f"P{n}", "RX101", kind, 80) for n in range(400)]
    board_rounds(sim, patients, end)
    shares = {}
    for d in range(14):
        day = end - timedelta(days=d)
        start = sim.hours_at(day)
        reviewed = sum(
            any(
                isinstance(payload, ev.SeniorReviewRecorded) and start <= at < start + 24
                for at, payload in p.events
            )
            for p in patients
        )
        shares[day] = reviewed / len(patients)
    return shares


def test_acute_patients_have_senior_reviews_every_day_fewer_at_weekends() -> None:
    saturday = date(2026, 12, 5)
    shares = _reviewed_on(saturday, "acute")
    weekdays = [s for day, s in shares.items() if day.weekday() < 5]
    weekends = [s for day, s in shares.items() if day.weekday() >= 5]
    assert shares[saturday] > 0.4  # the demo's last day, a Saturday, has its reviews
    assert all(0.75 < s < 0.95 for s in weekdays), weekdays
    assert all(0.4 < s < 0.7 for s in weekends), weekends


def test_community_wards_review_a_few_patients_a_day() -> None:
    shares = _reviewed_on(date(2026, 12, 7), "community")
    assert all(s < 0.4 for s in shares.values())
    assert shares[date(2026, 12, 7)] > 0.15
