"""Everything that happens to a patient's stay, as an event.

An ADT admission and a nurse recording a discharge ready date are the same kind of thing:
a fact with an idempotency key, a source, the time it happened and the time homeflow
heard of it. Payloads are frozen dataclasses that validate themselves, so a bad field is
refused with its name and reason before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from homeflow.domain import codes
from homeflow.domain.clock import require_aware
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import check_ods_code, normalise_nhs_number


class AdmissionMethod(StrEnum):
    EMERGENCY = "emergency"
    ELECTIVE = "elective"
    TRANSFER = "transfer"
    MATERNITY = "maternity"
    OTHER = "other"


class ReferralService(StrEnum):
    REABLEMENT = "reablement"
    HOME_CARE = "home-care"
    COMMUNITY_BED = "community-bed"
    CARE_HOME = "care-home"
    CHC = "chc"
    HOUSING = "housing"
    TRUSTED_ASSESSOR = "trusted-assessor"
    PERSONAL_HEALTH_BUDGET = "personal-health-budget"


class DayColour(StrEnum):
    RED = "red"
    GREEN = "green"


class CareSetting(StrEnum):
    ACUTE = "acute"
    COMMUNITY = "community"


class ChecklistOutcome(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ReviewOutcome(StrEnum):
    """What a SAFER stranded-patient review concluded."""

    PLAN_AGREED = "plan-agreed"
    READY_FOR_DISCHARGE = "ready-for-discharge"
    CLINICAL_REASON_TO_STAY = "clinical-reason-to-stay"
    ESCALATED = "escalated"


@dataclass(frozen=True, slots=True)
class Payload:
    """Base of every event payload. `TYPE` is the stored event type name."""

    TYPE: ClassVar[str] = ""
    # Where the event sits among others at the same instant: an admission before what
    # follows it, a cancellation after what it cancels.
    RANK: ClassVar[int] = 1
    PATIENT_LEVEL: ClassVar[bool] = False
    # The improvement programme's records (assessments, projects, PDSAs) belong to a system,
    # and a community team's records to an episode of care: neither to a bed stay.
    PROGRAMME_LEVEL: ClassVar[bool] = False


# ---- ADT: the patient administration system's account of the stay -------------------


@dataclass(frozen=True, slots=True)
class Admitted(Payload):
    TYPE: ClassVar[str] = "admitted"
    RANK: ClassVar[int] = 0
    patient_id: str
    site_code: str
    ward_code: str
    bed: str | None = None
    admission_method: AdmissionMethod = AdmissionMethod.EMERGENCY
    specialty: str | None = None
    nhs_number: str | None = None
    local_id: str | None = None
    family_name: str = ""
    given_name: str = ""
    birth_date: date | None = None
    sex: str | None = None
    # The patient's local authority of residence (ONS/ODS code), as the feed gives it.
    local_authority: str | None = None

    def __post_init__(self) -> None:
        _require("patient_id", self.patient_id)
        _require("site_code", self.site_code)
        _require("ward_code", self.ward_code)
        if self.nhs_number is not None:
            object.__setattr__(self, "nhs_number", normalise_nhs_number(self.nhs_number))
        if self.local_authority is not None:
            check_ods_code("local_authority", self.local_authority)


@dataclass(frozen=True, slots=True)
class AdmissionPlanned(Payload):
    """A planned (pre-)admission, HL7 A05: no bed is taken until the admission itself."""

    TYPE: ClassVar[str] = "admission-planned"
    patient_id: str
    site_code: str
    ward_code: str | None = None
    planned_for: date | None = None

    def __post_init__(self) -> None:
        _require("patient_id", self.patient_id)
        _require("site_code", self.site_code)


@dataclass(frozen=True, slots=True)
class Transferred(Payload):
    TYPE: ClassVar[str] = "transferred"
    ward_code: str
    bed: str | None = None
    # The team the patient moves under (HL7 PV1-10), when the transfer changes it.
    specialty: str | None = None

    def __post_init__(self) -> None:
        _require("ward_code", self.ward_code)


@dataclass(frozen=True, slots=True)
class Discharged(Payload):
    TYPE: ClassVar[str] = "discharged"
    RANK: ClassVar[int] = 3
    destination: str | None = None
    method: str | None = None
    died: bool = False


@dataclass(frozen=True, slots=True)
class AdmissionCancelled(Payload):
    TYPE: ClassVar[str] = "admission-cancelled"
    RANK: ClassVar[int] = 5


@dataclass(frozen=True, slots=True)
class TransferCancelled(Payload):
    TYPE: ClassVar[str] = "transfer-cancelled"
    RANK: ClassVar[int] = 2


@dataclass(frozen=True, slots=True)
class DischargeCancelled(Payload):
    TYPE: ClassVar[str] = "discharge-cancelled"
    RANK: ClassVar[int] = 4


@dataclass(frozen=True, slots=True)
class LeaveOfAbsenceStarted(Payload):
    TYPE: ClassVar[str] = "leave-started"


@dataclass(frozen=True, slots=True)
class LeaveOfAbsenceEnded(Payload):
    TYPE: ClassVar[str] = "leave-ended"


@dataclass(frozen=True, slots=True)
class PatientDetailsUpdated(Payload):
    TYPE: ClassVar[str] = "patient-details-updated"
    PATIENT_LEVEL: ClassVar[bool] = True
    patient_id: str
    nhs_number: str | None = None
    local_id: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    local_authority: str | None = None

    def __post_init__(self) -> None:
        _require("patient_id", self.patient_id)
        if self.nhs_number is not None:
            object.__setattr__(self, "nhs_number", normalise_nhs_number(self.nhs_number))
        if self.local_authority is not None:
            check_ods_code("local_authority", self.local_authority)


@dataclass(frozen=True, slots=True)
class PatientsMerged(Payload):
    TYPE: ClassVar[str] = "patients-merged"
    PATIENT_LEVEL: ClassVar[bool] = True
    patient_id: str
    merged_patient_id: str

    def __post_init__(self) -> None:
        _require("patient_id", self.patient_id)
        _require("merged_patient_id", self.merged_patient_id)
        if self.patient_id == self.merged_patient_id:
            raise InvalidInput("merged_patient_id", "a patient cannot be merged into itself")


# ---- Flow: what ward staff and discharge teams record --------------------------------


@dataclass(frozen=True, slots=True)
class ExpectedDischargeDateSet(Payload):
    TYPE: ClassVar[str] = "edd-set"
    expected_discharge_date: date
    clinical_criteria: str = ""


@dataclass(frozen=True, slots=True)
class SeniorReviewRecorded(Payload):
    TYPE: ClassVar[str] = "senior-review-recorded"
    reviewer: str = ""


@dataclass(frozen=True, slots=True)
class CriteriaToResideAssessed(Payload):
    """Meets: the criterion codes that keep the patient in. Does not meet: ready date."""

    TYPE: ClassVar[str] = "criteria-to-reside-assessed"
    meets: bool
    criteria: tuple[str, ...] = ()
    discharge_ready_date: date | None = None

    def __post_init__(self) -> None:
        listed = codes.criteria_to_reside()
        for code in self.criteria:
            listed.check("criteria", code)
        if self.meets and self.discharge_ready_date is not None:
            raise InvalidInput(
                "discharge_ready_date", "a patient who meets the criteria has no ready date"
            )
        if not self.meets and self.discharge_ready_date is None:
            raise InvalidInput(
                "discharge_ready_date", "required when the patient no longer meets the criteria"
            )
        if not self.meets and self.criteria:
            raise InvalidInput("criteria", "only a patient who meets the criteria has criteria")


@dataclass(frozen=True, slots=True)
class DelayReasonSet(Payload):
    """One of the 37 sitrep reasons, or a legacy DToC reason with its responsible agency."""

    TYPE: ClassVar[str] = "delay-reason-set"
    reason: str | None = None
    dtoc_reason: str | None = None
    responsible_agency: str | None = None

    def __post_init__(self) -> None:
        if self.reason is None and self.dtoc_reason is None:
            raise InvalidInput("reason", "give a delay reason or a DToC reason")
        if self.reason is not None:
            codes.nctr_delay_reasons().check("reason", self.reason)
        if self.dtoc_reason is not None:
            codes.dtoc_reasons().check("dtoc_reason", self.dtoc_reason)
            if self.responsible_agency is None:
                raise InvalidInput("responsible_agency", "required with a DToC reason")
        if self.responsible_agency is not None:
            codes.responsible_agencies().check("responsible_agency", self.responsible_agency)


@dataclass(frozen=True, slots=True)
class DelayReasonCleared(Payload):
    TYPE: ClassVar[str] = "delay-reason-cleared"


@dataclass(frozen=True, slots=True)
class PathwayAssigned(Payload):
    TYPE: ClassVar[str] = "pathway-assigned"
    pathway: str

    def __post_init__(self) -> None:
        codes.discharge_pathways().check("pathway", self.pathway)


@dataclass(frozen=True, slots=True)
class RedGreenDayRecorded(Payload):
    TYPE: ClassVar[str] = "red-green-day-recorded"
    day: date
    colour: DayColour
    red_reason: str | None = None

    def __post_init__(self) -> None:
        if self.colour is DayColour.RED and not self.red_reason:
            raise InvalidInput("red_reason", "a red day needs the reason nothing acute happened")
        if self.colour is DayColour.GREEN and self.red_reason:
            raise InvalidInput("red_reason", "a green day has no red reason")


@dataclass(frozen=True, slots=True)
class ReferralMade(Payload):
    TYPE: ClassVar[str] = "referral-made"
    referral_id: str
    service: ReferralService
    provider_org: str | None = None

    def __post_init__(self) -> None:
        _require("referral_id", self.referral_id)


@dataclass(frozen=True, slots=True)
class ReferralAccepted(Payload):
    TYPE: ClassVar[str] = "referral-accepted"
    referral_id: str
    trusted_assessment: bool = False


@dataclass(frozen=True, slots=True)
class ReferralDeclined(Payload):
    TYPE: ClassVar[str] = "referral-declined"
    referral_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReferralCompleted(Payload):
    TYPE: ClassVar[str] = "referral-completed"
    referral_id: str


@dataclass(frozen=True, slots=True)
class ChcChecklistCompleted(Payload):
    TYPE: ClassVar[str] = "chc-checklist-completed"
    outcome: ChecklistOutcome


@dataclass(frozen=True, slots=True)
class ChcAssessmentRecorded(Payload):
    """The decision support tool: when and where it was done, and the decision if made."""

    TYPE: ClassVar[str] = "chc-assessment-recorded"
    assessment_date: date
    setting: CareSetting
    decision_date: date | None = None
    eligible: bool | None = None

    def __post_init__(self) -> None:
        if self.decision_date is not None and self.decision_date < self.assessment_date:
            raise InvalidInput("decision_date", "the decision cannot precede the assessment")


@dataclass(frozen=True, slots=True)
class ActionRecorded(Payload):
    """An action agreed for a delayed patient, as at the daily call; the same id updates it.
    An escalation is an action raised to someone senior at the owning organisation."""

    TYPE: ClassVar[str] = "action-recorded"
    action_id: str
    description: str
    owner: str
    owner_org: str | None = None
    due_date: date | None = None
    status: ActionStatus = ActionStatus.OPEN
    escalation: bool = False

    def __post_init__(self) -> None:
        _require("action_id", self.action_id)
        _require("description", self.description.strip())
        _require("owner", self.owner.strip())


@dataclass(frozen=True, slots=True)
class StrandedReviewRecorded(Payload):
    """A weekly review of a patient in hospital 7+ days (SAFER): who reviewed (the MDT's lead,
    as typed; blank in reviews recorded before it was asked, whose reviewer is whoever recorded
    it), the outcome and the actions agreed."""

    TYPE: ClassVar[str] = "stranded-review-recorded"
    outcome: ReviewOutcome
    actions: str = ""
    reviewer: str = ""


# Longer than any MHSDS record id a trust's extract gives a period.
MAX_PERIOD_ID = 60


@dataclass(frozen=True, slots=True)
class MhDelayRecorded(Payload):
    """A mental health delayed discharge period (NHS Data Dictionary; MHSDS v6 MHS518
    Clinically Ready for Discharge): from the day the patient was clinically ready for
    discharge, why they are still in, and whom the delay is attributable to; open until its end
    date is given (or the patient leaves). The same period_id again corrects or ends it."""

    TYPE: ClassVar[str] = "mh-delay-recorded"
    period_id: str
    start_date: date
    reason: str
    attributable_to: str
    end_date: date | None = None

    def __post_init__(self) -> None:
        _require("period_id", self.period_id)
        if len(self.period_id) > MAX_PERIOD_ID:
            raise InvalidInput("period_id", f"is {len(self.period_id)} characters; at most 60")
        codes.mh_delay_reasons().check("reason", self.reason)
        codes.mh_attributable_to().check("attributable_to", self.attributable_to)
        if self.end_date is not None and self.end_date < self.start_date:
            raise InvalidInput("end_date", "the period cannot end before it starts")


PAYLOAD_TYPES: dict[str, type[Payload]] = {
    cls.TYPE: cls
    for cls in (
        Admitted,
        AdmissionPlanned,
        Transferred,
        Discharged,
        AdmissionCancelled,
        TransferCancelled,
        DischargeCancelled,
        LeaveOfAbsenceStarted,
        LeaveOfAbsenceEnded,
        PatientDetailsUpdated,
        PatientsMerged,
        ExpectedDischargeDateSet,
        SeniorReviewRecorded,
        CriteriaToResideAssessed,
        DelayReasonSet,
        DelayReasonCleared,
        PathwayAssigned,
        RedGreenDayRecorded,
        ReferralMade,
        ReferralAccepted,
        ReferralDeclined,
        ReferralCompleted,
        ChcChecklistCompleted,
        ChcAssessmentRecorded,
        ActionRecorded,
        StrandedReviewRecorded,
        MhDelayRecorded,
    )
}


@dataclass(frozen=True, slots=True)
class Event:
    """The envelope: one fact, stored once under its idempotency key."""

    key: str
    source: str
    occurred_at: datetime
    received_at: datetime
    spell_key: str | None
    payload: Payload
    raw: str | None = None
    recorded_by: str | None = None

    def __post_init__(self) -> None:
        _require("key", self.key)
        _require("source", self.source)
        require_aware("occurred_at", self.occurred_at)
        require_aware("received_at", self.received_at)
        if self.payload.PATIENT_LEVEL or self.payload.PROGRAMME_LEVEL:
            if self.spell_key is not None:
                raise InvalidInput("spell_key", f"{self.type} is not about a spell")
        elif not self.spell_key:
            raise InvalidInput("spell_key", f"{self.type} needs the spell it belongs to")

    @property
    def type(self) -> str:
        return self.payload.TYPE

    @property
    def fold_order(self) -> tuple[datetime, int, str]:
        """A total order that does not depend on when events arrived."""
        return (self.occurred_at, self.payload.RANK, self.key)


def _require(field: str, value: str | None) -> None:
    if not value or not value.strip():
        raise InvalidInput(field, "is required and cannot be blank")
