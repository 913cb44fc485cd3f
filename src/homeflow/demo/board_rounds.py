"""The board rounds of the demo's last weeks: senior reviews and red and green days."""

from __future__ import annotations

from datetime import date, timedelta

from homeflow.demo.agenda import Agenda
from homeflow.demo.people import RED_REASONS, Patient
from homeflow.domain import events as ev


def board_rounds(sim: Agenda, patients: list[Patient], end: date) -> None:
    """Senior reviews (the last three weekdays) and red and green days (the last fourteen),
    recorded at the board rounds of the demo's last weeks."""
    first = sim.hours_at(end - timedelta(days=13))
    present = [p for p in patients if p.discharged is None or p.discharged >= first]
    for d in range(14):
        day = end - timedelta(days=d)
        start = sim.hours_at(day)
        for p in present:
            if p.admitted > start + 16.0 or (
                p.discharged is not None and p.discharged < start + 16.0
            ):
                continue
            if p.kind == "acute" and d < 3 and day.weekday() < 5 and sim.rng.random() < 0.8:
                p.events.append((sim.at(start, 8.5, 12.0), ev.SeniorReviewRecorded("Consultant")))
            waiting = p.ready is not None and p.ready < start
            if waiting or sim.rng.random() < 0.12:
                reason = (
                    "Waiting for care outside hospital" if waiting else sim.rng.choice(RED_REASONS)
                )
                rating = ev.RedGreenDayRecorded(day, ev.DayColour.RED, reason)
            else:
                rating = ev.RedGreenDayRecorded(day, ev.DayColour.GREEN)
            p.events.append((start + 16.0 + sim.rng.random(), rating))
