"""The improvement programme's records, as events: a system's own framework, and the entries
of its self-assessments. They belong to a system (or an organisation), never to a stay, and
every edit is a new event, so earlier versions and who made them stay visible."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import Payload
from homeflow.domain.improvement.frameworks import check_name

# The longest text a cell of an assessment may hold (the seed's longest is under 600).
MAX_CELL_CHARS = 4000


def _require(field: str, value: str) -> None:
    if not value.strip():
        raise InvalidInput(field, "is required and cannot be blank")


def _check_length(field: str, value: str) -> None:
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
        _require("system", self.system)
        check_name("name", self.name)
        _require("title", self.title)
        _require("version", self.version)
        if not self.tips:
            raise InvalidInput("tips", "a framework needs at least one tip")
        for tip in self.tips:
            _require("tips", tip)
            _check_length("tips", tip)


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
        _require("system", self.system)
        check_name("framework", self.framework)
        _require("entry_id", self.entry_id)
        _require("item_code", self.item_code)
        if self.position < 0:
            raise InvalidInput("position", "cannot be negative")
        for name in CELL_FIELDS:
            _check_length(name, getattr(self, name))


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

PROGRAMME_PAYLOADS: dict[str, type[Payload]] = {
    cls.TYPE: cls for cls in (FrameworkDefined, AssessmentEntryRecorded)
}
