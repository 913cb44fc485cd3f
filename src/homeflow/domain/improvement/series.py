"""Manual series: a measure homeflow does not compute (an audit's results, a survey's scores),
kept so that a project can follow it and a PDSA be studied on it like any KPI."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from homeflow.domain.clock import parse_date
from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import Event, Payload
from homeflow.domain.improvement.forms import check_id
from homeflow.domain.improvement.records import require

# How a PDSA or a project's measure names a manual series: kpi "manual", level "series", and
# the series id as the place.
MANUAL_KPI = "manual"
SERIES_LEVEL = "series"
BETTER = ("higher", "lower")


@dataclass(frozen=True, slots=True)
class ManualSeriesRecorded(Payload):
    """A manual series and its points, each `YYYY-MM-DD=value`; the same id again replaces
    them (every version is kept)."""

    TYPE: ClassVar[str] = "manual-series-recorded"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    system: str
    series_id: str
    title: str
    better: str
    points: tuple[str, ...]
    unit: str = ""

    def __post_init__(self) -> None:
        require("system", self.system)
        check_id("series_id", self.series_id)
        require("title", self.title)
        if self.better not in BETTER:
            raise InvalidInput("better", f"{self.better!r} is not higher or lower")
        days = [day for day, _ in read_points(self.points)]
        if len(set(days)) != len(days):
            raise InvalidInput("points", "a date is there twice")

    def series(self) -> list[tuple[date, float]]:
        return sorted(read_points(self.points))


def read_points(points: Iterable[str]) -> list[tuple[date, float]]:
    found = []
    for point in points:
        day_text, _, value_text = point.partition("=")
        day = parse_date("points", day_text.strip())
        try:
            value = float(value_text)
        except ValueError:
            raise InvalidInput("points", f"{point!r} is not YYYY-MM-DD=value") from None
        if not math.isfinite(value):
            raise InvalidInput("points", f"{point!r} is not YYYY-MM-DD=value")
        found.append((day, value))
    return found


def point_text(day: date, value: float) -> str:
    return f"{day.isoformat()}={value:g}"


def fold_series(events: Iterable[Event]) -> dict[str, ManualSeriesRecorded]:
    """Each series' latest version, by id."""
    found: dict[str, ManualSeriesRecorded] = {}
    for event in sorted(events, key=lambda e: e.fold_order):
        if isinstance(event.payload, ManualSeriesRecorded):
            found[event.payload.series_id] = event.payload
    return found
