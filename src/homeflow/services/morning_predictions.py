"""The morning's discharge predictions as the pages show them: made at 06:00 from what had
been recorded by then, so they stay the same all day. A ward's board predicts only its own
patients (a few tens of milliseconds); the overview predicts every inpatient once and keeps the
answer until the model file or the day changes (docs/predictions.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Engine

from homeflow.domain.clock import local_date
from homeflow.reports import prediction_checks as checks
from homeflow.services.discharge_predictions import (
    DEFAULT_AT,
    MODEL_FILE,
    NoModel,
    Prediction,
    instant_of,
    predict,
)

T = TypeVar("T")
READY = "ready"
NO_MODEL = "no model"
LATER = "later"  # before the time of day: this morning's predictions are not made yet


@dataclass(frozen=True, slots=True)
class Outlook:
    """A place's expected discharges today and by tomorrow's end with their 10-90% ranges."""

    today: checks.CountRange
    tomorrow: checks.CountRange


@dataclass(frozen=True, slots=True)
class Morning:
    day: date
    at: time
    state: str  # READY, NO_MODEL or LATER
    predictions: list[Prediction] = field(default_factory=list)
    version: tuple[object, ...] = ()  # what the whole-trust prediction was kept by

    def by_spell(self) -> dict[str, Prediction]:
        return {p.spell_key: p for p in self.predictions}

    def outlook(self, among: list[Prediction] | None = None) -> Outlook:
        found = self.predictions if among is None else among
        return Outlook(
            checks.count_range([p.today for p in found]),
            checks.count_range([p.tomorrow for p in found]),
        )


def morning(engine: Engine, now: datetime, folder: Path, ward_code: str | None = None) -> Morning:
    """This morning's predictions: of a ward's patients, or (cached) of every inpatient."""
    day, at = local_date(now), DEFAULT_AT
    model = folder / MODEL_FILE
    if not model.exists():
        return Morning(day, at, NO_MODEL)
    if now < instant_of(day, at):
        return Morning(day, at, LATER)
    try:
        if ward_code is not None:
            return Morning(day, at, READY, predict(engine, day, at, folder, ward_code))
        key = (
            engine.url.render_as_string(),
            str(folder.resolve()),
            model.stat().st_mtime_ns,
            day,
            at,
        )
        found = _kept("predictions", key, lambda: predict(engine, day, at, folder))
    except NoModel:
        return Morning(day, at, NO_MODEL)
    return Morning(day, at, READY, found, key)


def outlooks(found: Morning, site: str | None) -> dict[str, Outlook]:
    """Each site's outlook, or each ward's of the site: kept with the predictions they sum, as
    a site's range convolves hundreds of patients (about a tenth of a second a page)."""

    def by_place() -> dict[str, Outlook]:
        groups: dict[str, list[Prediction]] = defaultdict(list)
        for p in found.predictions:
            if site is None:
                groups[p.site_code].append(p)
            elif p.site_code == site:
                groups[p.ward_code].append(p)
        return {code: found.outlook(among) for code, among in sorted(groups.items())}

    return _kept(f"expected discharges at {site}", found.version, by_place)


# The morning's predictions read only events received by 06:00 (discharge_features.known_at),
# so events added later cannot change them: they are kept for the day and the model file, not
# per version of the log (which changes with every event, and would make most loads of the
# overview predict the whole system again). One answer a view, so memory stays flat.
_morning_cache: dict[str, tuple[Hashable, Any]] = {}


def _kept(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    hit = _morning_cache.get(name)
    if hit is not None and hit[0] == key:
        return cast(T, hit[1])
    value = compute()
    _morning_cache[name] = (key, value)
    return value
