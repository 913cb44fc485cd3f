"""The integrated OPEL score (NHS England, "Integrated OPEL framework 2024 to 2026"): each
acute, community and mental-health provider's parameters, the points each earns, the provider's
score and level, and the system's score rolled up from its providers, with a level for each
pillar (acute, community, mental health) and for the whole system.

homeflow's reading, which docs/opel.md sets beside the framework:
- a parameter scores its level on its thresholds (`escalation.Thresholds`, the one rule that
  also sets the overview's pressure levels) less one, times its weight (1 unless a system sets
  another): 0 at level 1, up to 3 × weight at level 4;
- a provider's score is its points as a percentage of the most the parameters it reported could
  earn, and its level is the quarter of that range it falls in (`SCORE_BANDS`);
- a pillar's score is the mean of its providers' scores weighted by their beds, and the
  system's is the mean of its pillars' scores, each banded the same way.

Thresholds and weights are a system's own settings (`[opel.<parameter>]`), with these defaults; the two
acute bed parameters are the overview's pressure measures and take their thresholds from
`[pressure.*]`, so a system sets each rule once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from homeflow.domain.clock import check_day
from homeflow.domain.errors import InvalidInput
from homeflow.domain.escalation import EscalationRules, Thresholds
from homeflow.domain.events import Payload
from homeflow.domain.organisations import OrganisationType, WardType, check_ods_code

PILLARS = (OrganisationType.ACUTE, OrganisationType.COMMUNITY, OrganisationType.MENTAL_HEALTH)
# A score (percent of the most it could be) reaches OPEL 2, 3 and 4 at each quarter.
SCORE_BANDS = Thresholds(25, 50, 75)


class Source(StrEnum):
    COMPUTED = "computed"  # from the census homeflow keeps
    ENTERED = "entered"  # by the provider, on the page or fed as a file


class Computed(StrEnum):
    """What homeflow computes a parameter from: the wards of the provider's pillar that day."""

    OCCUPANCY = "occupancy"  # patients in at midnight per 100 open beds
    NCTR_SHARE = "nctr-share"  # patients not meeting the criteria to reside per 100 open beds
    ESCALATION_SHARE = "escalation-share"  # escalation beds per 100 open beds


@dataclass(frozen=True, slots=True)
class Parameter:
    code: str
    label: str
    pillar: OrganisationType
    unit: str  # "%", "minutes" or "patients"
    thresholds: Thresholds
    computed: Computed | None = None  # None: entered by the provider
    weight: int = 1
    most: float = 100.0  # the largest value that is not a typing slip

    @property
    def source(self) -> Source:
        return Source.ENTERED if self.computed is None else Source.COMPUTED

    @property
    def max_points(self) -> int:
        return 3 * self.weight

    def points(self, value: float) -> int:
        return (self.thresholds.level(value) - 1) * self.weight


def _p(
    code: str,
    label: str,
    pillar: OrganisationType,
    unit: str,
    steps: tuple[float, float, float],
    computed: Computed | None = None,
    falling: bool = False,
    most: float = 100.0,
) -> Parameter:
    return Parameter(code, label, pillar, unit, Thresholds(*steps, falling), computed, most=most)


_A, _C, _M = PILLARS
# The defaults; docs/opel.md gives each one's source or says it is homeflow's reading.
DEFAULT_PARAMETERS: tuple[Parameter, ...] = (
    _p(
        "ambulance-handover", "Mean ambulance handover time", _A, "minutes", (15, 30, 45), most=1440
    ),
    _p("ed-4-hour", "ED all-type 4-hour performance", _A, "%", (78, 70, 60), falling=True),
    _p("ed-attendance-variation", "ED attendances above expected", _A, "%", (5, 10, 20), most=500),
    _p(
        "majors-resus-occupancy",
        "Majors and resuscitation occupancy",
        _A,
        "%",
        (85, 100, 120),
        most=1000,
    ),
    _p("time-to-treatment", "Median time to treatment", _A, "minutes", (60, 120, 180), most=1440),
    _p("ed-12-hours", "Patients more than 12 hours in ED", _A, "%", (2, 5, 10)),
    _p("ga-occupancy", "G&A bed occupancy", _A, "%", (85, 92, 97), Computed.OCCUPANCY),
    _p(
        "escalation-beds",
        "Open beds that are escalation beds",
        _A,
        "%",
        (1, 3, 5),
        Computed.ESCALATION_SHARE,
    ),
    _p(
        "nctr-beds",
        "Beds occupied by patients not meeting the criteria to reside",
        _A,
        "%",
        (15, 22, 30),
        Computed.NCTR_SHARE,
    ),
    _p("community-occupancy", "Community bed occupancy", _C, "%", (85, 92, 97), Computed.OCCUPANCY),
    _p(
        "community-nctr-beds",
        "Community beds occupied by patients ready to leave",
        _C,
        "%",
        (20, 30, 40),
        Computed.NCTR_SHARE,
    ),
    _p(
        "ucr-2-hour",
        "Urgent community response within 2 hours",
        _C,
        "%",
        (70, 60, 50),
        falling=True,
    ),
    _p("virtual-ward-occupancy", "Virtual ward occupancy", _C, "%", (80, 90, 100), most=1000),
    _p(
        "mh-occupancy",
        "Adult mental-health bed occupancy",
        _M,
        "%",
        (85, 95, 100),
        Computed.OCCUPANCY,
    ),
    _p(
        "mh-ready-beds",
        "Mental-health beds occupied by patients clinically ready",
        _M,
        "%",
        (10, 15, 20),
        Computed.NCTR_SHARE,
    ),
    _p(
        "out-of-area",
        "Inappropriate out-of-area placements",
        _M,
        "patients",
        (1, 3, 6),
        most=10_000,
    ),
    _p(
        "mh-ed-12-hours",
        "Mental-health patients more than 12 hours in ED",
        _M,
        "patients",
        (1, 2, 4),
        most=10_000,
    ),
)
CODES = frozenset(p.code for p in DEFAULT_PARAMETERS)
# The acute parameters that are the overview's pressure measures, set by `[pressure.*]`.
PRESSURE_MEASURES = {"ga-occupancy": "occupancy_percent", "nctr-beds": "nctr_per_100_beds"}
WARD_TYPES = {
    OrganisationType.ACUTE: (WardType.ACUTE,),
    OrganisationType.COMMUNITY: (WardType.COMMUNITY, WardType.DISCHARGE_TO_ASSESS),
    OrganisationType.MENTAL_HEALTH: (WardType.MENTAL_HEALTH,),
}


def parameters(
    rules: EscalationRules,
    thresholds: Mapping[str, Thresholds] | None = None,
    weights: Mapping[str, int] | None = None,
) -> tuple[Parameter, ...]:
    """The parameters with a system's settings: its `[opel.*]` thresholds and weights, and
    its pressure thresholds for the two acute bed parameters."""
    chosen = dict(thresholds or {})
    for code, measure in PRESSURE_MEASURES.items():
        chosen[code] = getattr(rules, measure)
    weighed = weights or {}
    return tuple(
        replace(p, thresholds=chosen.get(p.code, p.thresholds), weight=weighed.get(p.code, 1))
        for p in DEFAULT_PARAMETERS
    )


def parameter_named(code: str) -> Parameter:
    found = next((p for p in DEFAULT_PARAMETERS if p.code == code), None)
    if found is None:
        raise InvalidInput("parameter", f"{code!r} is not an OPEL parameter")
    return found


@dataclass(frozen=True, slots=True)
class OpelParameterEntered(Payload):
    """A provider's value of one of its entered parameters for a day; a later one for the same
    provider, day and parameter corrects it."""

    TYPE: ClassVar[str] = "opel-parameter-entered"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    org_code: str
    on: date
    parameter: str
    value: float

    def __post_init__(self) -> None:
        check_ods_code("org_code", self.org_code)
        check_day("on", self.on)
        found = parameter_named(self.parameter)
        if found.computed is not None:
            raise InvalidInput("parameter", f"{found.label} is computed by homeflow, not entered")
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise InvalidInput("value", "must be a number")
        if not (math.isfinite(self.value) and 0 <= self.value <= found.most):
            raise InvalidInput("value", f"must be a number from 0 to {found.most:g} {found.unit}")

    def identity(self) -> tuple[object, ...]:
        return (self.org_code, self.on, self.parameter)


@dataclass(frozen=True, slots=True)
class Entry:
    """An entered value as stored: who entered it and when."""

    record: OpelParameterEntered
    recorded_by: str | None
    recorded_at: datetime


def entries_on(entries: Iterable[Entry], day: date) -> dict[tuple[str, str], Entry]:
    """Each provider's latest value of each parameter for `day`: the one entered last (of two
    entered at the same moment, the one stored last), however the feeds delivered them."""
    found: dict[tuple[str, str], Entry] = {}
    for entry in sorted(entries, key=lambda e: e.recorded_at):
        if entry.record.on == day:
            found[(entry.record.org_code, entry.record.parameter)] = entry
    return found


@dataclass(frozen=True, slots=True)
class WardNight:
    """A ward at the midnight ending the day: its open beds, escalation beds among them, and
    its patients."""

    ward_code: str
    ward_type: WardType
    beds: int
    escalation_beds: int
    occupied: int
    nctr: int


def _counts(computed: Computed, wards: Sequence[WardNight]) -> tuple[int, int]:
    beds = sum(w.beds for w in wards)
    if computed is Computed.OCCUPANCY:
        return sum(w.occupied for w in wards), beds
    if computed is Computed.NCTR_SHARE:
        return sum(w.nctr for w in wards), beds
    return sum(w.escalation_beds for w in wards), beds


@dataclass(frozen=True, slots=True)
class Reading:
    parameter: Parameter
    value: float | None  # None: not entered for the day, or no beds to count
    numerator: int | None = None  # a computed value's count (patients or escalation beds)
    denominator: int | None = None  # and the open beds it is a share of
    entry: Entry | None = None

    @property
    def points(self) -> int | None:
        return None if self.value is None else self.parameter.points(self.value)

    @property
    def level(self) -> int | None:
        return None if self.value is None else self.parameter.thresholds.level(self.value)


@dataclass(frozen=True, slots=True)
class ProviderScore:
    org_code: str
    name: str
    pillar: OrganisationType
    beds: int
    readings: tuple[Reading, ...]

    @property
    def points(self) -> int:
        return sum(r.points or 0 for r in self.readings)

    @property
    def most(self) -> int:
        return sum(r.parameter.max_points for r in self.readings if r.value is not None)

    @property
    def score(self) -> float | None:
        """Points as a percentage of the most the parameters reported could earn."""
        return 100 * self.points / self.most if self.most else None

    @property
    def level(self) -> int | None:
        return None if self.score is None else SCORE_BANDS.level(self.score)

    @property
    def missing(self) -> tuple[Parameter, ...]:
        return tuple(r.parameter for r in self.readings if r.value is None)


def provider_score(
    org_code: str,
    name: str,
    pillar: OrganisationType,
    wards: Sequence[WardNight],
    entered: Mapping[tuple[str, str], Entry],
    chosen: Sequence[Parameter],
) -> ProviderScore:
    """A provider's readings for a day: computed from its wards of its pillar's types, the
    rest as it entered them."""
    own = [w for w in wards if w.ward_type in WARD_TYPES[pillar]]
    readings = []
    for parameter in (p for p in chosen if p.pillar is pillar):
        if parameter.computed is None:
            entry = entered.get((org_code, parameter.code))
            value = None if entry is None else float(entry.record.value)
            readings.append(Reading(parameter, value, entry=entry))
            continue
        count, beds = _counts(parameter.computed, own)
        value = round(100 * count / beds, 1) if beds else None
        readings.append(Reading(parameter, value, count, beds))
    return ProviderScore(org_code, name, pillar, sum(w.beds for w in own), tuple(readings))


@dataclass(frozen=True, slots=True)
class PillarScore:
    pillar: OrganisationType
    providers: tuple[ProviderScore, ...]

    @property
    def score(self) -> float | None:
        """The providers' scores weighted by their beds (equally when none has beds)."""
        scored = [p for p in self.providers if p.score is not None]
        if not scored:
            return None
        weights = [p.beds for p in scored] if any(p.beds for p in scored) else [1] * len(scored)
        total = sum(w * (p.score or 0.0) for w, p in zip(weights, scored, strict=True))
        return total / sum(weights)

    @property
    def level(self) -> int | None:
        return None if self.score is None else SCORE_BANDS.level(self.score)


@dataclass(frozen=True, slots=True)
class SystemScore:
    system: str
    day: date
    pillars: tuple[PillarScore, ...]

    @property
    def score(self) -> float | None:
        """The mean of the pillars' scores: each pillar counts once, whatever its size."""
        scored = [p.score for p in self.pillars if p.score is not None]
        return sum(scored) / len(scored) if scored else None

    @property
    def level(self) -> int | None:
        return None if self.score is None else SCORE_BANDS.level(self.score)

    @property
    def providers(self) -> tuple[ProviderScore, ...]:
        return tuple(p for pillar in self.pillars for p in pillar.providers)


def system_score(system: str, day: date, providers: Iterable[ProviderScore]) -> SystemScore:
    found = list(providers)
    return SystemScore(
        system,
        day,
        tuple(
            PillarScore(pillar, tuple(p for p in found if p.pillar is pillar))
            for pillar in PILLARS
            if any(p.pillar is pillar for p in found)
        ),
    )
