"""Discharge predictions: for every inpatient at a time of day, the probability of leaving by
midnight and by the next midnight, and per ward, site and trust the expected count with its
10-90% range.

The model is scikit-learn's HistGradientBoostingClassifier (missing values and categories
handled natively), its probabilities calibrated by isotonic regression
(CalibratedClassifierCV), trained on the record's own history: nothing leaves the machine.
`train` holds out the last days of that history, scores the model on them (AUROC, the ward
totals against the EDD reference, the reliability table), then fits again on every day and
saves both model and evaluation under the models folder.
"""

from __future__ import annotations

import json
import pickle
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Engine

from homeflow.domain import clock
from homeflow.domain.clock import SYSTEM_ZONE
from homeflow.domain.discharge_features import (
    CATEGORICAL,
    NUMERIC,
    Inpatient,
    inpatient_at,
    outcome,
)
from homeflow.reports import prediction_checks as checks
from homeflow.store.prediction_data import PredictionData, prediction_data
from homeflow.store.queries import first_discharge_day

if TYPE_CHECKING:
    import pandas as pd

DAY = timedelta(days=1)
DEFAULT_AT = time(6, 0)
HELD_OUT_DAYS = 28
TRAINING_DAYS = 120  # the most recent days a model learns from: discharge practice moves on
TARGETS = ("today", "tomorrow")  # by the midnight ending the day; by the midnight after
MODEL_FILE = "discharge-predictions.pkl"
ABOUT_FILE = "discharge-predictions.json"


def instant_of(day: date, at: time) -> datetime:
    """The local time of day on the day, as an instant in UTC."""
    return datetime.combine(day, at, SYSTEM_ZONE).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Examples:
    """Patients in a bed at the time of day on each day, with what then became of them."""

    days: list[date]
    inpatients: list[Inpatient]
    left: dict[str, list[bool]]  # by target

    def frame(self, categories: dict[str, list[str]]) -> pd.DataFrame:
        import pandas as pd  # with the model, not with every page that shows a prediction

        data: dict[str, Any] = {
            name: [p.numeric[i] for p in self.inpatients] for i, name in enumerate(NUMERIC)
        }
        for i, name in enumerate(CATEGORICAL):
            data[name] = pd.Categorical(
                [p.categories[i] for p in self.inpatients], categories=categories[name]
            )
        return pd.DataFrame(data)


def examples(data: PredictionData, days: Sequence[date], at: time) -> Examples:
    kept_days: list[date] = []
    inpatients: list[Inpatient] = []
    left: dict[str, list[bool]] = {name: [] for name in TARGETS}
    for day in days:
        instant = instant_of(day, at)
        for stay in data.stays:
            if stay.admitted_at > instant or (stay.discharged_at and stay.discharged_at <= instant):
                continue
            birth = data.birth_dates.get(stay.patient_id or "")
            found = inpatient_at(stay.spell_key, stay.events, instant, data.wards, birth)
            if found is None:
                continue
            kept_days.append(day)
            inpatients.append(found)
            for name, value in zip(TARGETS, outcome(stay.discharged_at, instant), strict=True):
                left[name].append(value)
    return Examples(kept_days, inpatients, left)


def read_examples(engine: Engine, first: date, last: date, at: time) -> Examples:
    """The examples of the days from `first` to `last` on which the record had begun: before
    its first discharge a feed had not started, and patients there only seem never to leave."""
    begun = first_discharge_day(engine)
    first = max(first, begun or last + DAY)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    data = prediction_data(engine, instant_of(first, at), instant_of(last, at))
    return examples(data, days, at)


@dataclass
class Model:
    """The two calibrated classifiers and the categories they were trained with."""

    classifiers: dict[str, Any]
    categories: dict[str, list[str]]
    columns: list[str]  # those that varied in training (a constant one teaches nothing)
    at: time

    def probabilities(self, found: Examples) -> dict[str, list[float]]:
        if not found.inpatients:
            return {name: [] for name in TARGETS}
        frame = found.frame(self.categories)[self.columns]
        return {
            name: [float(p) for p in clf.predict_proba(frame)[:, 1]]
            for name, clf in self.classifiers.items()
        }


def fit(found: Examples, at: time, seed: int = 0) -> Model:
    """A booster learns from the earlier three quarters of the days; its probabilities are
    calibrated by isotonic regression on the last quarter, which it did not see (a split in
    time, as the model will be used: on days after those it learnt from)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.frozen import FrozenEstimator

    categories = {
        name: sorted({p.categories[i] for p in found.inpatients})
        for i, name in enumerate(CATEGORICAL)
    }
    frame = found.frame(categories)
    days = sorted(set(found.days))
    learn = np.array(found.days) < days[-max(1, len(days) // 4)] if len(days) > 1 else None
    if learn is None or not learn.any():
        raise ValueError("training needs at least two days of history")
    columns = [name for name in frame.columns if frame[name][learn].nunique(dropna=True) > 1]
    frame = frame[columns]
    classifiers = {}
    for name in TARGETS:
        outcomes = np.array(found.left[name])
        for part in (outcomes[learn], outcomes[~learn]):
            if part.all() or not part.any():
                raise ValueError("training needs patients who left and patients who stayed")
        booster = HistGradientBoostingClassifier(
            categorical_features="from_dtype", max_iter=150, learning_rate=0.1,
            l2_regularization=1.0, random_state=seed,
        ).fit(frame[learn], outcomes[learn])  # fmt: skip
        calibrated = CalibratedClassifierCV(FrozenEstimator(booster), method="isotonic")
        classifiers[name] = calibrated.fit(frame[~learn], outcomes[~learn])
    return Model(classifiers, categories, columns, at)


@dataclass(frozen=True, slots=True)
class Evaluation:
    first: date
    last: date
    patients: int
    auroc: dict[str, float]
    ward_days: int
    ward_mae: float
    edd_reference_mae: float
    reliability: dict[str, list[dict[str, float]]]
    calibration_error: dict[str, float]

    @property
    def mae_ratio(self) -> float:
        return self.ward_mae / self.edd_reference_mae if self.edd_reference_mae else float("nan")


def evaluate(model: Model, found: Examples) -> Evaluation:
    """AUROC a target; the day's ward totals against what happened, beside the reference of
    counting the patients whose EDD is that day; the reliability table a target and its
    calibration error."""
    chances = model.probabilities(found)
    tables = {name: checks.reliability(chances[name], found.left[name]) for name in TARGETS}
    predicted: dict[tuple[date, str], float] = defaultdict(float)
    actual: dict[tuple[date, str], float] = defaultdict(float)
    reference: dict[tuple[date, str], float] = defaultdict(float)
    for i, (day, patient) in enumerate(zip(found.days, found.inpatients, strict=True)):
        key = (day, patient.ward_code)
        predicted[key] += chances["today"][i]
        actual[key] += found.left["today"][i]
        reference[key] += patient.expected_discharge_date == day
    wards = sorted(actual)
    return Evaluation(
        min(found.days),
        max(found.days),
        len(found.inpatients),
        {name: checks.auroc(chances[name], found.left[name]) for name in TARGETS},
        len(wards),
        checks.mean_absolute_error([predicted[k] for k in wards], [actual[k] for k in wards]),
        checks.mean_absolute_error([reference[k] for k in wards], [actual[k] for k in wards]),
        {name: [asdict(b) for b in bins] for name, bins in tables.items()},
        {name: checks.calibration_error(bins) for name, bins in tables.items()},
    )


def split(found: Examples, first_held_out: date) -> tuple[Examples, Examples]:
    """The days before the held-out days, and the held-out days (a split in time)."""
    parts: tuple[Examples, Examples] = (
        Examples([], [], {n: [] for n in TARGETS}),
        Examples([], [], {n: [] for n in TARGETS}),
    )
    for i, day in enumerate(found.days):
        part = parts[day >= first_held_out]
        part.days.append(day)
        part.inpatients.append(found.inpatients[i])
        for name in TARGETS:
            part.left[name].append(found.left[name][i])
    return parts


def train(engine: Engine, through: date, at: time, folder: Path) -> dict[str, Any]:
    """Train on the days up to `through` (the last held out and evaluated first), save the
    model and what it was trained on; returns that description."""
    first = through - timedelta(days=TRAINING_DAYS + HELD_OUT_DAYS - 1)
    found = read_examples(engine, first, through, at)
    days = sorted(set(found.days))
    if len(days) < 2:
        raise ValueError("needs inpatients on at least two days of the history to learn from")
    # A short history (a new installation) holds out its last quarter instead of 28 days.
    held_from = days[-min(HELD_OUT_DAYS, max(1, len(days) // 4))]
    earlier, later = split(found, held_from)
    evaluation = evaluate(fit(earlier, at), later)
    model = fit(found, at)
    about = {
        "trained_at": clock.now().isoformat(timespec="seconds"),
        "trained_through": through.isoformat(),
        "trained_from": min(found.days).isoformat(),
        "at": at.strftime("%H:%M"),
        "patient_days": len(found.inpatients),
        "evaluated_on": f"{held_from.isoformat()} to {through.isoformat()}, by a model trained "
        "on the days before",
        "evaluation": evaluation_dict(evaluation),
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MODEL_FILE).write_bytes(pickle.dumps(model))
    (folder / ABOUT_FILE).write_text(json.dumps(about, indent=1) + "\n", "utf-8")
    return about


def evaluation_dict(evaluation: Evaluation) -> dict[str, Any]:
    found = asdict(evaluation)
    found["first"], found["last"] = evaluation.first.isoformat(), evaluation.last.isoformat()
    found["mae_ratio"] = evaluation.mae_ratio
    return found


def evaluate_days(engine: Engine, first: date, last: date, at: time) -> Evaluation:
    """A model trained on the days before `first` (as `train` would have been), scored on the
    days from `first` to `last`."""
    history = read_examples(engine, first - timedelta(days=TRAINING_DAYS), last, at)
    earlier, later = split(history, first)
    if not earlier.inpatients or not later.inpatients:
        raise ValueError("needs inpatients both before and in the days evaluated")
    return evaluate(fit(earlier, at), later)


class NoModel(Exception):
    """No model has been trained: `homeflow predict train`."""


def load(folder: Path) -> tuple[Model, dict[str, Any]]:
    try:
        # The file is the one `train` wrote on this machine into the models folder, which
        # only its operators write to; it is never taken from outside.
        model = pickle.loads((folder / MODEL_FILE).read_bytes())
        about = json.loads((folder / ABOUT_FILE).read_text("utf-8"))
    except FileNotFoundError as missing:
        raise NoModel(str(missing.filename)) from None
    return model, about


@dataclass(frozen=True, slots=True)
class Prediction:
    spell_key: str
    patient_id: str | None
    ward_code: str
    site_code: str
    org_code: str
    expected_discharge_date: date | None
    today: float
    tomorrow: float


def about_model(folder: Path) -> dict[str, Any]:
    """When the saved model was trained, on what, and its evaluation."""
    return load(folder)[1]


def predict(
    engine: Engine, day: date, at: time, folder: Path, ward_code: str | None = None
) -> list[Prediction]:
    """Every inpatient at the time on the day (with `ward_code`, those whose latest ward it
    is), with both probabilities."""
    model, _ = load(folder)
    instant = instant_of(day, at)
    data = prediction_data(engine, instant, instant, ward_code)
    found = examples(data, [day], at)
    chances = model.probabilities(found)
    rows = []
    for i, patient in enumerate(found.inpatients):
        ward = data.wards.get(patient.ward_code)
        rows.append(
            Prediction(
                patient.spell_key,
                patient.patient_id,
                patient.ward_code,
                ward.site_code if ward else "",
                ward.org_code if ward else "",
                patient.expected_discharge_date,
                # By the next midnight is never less likely than by this one.
                chances["today"][i],
                max(chances["today"][i], chances["tomorrow"][i]),
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class PlaceCount:
    """A place's expected discharges today and by tomorrow's end, with 10-90% ranges."""

    place: str
    patients: int
    today: checks.CountRange
    tomorrow: checks.CountRange


def by_place(predictions: Sequence[Prediction], level: str) -> list[PlaceCount]:
    """Summed per ward, site or trust (level: ward, site, trust)."""
    groups: dict[str, list[Prediction]] = defaultdict(list)
    for p in predictions:
        place = {"ward": p.ward_code, "site": p.site_code, "trust": p.org_code}[level]
        groups[place].append(p)
    return [
        PlaceCount(
            place,
            len(found),
            checks.count_range([p.today for p in found]),
            checks.count_range([p.tomorrow for p in found]),
        )
        for place, found in sorted(groups.items())
    ]


def expected_discharges(
    engine: Engine, day: date, at: time = DEFAULT_AT, folder: Path | None = None
) -> list[PlaceCount]:
    """Per ward, the expected discharges on the day and by the next day's end, with their
    10-90% ranges, as predicted at the time of day (for the coordination view)."""
    from homeflow.config import models_folder

    return by_place(predict(engine, day, at, folder or models_folder()), "ward")
