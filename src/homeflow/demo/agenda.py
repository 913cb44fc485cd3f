"""The demo simulation's clock: hours since its origin, a time-ordered agenda of actions, and
one random generator, so that a seed and an end date always give the same system."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from homeflow.domain.clock import SYSTEM_ZONE


class Agenda:
    def __init__(self, seed: int, origin: date, horizon: float) -> None:
        self.rng = random.Random(seed)
        self.origin = origin
        self.horizon = horizon  # hours after the origin when the run stops
        self.agenda: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self.tick = 0
        self._now = 0.0

    def hours_at(self, day: date) -> float:
        return (day - self.origin).days * 24.0

    def instant(self, hours: float) -> datetime:
        local = datetime.combine(self.origin, time(0)) + timedelta(hours=hours)
        return local.replace(tzinfo=SYSTEM_ZONE).astimezone(UTC).replace(microsecond=0)

    def day_of(self, hours: float) -> date:
        return self.origin + timedelta(days=int(hours // 24))

    def at(self, day_start: float, low: float, high: float) -> float:
        return day_start + self.rng.uniform(low, high)

    def schedule(self, when: float, action: Callable[..., None], *args: Any) -> None:
        self.tick += 1
        heapq.heappush(self.agenda, (when, self.tick, action, args))

    def poisson(self, mean: float) -> int:
        # Knuth's method is exact and quick for the small hourly means used here.
        limit, k, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            k += 1
            product *= self.rng.random()
        return k

    def run_agenda(self) -> None:
        """Carry out the scheduled actions in time order, up to the horizon."""
        while self.agenda:
            when, _, action, args = heapq.heappop(self.agenda)
            if when >= self.horizon:
                break
            self._now = when
            action(*args)


def season(day: date) -> float:
    """Demand through the year: winter peaks in early January, about 8% above the mean."""
    return 1.0 + 0.08 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 5) / 365.25)
