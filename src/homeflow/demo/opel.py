"""The demo's providers' entered OPEL parameters, one value a parameter a day: each drifts day
to day about its provider's usual level (an AR(1) walk), busier on Mondays, within the ranges
NHS England's published figures show for 2024 to 2026 (docs/opel.md gives each range's
source): mean ambulance handovers of about half an hour, 4-hour performance in the 70s, a few
per cent of ED patients waiting over 12 hours, urgent community response in the 80s."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from homeflow.demo import system
from homeflow.domain.opel import OpelParameterEntered


@dataclass(frozen=True, slots=True)
class Usual:
    """A parameter's usual level at a provider, its day-to-day spread, how much a Monday adds,
    and the range it stays in."""

    mean: float
    spread: float
    monday: float
    low: float
    high: float
    whole: bool = False  # a count of patients


_ED = {
    "ambulance-handover": Usual(30, 6, 6, 10, 120),
    "ed-4-hour": Usual(74, 3, -3, 55, 92),
    "ed-attendance-variation": Usual(3, 4, 8, 0, 40),
    "majors-resus-occupancy": Usual(105, 10, 10, 70, 170),
    "time-to-treatment": Usual(120, 18, 15, 45, 300),
    "ed-12-hours": Usual(7, 2, 1.5, 0, 25),
}
USUAL: dict[str, dict[str, Usual]] = {
    system.NORTH.code: _ED,
    # The larger teaching trust runs hotter: longer handovers and waits.
    system.EAST.code: {
        **_ED,
        "ambulance-handover": Usual(40, 8, 8, 10, 150),
        "ed-4-hour": Usual(70, 3, -3, 50, 90),
        "ed-12-hours": Usual(10, 2.5, 2, 0, 30),
    },
    system.COMMUNITY.code: {
        "ucr-2-hour": Usual(84, 4, -3, 60, 98),
        "virtual-ward-occupancy": Usual(78, 6, 2, 40, 105),
    },
    system.MENTAL_HEALTH.code: {
        "out-of-area": Usual(3, 1, 0, 0, 12, whole=True),
        "mh-ed-12-hours": Usual(1, 0.8, 0.5, 0, 6, whole=True),
    },
}
CARRY = 0.7  # how much of yesterday's departure from the usual level today keeps


def entered_values(seed: int, first: date, last: date) -> list[OpelParameterEntered]:
    """Every provider's entered parameters for each day from `first` to `last`."""
    found = []
    for org, usual in USUAL.items():
        for code, u in usual.items():
            rng = random.Random(f"{seed}:{org}:{code}")
            away = 0.0
            day = first
            while day <= last:
                away = CARRY * away + rng.gauss(0, u.spread)
                value = u.mean + away + (u.monday if day.weekday() == 0 else 0)
                value = min(u.high, max(u.low, value))
                value = float(round(value)) if u.whole else round(value, 1)
                found.append(OpelParameterEntered(org, day, code, value))
                day += timedelta(days=1)
    return found
