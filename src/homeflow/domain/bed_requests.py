"""Bed requests: a patient with a decision to admit (in the emergency department, an assessment
unit, or coming from another site) who needs a bed, and how long they waited for one.

A request is made (HL7 ADT^A14, pending admit, or the site team's form), may have a bed
allocated to it by the site team (which reserves the bed), may be cancelled (ADT^A27), and is
fulfilled by the patient's admission or transfer into a bed on the request's site (ADT^A01 or
A02), into the allocated bed or another. The wait runs from the decision to admit to that
moment. The UEC plan 2025/26 and NHS England's A&E statistics mark 4 hours and 12 hours from
the decision to admit ("trolley waits"): a wait of exactly 4 hours is not over 4 hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar

from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import Payload
from homeflow.domain.organisations import check_ods_code

FOUR_HOURS = timedelta(hours=4)
TWELVE_HOURS = timedelta(hours=12)


class WaitingIn(StrEnum):
    """Where the patient waits for the bed."""

    EMERGENCY_DEPARTMENT = "emergency-department"
    ASSESSMENT_UNIT = "assessment-unit"
    ANOTHER_SITE = "another-site"


class RequestStatus(StrEnum):
    WAITING = "waiting"  # no bed yet, none allocated
    ALLOCATED = "allocated"  # a bed reserved, the patient not yet in it
    PLACED = "placed"  # admitted or transferred into a bed: the wait has ended
    CANCELLED = "cancelled"


SEXES = ("female", "male")


def _require(field: str, value: str) -> None:
    if not value or not value.strip():
        raise InvalidInput(field, "is required and cannot be blank")
    if len(value) > 100:
        raise InvalidInput(field, "is longer than 100 characters")


@dataclass(frozen=True, slots=True)
class BedRequested(Payload):
    """A decision to admit, made when the event occurred: the patient needs a bed of
    `specialty` on `site_code`. The same `request_id` again corrects the request (its needs,
    its specialty), and the decision stays the first one's."""

    TYPE: ClassVar[str] = "bed-requested"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    request_id: str
    org_code: str
    site_code: str
    patient_id: str
    specialty: str
    waiting_in: WaitingIn = WaitingIn.EMERGENCY_DEPARTMENT
    side_room: bool = False
    isolation: bool = False
    sex: str | None = None
    nhs_number: str | None = None
    local_id: str | None = None
    family_name: str = ""
    given_name: str = ""

    def __post_init__(self) -> None:
        for name in ("request_id", "site_code", "patient_id", "specialty"):
            _require(name, getattr(self, name))
        check_ods_code("org_code", self.org_code)
        if self.sex is not None and self.sex not in SEXES:
            raise InvalidInput("sex", f"{self.sex!r} is not one of {', '.join(SEXES)}")


@dataclass(frozen=True, slots=True)
class BedAllocated(Payload):
    """The site team gives the request a bed, and so reserves it until the patient arrives;
    a later allocation to the same request moves the reservation."""

    TYPE: ClassVar[str] = "bed-allocated"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    request_id: str
    org_code: str
    ward_code: str
    bed: str

    def __post_init__(self) -> None:
        for name in ("request_id", "ward_code", "bed"):
            _require(name, getattr(self, name))
        check_ods_code("org_code", self.org_code)


@dataclass(frozen=True, slots=True)
class BedRequestCancelled(Payload):
    """The patient no longer needs the bed (ADT^A27, cancel pending admit)."""

    TYPE: ClassVar[str] = "bed-request-cancelled"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    RANK: ClassVar[int] = 2
    request_id: str
    org_code: str

    def __post_init__(self) -> None:
        _require("request_id", self.request_id)
        check_ods_code("org_code", self.org_code)


BED_REQUEST_PAYLOADS: dict[str, type[Payload]] = {
    p.TYPE: p for p in (BedRequested, BedAllocated, BedRequestCancelled)
}


@dataclass(frozen=True, slots=True)
class Recorded:
    """A bed request record as the log holds it: when it happened, and the payload."""

    occurred_at: datetime
    key: str
    payload: BedRequested | BedAllocated | BedRequestCancelled


@dataclass(frozen=True, slots=True)
class Placement:
    """A patient admitted or transferred into a bed (ADT^A01, A02) at a site."""

    patient_id: str
    site_code: str
    ward_code: str
    bed: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class BedRequest:
    request: BedRequested
    status: RequestStatus
    decided_at: datetime
    allocated_ward: str | None = None
    allocated_bed: str | None = None
    allocated_at: datetime | None = None
    placed: Placement | None = None
    cancelled_at: datetime | None = None

    @property
    def request_id(self) -> str:
        return self.request.request_id

    @property
    def in_allocated_bed(self) -> bool | None:
        """Whether the patient went to the bed the site team gave them (None: not placed)."""
        if self.placed is None:
            return None
        return (self.placed.ward_code, self.placed.bed) == (self.allocated_ward, self.allocated_bed)

    def waited(self, now: datetime) -> timedelta | None:
        """From the decision to admit to the bed, or to `now` while waiting; None once
        cancelled (a cancelled request's wait is not a wait for a bed)."""
        if self.status is RequestStatus.CANCELLED:
            return None
        end = self.placed.at if self.placed is not None else now
        return max(end - self.decided_at, timedelta(0))

    @property
    def open(self) -> bool:
        return self.status in (RequestStatus.WAITING, RequestStatus.ALLOCATED)


def fold_requests(
    records: Iterable[Recorded], placements: Iterable[Placement]
) -> dict[str, BedRequest]:
    """Each request's latest state: its records in time order, then the first placement of its
    patient on its site at or after the decision to admit (and before any cancellation)."""
    requests: dict[str, BedRequest] = {}
    ordered = sorted(records, key=lambda r: (r.occurred_at, r.payload.RANK, r.key))
    for record in ordered:
        payload = record.payload
        found = requests.get(payload.request_id)
        if isinstance(payload, BedRequested):
            requests[payload.request_id] = (
                BedRequest(payload, RequestStatus.WAITING, record.occurred_at)
                if found is None
                else replace(found, request=payload)
            )
        elif found is None or found.request.org_code != payload.org_code:
            continue  # nothing of this trust's to allocate or cancel
        elif isinstance(payload, BedAllocated):
            if found.status is RequestStatus.WAITING or found.status is RequestStatus.ALLOCATED:
                requests[payload.request_id] = replace(
                    found,
                    status=RequestStatus.ALLOCATED,
                    allocated_ward=payload.ward_code,
                    allocated_bed=payload.bed,
                    allocated_at=record.occurred_at,
                )
        else:
            requests[payload.request_id] = replace(
                found, status=RequestStatus.CANCELLED, cancelled_at=record.occurred_at
            )
    by_patient: dict[str, list[Placement]] = {}
    for placement in sorted(
        placements, key=lambda p: (p.at, p.site_code, p.ward_code, p.bed or "")
    ):
        by_patient.setdefault(placement.patient_id, []).append(placement)
    for request_id, found in requests.items():
        wanted = found.request
        ends = found.cancelled_at
        for placement in by_patient.get(wanted.patient_id, []):
            if placement.site_code != wanted.site_code or placement.at < found.decided_at:
                continue
            if ends is not None and placement.at > ends:
                break
            requests[request_id] = replace(
                found, status=RequestStatus.PLACED, placed=placement, cancelled_at=None
            )
            break
    return requests


@dataclass(frozen=True, slots=True)
class Waits:
    """Decision to admit to bed for the requests placed in a period: each figure with the
    requests it counts."""

    placed: tuple[BedRequest, ...]
    over_four_hours: tuple[BedRequest, ...]
    over_twelve_hours: tuple[BedRequest, ...]
    mean_hours: float | None
    ninetieth_centile_hours: float | None


def waits(requests: Iterable[BedRequest]) -> Waits:
    """The waits of the placed requests among `requests`. The 90th centile is the nearest-rank
    one (the smallest wait at least 90% of waits are no longer than), so it is a wait someone
    had."""
    placed = tuple(
        sorted(
            (r for r in requests if r.placed is not None),
            key=lambda r: (_hours(r), r.request_id),
        )
    )
    hours = [_hours(r) for r in placed]
    mean = sum(hours) / len(hours) if hours else None
    centile = hours[max(-(-9 * len(hours) // 10) - 1, 0)] if hours else None
    return Waits(
        placed,
        tuple(r for r in placed if _span(r) > FOUR_HOURS),
        tuple(r for r in placed if _span(r) > TWELVE_HOURS),
        mean,
        centile,
    )


def _span(request: BedRequest) -> timedelta:
    assert request.placed is not None
    return request.placed.at - request.decided_at


def _hours(request: BedRequest) -> float:
    return _span(request).total_seconds() / 3600


def waits_by_specialty(requests: Iterable[BedRequest]) -> Mapping[str, Waits]:
    grouped: dict[str, list[BedRequest]] = {}
    for request in requests:
        grouped.setdefault(request.request.specialty, []).append(request)
    return {specialty: waits(found) for specialty, found in sorted(grouped.items())}


def marks(waited: timedelta) -> str:
    """The mark a wait has passed, as the site team says it."""
    if waited > TWELVE_HOURS:
        return "over 12 hours"
    if waited > FOUR_HOURS:
        return "over 4 hours"
    return ""
