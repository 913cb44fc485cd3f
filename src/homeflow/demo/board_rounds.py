"""The board rounds of the demo's last weeks: senior reviews and red and green days."""

from __future__ import annotations

from datetime import date, timedelta

from homeflow.demo.agenda import Agenda
from homeflow.demo.people import RED_REASONS, Patient
from homeflow.domain import events as ev

# The share of a ward's patients a senior clinician reviews on a day, weekday and weekend.
# NHS England's seven-day services standard 8 asks for a consultant review every day for
# patients on acute wards; its surveys found weekend reviews well short of weekday ones. On
# community and mental-health wards a senior review is a few times a week, not daily.
SENIOR_REVIEW_SHARE = {
    "acute": (0.85, 0.55),
    "community": (0.3, 0.05),
    "mental-health": (0.3, 0.05),
}


def board_rounds(sim: Agenda, patients: list[Patient], end: date) -> None:
    """Senior reviews and red and green days, recorded at the board rounds of the demo's
    last fourteen days (its last day included, weekend or not)."""
    first = sim.hours_at(end - timedelta(days=13))
    present = [p for p in patients if p.discharged is None or p.discharged >= first]
    for d in range(14):
        day = end - timedelta(days=d)
        start = sim.hours_at(day)
        weekday = day.weekday() < 5
        for p in present:
            if p.admitted > start + 16.0 or (
                p.discharged is not None and p.discharged < start + 16.0
            ):
                continue
            share = SENIOR_REVIEW_SHARE.get(p.kind, (0.0, 0.0))[0 if weekday else 1]
            if p.admitted < start + 8.5 and sim.rng.random() < share:
                who = "Consultant" if weekday or sim.rng.random() < 0.6 else "Registrar"
                p.events.append((sim.at(start, 8.5, 12.0), ev.SeniorReviewRecorded(who)))
            waiting = p.ready is not None and p.ready < start
            if waiting or sim.rng.random() < 0.12:
                reason = (
                    "Waiting for care outside hospital" if waiting else sim.rng.choice(RED_REASONS)
                )
                rating = ev.RedGreenDayRecorded(day, ev.DayColour.RED, reason)
            else:
                rating = ev.RedGreenDayRecorded(day, ev.DayColour.GREEN)
            p.events.append((start + 16.0 + sim.rng.random(), rating))
