"""What happened, as the measures count it: places with their beds, discharges, admissions,
CHC cases and red/green days, for a range of days. The store reads them; the KPIs count them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from homeflow.domain.flow import WardDay


@dataclass(frozen=True, slots=True)
class Place:
    ward_code: str
    site_code: str
    org_code: str
    beds: int


@dataclass(frozen=True, slots=True)
class Discharge:
    patient_id: str | None
    ward_code: str
    admitted_at: datetime
    discharged_at: datetime
    died: bool
    pathway: str | None
    discharge_ready_date: date | None
    spell_key: str = ""  # which stay, for the list of patients behind a figure


@dataclass(frozen=True, slots=True)
class Admission:
    patient_id: str | None
    admitted_at: datetime
    emergency: bool


@dataclass(frozen=True, slots=True)
class ChcCase:
    ward_code: str
    positive_checklist_on: date | None
    assessment_date: date | None
    acute_setting: bool
    decision_date: date | None


@dataclass(frozen=True, slots=True)
class DayRating:
    ward_code: str
    day: date
    red: bool


@dataclass(frozen=True, slots=True)
class KpiData:
    """Everything the KPIs are computed from, for a range of days."""

    places: Mapping[str, Place]
    census: Sequence[WardDay]
    discharges: Sequence[Discharge] = ()
    admissions: Sequence[Admission] = ()
    chc: Sequence[ChcCase] = ()
    ratings: Sequence[DayRating] = ()
