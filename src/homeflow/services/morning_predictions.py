"""The morning's discharge predictions as the pages show them: made at 06:00 from what had
been recorded by then, so they stay the same all day. A ward's board predicts only its own
patients (a fraction of a second); the overview predicts every inpatient once and keeps the
answer until the model file, the day or the log changes (docs/predictions.md)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

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
from homeflow.store.access.caches import per_log_version

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
        key = (str(folder.resolve()), model.stat().st_mtime_ns, day, at)
        found = per_log_version(
            engine, "discharge predictions", key, lambda: predict(engine, day, at, folder)
        )
    except NoModel:
        return Morning(day, at, NO_MODEL)
    return Morning(day, at, READY, found, key)


def outlooks(engine: Engine, found: Morning, site: str | None) -> dict[str, Outlook]:
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

    return per_log_version(engine, f"expected discharges at {site}", found.version, by_place)
