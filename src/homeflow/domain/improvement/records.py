"""The improvement programme's records, as events: a system's own framework, and the entries
of its self-assessments. They belong to a system (or an organisation), never to a stay, and
every edit is a new event, so earlier versions and who made them stay visible."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar

from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import ActionStatus, Payload
from homeflow.domain.improvement.frameworks import check_name

# The longest text a cell of an assessment may hold (the seed's longest is under 600).
MAX_CELL_CHARS = 4000


def require(field: str, value: str) -> None:
    if not value.strip():
        raise InvalidInput(field, "is required and cannot be blank")


def check_length(field: str, value: str) -> None:
    if len(value) > MAX_CELL_CHARS:
        raise InvalidInput(field, f"is longer than {MAX_CELL_CHARS} characters")


@dataclass(frozen=True, slots=True)
class FrameworkDefined(Payload):
    """A system's locally agreed tips (or changes), as a framework of its own."""

    TYPE: ClassVar[str] = "framework-defined"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    system: str
    name: str
    title: str
    version: str
    tips: tuple[str, ...]

    def __post_init__(self) -> None:
        require("system", self.system)
        check_name("name", self.name)
        require("title", self.title)
        require("version", self.version)
        if not self.tips:
            raise InvalidInput("tips", "a framework needs at least one tip")
        for tip in self.tips:
            require("tips", tip)
            check_length("tips", tip)


@dataclass(frozen=True, slots=True)
class AssessmentEntryRecorded(Payload):
    """One "where are you now" entry of a self-assessment, with every cell as it was written.

    `item_code` is the change or tip the entry is about; `change_cell` is that column's text as
    typed (empty where a row continues the change above), so the sheet exports as it came in.
    The same `entry_id` again is an edit; `removed` takes the entry off the assessment.
    """

    TYPE: ClassVar[str] = "assessment-entry-recorded"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    system: str
    framework: str
    assessed_on: date
    entry_id: str
    position: int
    item_code: str
    change_cell: str = ""
    where_now: str = ""
    status: str = ""
    spread: str = ""
    gaps: str = ""
    to_do: str = ""
    when_by: str = ""
    owner: str = ""
    evidence: str = ""
    removed: bool = False

    def __post_init__(self) -> None:
        require("system", self.system)
        check_name("framework", self.framework)
        require("entry_id", self.entry_id)
        require("item_code", self.item_code)
        if self.position < 0:
            raise InvalidInput("position", "cannot be negative")
        for name in CELL_FIELDS:
            check_length(name, getattr(self, name))


# The text cells of an entry, in the order of the sheet's columns.
CELL_FIELDS = (
    "change_cell",
    "where_now",
    "status",
    "spread",
    "gaps",
    "to_do",
    "when_by",
    "owner",
    "evidence",
)


class Decision(StrEnum):
    """What a PDSA cycle's Act decided (IHI Model for Improvement)."""

    ADOPT = "adopt"
    ADAPT = "adapt"
    ABANDON = "abandon"


class MeasureRole(StrEnum):
    OUTCOME = "outcome"
    PROCESS = "process"
    BALANCING = "balancing"


# "series": a manual series, named by its id in the place (with the KPI "manual").
MEASURE_LEVELS = ("ward", "site", "org", "system", "series")


def check_measure(field: str, text: str) -> str:
    """A measure a project follows, written `role:kpi:level:place` (e.g.
    `outcome:delayed-days:site:RX101`); the KPI itself is checked against the KPIs where the
    record is made, since the domain does not hold them."""
    parts = text.split(":")
    if len(parts) != 4 or not all(parts):
        raise InvalidInput(field, f"{text!r} is not role:kpi:level:place")
    role, _, level, _ = parts
    if role not in {r.value for r in MeasureRole}:
        raise InvalidInput(field, f"{role!r} is not outcome, process or balancing")
    if level not in MEASURE_LEVELS:
        raise InvalidInput(field, f"{level!r} is not one of {', '.join(MEASURE_LEVELS)}")
    return text


@dataclass(frozen=True, slots=True)
class ProjectRecorded(Payload):
    """An improvement project the Model for Improvement way: the aim (what, by how much, by
    when), its driver diagram and the measures it follows. The same id again is an edit.

    Each driver line is `primary > secondary > change idea` (the diagram read left to right);
    each measure is `role:kpi:level:place`.
    """

    TYPE: ClassVar[str] = "project-recorded"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    system: str
    project_id: str
    title: str
    aim: str
    aim_kpi: str
    aim_level: str
    aim_place: str
    aim_target: float
    aim_by: date
    drivers: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    lead: str = ""

    def __post_init__(self) -> None:
        for name in ("system", "project_id", "title", "aim", "aim_kpi", "aim_place"):
            require(name, getattr(self, name))
        if self.aim_level not in MEASURE_LEVELS:
            raise InvalidInput(
                "aim_level", f"{self.aim_level!r} is not one of {', '.join(MEASURE_LEVELS)}"
            )
        for line in self.drivers:
            if len([p for p in line.split(">") if p.strip()]) != 3:
                raise InvalidInput("drivers", f"{line!r} is not primary > secondary > change idea")
        for measure in self.measures:
            check_measure("measures", measure)


@dataclass(frozen=True, slots=True)
class PdsaRecorded(Payload):
    """One Plan-Do-Study-Act cycle testing a change idea against a measure at a place.

    Plan: the prediction (in words, and the value the measure is expected to reach), who does
    what, when and where. Do: the change date and notes. Study is computed from the measure's
    chart, never typed. Act: adopt, adapt or abandon. The same id again is an edit.
    """

    TYPE: ClassVar[str] = "pdsa-recorded"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    system: str
    project_id: str
    pdsa_id: str
    change_idea: str
    kpi: str
    level: str
    place: str
    change_date: date
    prediction: str
    measure: str = ""
    predicted_value: float | None = None
    plan_who: str = ""
    plan_what: str = ""
    plan_when: str = ""
    plan_where: str = ""
    do_notes: str = ""
    study_notes: str = ""
    decision: Decision | None = None
    decision_notes: str = ""

    def __post_init__(self) -> None:
        for name in (
            "system",
            "project_id",
            "pdsa_id",
            "change_idea",
            "kpi",
            "place",
            "prediction",
        ):
            require(name, getattr(self, name))
        if self.level not in MEASURE_LEVELS:
            raise InvalidInput("level", f"{self.level!r} is not one of {', '.join(MEASURE_LEVELS)}")
        for name in ("change_idea", "prediction", "do_notes", "study_notes", "decision_notes"):
            check_length(name, getattr(self, name))


@dataclass(frozen=True, slots=True)
class ImprovementActionRecorded(Payload):
    """An action of the improvement programme: from an assessment's "what needs to be done",
    a project, or the collaborative. `about` names what it came from (a page path). The same
    id again updates it."""

    TYPE: ClassVar[str] = "improvement-action-recorded"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    system: str
    action_id: str
    description: str
    owner: str
    owner_org: str = ""
    due_date: date | None = None
    status: ActionStatus = ActionStatus.OPEN
    about: str = ""

    def __post_init__(self) -> None:
        for name in ("system", "action_id", "description", "owner"):
            require(name, getattr(self, name))
        check_length("description", self.description)


@dataclass(frozen=True, slots=True)
class SegmentSet(Payload):
    """A person's judgement of a place's smart-list segment, overriding the computed one from
    `set_on`, with the reason; `cleared` hands it back to the computation."""

    TYPE: ClassVar[str] = "segment-set"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    system: str
    level: str
    place: str
    segment: int
    reason: str
    set_on: date
    cleared: bool = False

    def __post_init__(self) -> None:
        for name in ("system", "place"):
            require(name, getattr(self, name))
        if self.level not in ("org", "site"):
            raise InvalidInput("level", f"{self.level!r} is not org or site")
        if not 1 <= self.segment <= 4:
            raise InvalidInput("segment", f"{self.segment} is not a segment from 1 to 4")
        if not self.cleared:
            require("reason", self.reason)
        check_length("reason", self.reason)
