"""What is known about an inpatient at an instant, as the discharge predictions read it.

A prediction made at 06:00 may use only what homeflow had been told by 06:00: an event counts
when it had both happened and been received by then (`known_at`), so a late message never
leaks into the morning it describes. The spell is folded from those events alone, and its
features read from that fold; whether the patient then left by midnight (`outcome`) is read
from the whole record, and only ever used as the answer a model learns from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from homeflow.domain import events as ev
from homeflow.domain.clock import local_date, midnight_after
from homeflow.domain.spell import SpellState, SpellStatus, fold_spell

DAY = timedelta(days=1)
MISSING = math.nan

# The numeric features, in the order a model reads them; MISSING where a fact is not recorded
# (a gradient-boosted model learns what a missing EDD means rather than being told a zero).
NUMERIC = (
    "length_of_stay_days",
    "days_on_ward",
    "wards_so_far",
    "weekday",
    "edd_in_days",
    "edd_recorded",
    "clinical_criteria_recorded",
    "meets_criteria_to_reside",
    "days_since_ready",
    "pathway",
    "referrals_waiting",
    "referrals_accepted",
    "referrals_completed",
    "hours_since_senior_review",
    "last_day_red",
    "hours_since_last_event",
    "elective",
    "age_years",
    "on_leave",
)
# Named categories: the model keeps each one's list as it was when trained.
CATEGORICAL = ("ward_type", "specialty")


@dataclass(frozen=True, slots=True)
class Ward:
    code: str
    site_code: str
    org_code: str
    specialty: str
    type: str


@dataclass(frozen=True, slots=True)
class Inpatient:
    """One patient in a bed at the instant: who, where, and what was known."""

    spell_key: str
    patient_id: str | None
    ward_code: str
    expected_discharge_date: date | None
    numeric: tuple[float, ...]
    categories: tuple[str, ...]


def known_at(events: Iterable[ev.Event], instant: datetime) -> list[ev.Event]:
    """The events homeflow had been told of by the instant: happened and received."""
    return [e for e in events if e.occurred_at <= instant and e.received_at <= instant]


def inpatient_at(
    spell_key: str,
    spell_events: Iterable[ev.Event],
    instant: datetime,
    wards: dict[str, Ward],
    birth_date: date | None,
) -> Inpatient | None:
    """The patient as known at the instant, or None if they were not then in a bed."""
    state = fold_spell(spell_key, known_at(spell_events, instant))
    stay = state.current_stay
    if state.status is not SpellStatus.ADMITTED or stay is None or state.admitted_at is None:
        return None
    ward = wards.get(stay.ward_code)
    day = local_date(instant)
    numeric = _numeric(state, instant, day, birth_date)
    categories = (ward.type if ward else "", ward.specialty if ward else "")
    return Inpatient(
        spell_key, state.patient_id, stay.ward_code, state.expected_discharge_date, numeric,
        categories,
    )  # fmt: skip


def _numeric(
    state: SpellState, instant: datetime, day: date, birth_date: date | None
) -> tuple[float, ...]:
    assert state.admitted_at is not None and state.current_stay is not None
    edd = state.expected_discharge_date
    ready = state.discharge_ready_date
    colour = state.day_ratings[-1].colour if state.day_ratings else None
    values = {
        "length_of_stay_days": (instant - state.admitted_at) / DAY,
        "days_on_ward": (instant - state.current_stay.start) / DAY,
        "wards_so_far": float(len(state.ward_stays)),
        "weekday": float(day.weekday()),
        "edd_in_days": float((edd - day).days) if edd else MISSING,
        "edd_recorded": float(edd is not None),
        "clinical_criteria_recorded": float(bool(state.clinical_criteria)),
        "meets_criteria_to_reside": _flag(state.meets_criteria),
        "days_since_ready": float((day - ready).days) if ready else MISSING,
        "pathway": _pathway(state.pathway),
        "referrals_waiting": float(sum(r.status == "made" for r in state.referrals)),
        "referrals_accepted": float(sum(r.status == "accepted" for r in state.referrals)),
        "referrals_completed": float(sum(r.status == "completed" for r in state.referrals)),
        "hours_since_senior_review": _hours(instant, state.last_senior_review_at),
        "last_day_red": _flag(None if colour is None else colour == "red"),
        "hours_since_last_event": _hours(instant, state.last_event_at),
        "elective": float(state.admission_method == "elective"),
        "age_years": (day - birth_date).days / 365.25 if birth_date else MISSING,
        "on_leave": float(any(p.covers(instant) for p in state.leave)),
    }
    return tuple(values[name] for name in NUMERIC)


def _flag(value: bool | None) -> float:
    return MISSING if value is None else float(value)


def _hours(instant: datetime, then: datetime | None) -> float:
    return (instant - then) / timedelta(hours=1) if then else MISSING


def _pathway(pathway: str | None) -> float:
    return float(pathway[1:]) if pathway and pathway[1:].isdigit() else MISSING


def outcome(discharged_at: datetime | None, instant: datetime) -> tuple[bool, bool]:
    """Whether a patient in a bed at the instant left by the midnight ending its day, and by
    the midnight after that (a death ends a stay as a discharge does)."""
    if discharged_at is None or discharged_at <= instant:
        return False, False
    day = local_date(instant)
    return discharged_at <= midnight_after(day), discharged_at <= midnight_after(day + DAY)
