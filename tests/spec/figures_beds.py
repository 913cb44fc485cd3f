"""Bed state on a site as a spec case's figures, under "<site>|<day>": the day's turnarounds
(beds made clean that day after waiting for cleaning) — "turnarounds", "mean cleaning hours",
"90th centile cleaning hours", "mean vacated to occupied hours" —, each closure reason's
closed bed-hours that day, "closed hours|<reason>" (not-given: a closure whose reason was not
sent), and each bed's state at the day's end, "<ward>|<bed>|status". Hours to two decimal
places. A name homeflow does not give fails."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from homeflow.domain import clock
from homeflow.services.bed_state import site_beds, site_measures


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def read(engine: Engine, key: str, wanted: dict[str, Any]) -> dict[str, Any]:
    site, _, day_text = key.partition("|")
    day = date.fromisoformat(day_text)
    found: dict[str, Any] = {}
    day_measures = site_measures(engine, site, day, day)
    found["turnarounds"] = len(day_measures.turnarounds)
    found["mean cleaning hours"] = _hours(day_measures.mean_cleaning_hours)
    found["90th centile cleaning hours"] = _hours(day_measures.ninetieth_centile_cleaning_hours)
    found["mean vacated to occupied hours"] = _hours(day_measures.mean_empty_hours)
    for reason, hours in day_measures.closed_hours.items():
        found[f"closed hours|{reason}"] = _hours(hours)
    for row in site_beds(engine, site, clock.midnight_after(day)):
        found[f"{row.ward}|{row.bed}|status"] = row.status.value
    unknown = set(wanted) - set(found)
    assert not unknown, f"the bed state has no figure {sorted(unknown)}"
    return {name: found[name] for name in wanted}
