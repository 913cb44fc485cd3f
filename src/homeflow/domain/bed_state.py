"""Each bed's state over time: occupied, free and clean, awaiting cleaning, closed (with its
reason), isolated or reserved. Occupancy comes from the stays the ADT feed records (an admission
or transfer into a bed occupies it; leaving it vacates it); every other state is a dated
`BedStatusSet` event (an HL7 A20 bed status update, or someone on the ward board or the site
page). A bed's side room and single-sex bay are its attributes, dated `BedAttributesSet`
events beside the ward's dated bed changes (`domain/beds.py`).

The fold is pure: the store hands it the stays and events, the trusts whose vacated beds wait
for cleaning, and the instant asked about; nothing after that instant counts."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from homeflow.domain.clock import check_day
from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import Payload

MAX_BED_CHARS = 20  # the ward_stays.bed column


class BedStatus(StrEnum):
    OCCUPIED = "occupied"
    FREE = "free"  # free and clean: ready for the next patient
    AWAITING_CLEANING = "awaiting-cleaning"
    CLOSED = "closed"
    ISOLATED = "isolated"
    RESERVED = "reserved"


class ClosureReason(StrEnum):
    INFECTION_CONTROL = "infection-control"
    STAFFING = "staffing"
    MAINTENANCE = "maintenance"
    ESCALATION_CLOSED = "escalation-closed"


STATUS_WORDS = {
    BedStatus.OCCUPIED: "Occupied",
    BedStatus.FREE: "Free and clean",
    BedStatus.AWAITING_CLEANING: "Awaiting cleaning",
    BedStatus.CLOSED: "Closed",
    BedStatus.ISOLATED: "Isolated",
    BedStatus.RESERVED: "Reserved",
}
REASON_WORDS = {
    ClosureReason.INFECTION_CONTROL: "Infection control",
    ClosureReason.STAFFING: "Staffing",
    ClosureReason.MAINTENANCE: "Maintenance",
    ClosureReason.ESCALATION_CLOSED: "Escalation beds closed",
}
# What a person sets on a bed (the ward board, the site's beds page); occupied is the ADT's to say.
SETTABLE = tuple(s for s in BedStatus if s is not BedStatus.OCCUPIED)
BAY_SEXES = ("", "female", "male")  # "" a mixed or unassigned bay


def _check_bed(ward_code: str, bed: str) -> None:
    if not ward_code.strip():
        raise InvalidInput("ward_code", "is required")
    if not bed.strip():
        raise InvalidInput("bed", "is required")
    if len(bed) > MAX_BED_CHARS:
        raise InvalidInput("bed", f"is longer than {MAX_BED_CHARS} characters")


@dataclass(frozen=True, slots=True)
class BedStatusSet(Payload):
    """From the event's instant, the bed is in `status`; a closed bed says why (`reason`) when it is known:
    an HL7 A20 closing a bed (table 0116 "C") does not say, a person closing one does."""

    TYPE: ClassVar[str] = "bed-status-set"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    ward_code: str
    bed: str
    status: BedStatus
    reason: ClosureReason | None = None
    note: str = ""

    def __post_init__(self) -> None:
        _check_bed(self.ward_code, self.bed)
        if not isinstance(self.status, BedStatus):
            raise InvalidInput("status", f"{self.status!r} is not a bed status")
        if self.status is not BedStatus.CLOSED and self.reason is not None:
            raise InvalidInput("reason", "only a closed bed has a closure reason")
        if len(self.note) > 500:
            raise InvalidInput("note", "is longer than 500 characters")


@dataclass(frozen=True, slots=True)
class BedAttributesSet(Payload):
    """From `from_day`, whether the bed is a side room and the sex of its bay, if single-sex."""

    TYPE: ClassVar[str] = "bed-attributes-set"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    ward_code: str
    bed: str
    from_day: date
    side_room: bool = False
    bay_sex: str = ""

    def __post_init__(self) -> None:
        _check_bed(self.ward_code, self.bed)
        check_day("from_day", self.from_day)
        if self.bay_sex not in BAY_SEXES:
            raise InvalidInput("bay_sex", "must be female, male or empty (a mixed bay)")


@dataclass(frozen=True, slots=True)
class BedStay:
    """A patient in a bed, from a ward stay: `end` None while they are still in it."""

    ward_code: str
    bed: str
    start: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Period:
    """A bed in one state from `since` until `until` (None: still, at the instant asked)."""

    status: BedStatus
    since: datetime
    until: datetime | None
    reason: ClosureReason | None = None


@dataclass(slots=True)
class BedHistory:
    ward_code: str
    bed: str
    periods: list[Period] = field(default_factory=list)
    side_room: bool = False
    bay_sex: str = ""

    @property
    def now(self) -> Period | None:
        return self.periods[-1] if self.periods else None


# At the same instant a bed is vacated before it is set, and set before it is occupied again.
_VACATED, _SET, _OCCUPIED = 0, 1, 2


def histories(
    stays: Iterable[BedStay],
    settings: Iterable[tuple[datetime, BedStatusSet]],
    attributes: Iterable[BedAttributesSet],
    at: datetime,
    cleaned_after_discharge: Collection[str],
) -> dict[tuple[str, str], BedHistory]:
    """Each bed's periods up to `at`, by (ward, bed). A bed vacated on a ward in
    `cleaned_after_discharge` (wards whose trust says so) waits for cleaning; elsewhere it is
    free at once. `settings` are each status event's instant and payload. Attributes are those in force on `at`'s day (the latest recorded for it)."""
    happenings: list[tuple[datetime, int, int, str, str, BedStatus, ClosureReason | None]] = []
    order = 0
    for stay in stays:
        if stay.start > at:
            continue
        happenings.append(
            (stay.start, _OCCUPIED, order, stay.ward_code, stay.bed, BedStatus.OCCUPIED, None)
        )
        if stay.end is not None and stay.end <= at:
            left = (
                BedStatus.AWAITING_CLEANING
                if stay.ward_code in cleaned_after_discharge
                else BedStatus.FREE
            )
            happenings.append((stay.end, _VACATED, order, stay.ward_code, stay.bed, left, None))
        order += 1
    for when, setting in settings:
        if when <= at:
            happenings.append(
                (when, _SET, order, setting.ward_code, setting.bed, setting.status, setting.reason)
            )
            order += 1
    found: dict[tuple[str, str], BedHistory] = {}
    for when, _, _, ward, bed, status, reason in sorted(happenings, key=lambda h: h[:3]):
        history = found.setdefault((ward, bed), BedHistory(ward, bed))
        if history.now is not None and history.now.since == when:
            history.periods.pop()  # what came at the same instant and was set at once
        last = history.now
        if last is not None and last.status is status and last.reason == reason:
            history.periods[-1] = Period(last.status, last.since, None, last.reason)
            continue
        if last is not None:
            history.periods[-1] = Period(last.status, last.since, when, last.reason)
        history.periods.append(Period(status, when, None, reason))
    day = at.date()
    dated = sorted(
        ((a.from_day, n, a) for n, a in enumerate(attributes) if a.from_day <= day),
        key=lambda d: (d[0], d[1]),
    )
    for _, _, a in dated:
        history = found.setdefault((a.ward_code, a.bed), BedHistory(a.ward_code, a.bed))
        history.side_room, history.bay_sex = a.side_room, a.bay_sex
    return found


@dataclass(frozen=True, slots=True)
class Turnaround:
    """A bed vacated, made clean, and occupied again (`occupied` None: not yet)."""

    ward_code: str
    bed: str
    vacated: datetime
    clean: datetime
    occupied: datetime | None

    @property
    def cleaning_hours(self) -> float:
        return (self.clean - self.vacated).total_seconds() / 3600

    @property
    def empty_hours(self) -> float | None:
        """Vacated to occupied again: the whole turnaround."""
        if self.occupied is None:
            return None
        return (self.occupied - self.vacated).total_seconds() / 3600


def turnarounds(history: BedHistory) -> list[Turnaround]:
    """Each time the bed waited for cleaning and was then made free and clean, with when it
    was next occupied. A wait for cleaning that ends otherwise (closed, occupied uncleaned)
    is not a turnaround."""
    found: list[Turnaround] = []
    periods = history.periods
    for n, period in enumerate(periods[:-1]):
        if period.status is not BedStatus.AWAITING_CLEANING:
            continue
        after = periods[n + 1]
        if after.status is not BedStatus.FREE:
            continue
        occupied = None
        for later in periods[n + 2 :]:
            if later.status is BedStatus.OCCUPIED:
                occupied = later.since
            if later.status in (BedStatus.OCCUPIED, BedStatus.AWAITING_CLEANING):
                break
        found.append(
            Turnaround(history.ward_code, history.bed, period.since, after.since, occupied)
        )
    return found


def closures(history: BedHistory) -> list[Period]:
    """The periods the bed was closed, each with its reason."""
    return [p for p in history.periods if p.status is BedStatus.CLOSED]


NOT_GIVEN = "not-given"  # a closure whose reason the feed did not send


@dataclass(frozen=True, slots=True)
class BedMeasures:
    """A span's bed measures: the turnarounds whose bed was made clean within it, and each
    closure reason's closed bed-hours within it with the closures behind them."""

    turnarounds: tuple[Turnaround, ...]
    closed_hours: dict[str, float]
    closures: dict[str, tuple[tuple[str, str, Period], ...]]

    @property
    def mean_cleaning_hours(self) -> float | None:
        hours = [t.cleaning_hours for t in self.turnarounds]
        return sum(hours) / len(hours) if hours else None

    @property
    def ninetieth_centile_cleaning_hours(self) -> float | None:
        """Nearest rank: the ceil(0.9 n)-th shortest, as the waits for a bed are read."""
        hours = sorted(t.cleaning_hours for t in self.turnarounds)
        return hours[max(-(-9 * len(hours) // 10) - 1, 0)] if hours else None

    @property
    def mean_empty_hours(self) -> float | None:
        """Vacated to occupied again, of the turnarounds whose bed was occupied again."""
        hours = [h for t in self.turnarounds if (h := t.empty_hours) is not None]
        return sum(hours) / len(hours) if hours else None


def measures(beds: Iterable[BedHistory], start: datetime, end: datetime) -> BedMeasures:
    """The bed measures of [start, end), from histories folded up to `end`."""
    return measures_by_span(beds, [(start, end)])[0]


def measures_by_span(
    beds: Iterable[BedHistory], spans: Sequence[tuple[datetime, datetime]]
) -> list[BedMeasures]:
    """The bed measures of each [start, end) span, from histories folded up to the last end;
    each bed's turnarounds and closures are found once, not once a span."""
    found = [(history, turnarounds(history), closures(history)) for history in beds]
    return [_measures_of_span(found, start, end) for start, end in spans]


def _measures_of_span(
    found: Sequence[tuple[BedHistory, list[Turnaround], list[Period]]],
    start: datetime,
    end: datetime,
) -> BedMeasures:
    turns: list[Turnaround] = []
    hours: dict[str, float] = {}
    behind: dict[str, list[tuple[str, str, Period]]] = {}
    for history, turned, closed in found:
        turns.extend(t for t in turned if start <= t.clean < end)
        for period in closed:
            until = end if period.until is None else min(period.until, end)
            overlap = (until - max(period.since, start)).total_seconds() / 3600
            if overlap <= 0:
                continue
            reason = period.reason.value if period.reason else NOT_GIVEN
            hours[reason] = hours.get(reason, 0.0) + overlap
            behind.setdefault(reason, []).append((history.ward_code, history.bed, period))
    turns.sort(key=lambda t: (t.clean, t.ward_code, t.bed))
    return BedMeasures(tuple(turns), hours, {r: tuple(b) for r, b in behind.items()})
