"""The self-assessment sheet users already keep, read into entries and written back.

Its columns are the seed spreadsheet's (impact change, where are you now, status, spread,
gaps, what needs to be done, when by), with owner and evidence when a sheet has them. A row
whose change cell is empty continues the change above. Every cell is kept as written, so a
sheet read and written again gives the same text in every cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from homeflow.domain.errors import InvalidInput
from homeflow.domain.improvement.frameworks import Framework, item_for, read_status
from homeflow.domain.improvement.records import CELL_FIELDS, AssessmentEntryRecorded

# Each column's heading as written on export, and the other headings read as the same column.
HEADINGS: dict[str, tuple[str, ...]] = {
    "change_cell": ("Impact change", "Change", "Tip", "Top tip", "Element"),
    "where_now": ("Where are you now",),
    "status": ("Status",),
    "spread": ("Spread",),
    "gaps": ("Gaps",),
    "to_do": ("What needs to be done",),
    "when_by": ("When by",),
    "owner": ("Owner",),
    "evidence": ("Evidence",),
}
REQUIRED = CELL_FIELDS[:7]
OPTIONAL = CELL_FIELDS[7:]


def heading(field: str) -> str:
    return HEADINGS[field][0]


def column_of(text: str) -> str | None:
    wanted = " ".join(text.split()).lower()
    for name, headings in HEADINGS.items():
        if wanted in (h.lower() for h in headings):
            return name
    return None


@dataclass(frozen=True, slots=True)
class SheetRow:
    line: int
    cells: dict[str, str]  # field name to the cell's text as written


class SheetProblems(InvalidInput):
    """Every bad cell of a sheet, each naming its line and column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("file", "; ".join(problems))
        self.problems = problems


def header_fields(line: int, header: Sequence[str]) -> list[str]:
    """The field each column of the header row holds; a missing or unknown column is refused."""
    fields: list[str] = []
    problems: list[str] = []
    for number, text in enumerate(header, start=1):
        name = column_of(text)
        if name is None and text.strip():
            problems.append(f"line {line}, column {number} {text!r}: not a column of the sheet")
        elif name in fields:
            problems.append(f"line {line}, column {number} {text!r}: the column is there twice")
        fields.append(name or "")
    for name in REQUIRED:
        if name not in fields:
            problems.append(f"line {line}, column {heading(name)!r}: is missing")
    if problems:
        raise SheetProblems(problems)
    return fields


@dataclass(frozen=True, slots=True)
class ReadSheet:
    entries: list[AssessmentEntryRecorded]
    flags: list[str]  # words kept as written that the framework does not know


def entries_from_rows(
    framework: Framework, system: str, assessed_on: date, rows: Sequence[SheetRow]
) -> ReadSheet:
    """The sheet's rows as entries of an assessment; every problem names line and column."""
    entries: list[AssessmentEntryRecorded] = []
    problems: list[str] = []
    flags: list[str] = []
    item_code: str | None = None
    for position, row in enumerate(rows):
        cells = {name: row.cells.get(name, "") for name in CELL_FIELDS}
        at = f"line {row.line}"
        change = cells["change_cell"]
        if change.strip():
            item = item_for(framework, change)
            if item is None:
                problems.append(
                    f"{at}, column {heading('change_cell')!r}: {change!r} is not a change of "
                    f"{framework.name}"
                )
                continue
            item_code = item.code
        elif item_code is None:
            problems.append(
                f"{at}, column {heading('change_cell')!r}: the first row must name a change"
            )
            continue
        status = read_status(framework, cells["status"])
        if status.unknown and not status.levels:
            known = ", ".join(level.name for level in framework.levels)
            problems.append(
                f"{at}, column 'Status': {cells['status']!r} is not a maturity level of "
                f"{framework.name} ({known})"
            )
            continue
        flags.extend(
            f"{at}, column 'Status': {word!r} is not a maturity level; kept as written"
            for word in status.unknown
        )
        try:
            entries.append(
                AssessmentEntryRecorded(
                    system=system,
                    framework=framework.name,
                    assessed_on=assessed_on,
                    entry_id=f"row-{position + 1}",
                    position=position + 1,
                    item_code=item_code,
                    change_cell=cells["change_cell"],
                    where_now=cells["where_now"],
                    status=cells["status"],
                    spread=cells["spread"],
                    gaps=cells["gaps"],
                    to_do=cells["to_do"],
                    when_by=cells["when_by"],
                    owner=cells["owner"],
                    evidence=cells["evidence"],
                )
            )
        except InvalidInput as problem:
            column = heading(problem.field) if problem.field in HEADINGS else problem.field
            problems.append(f"{at}, column {column!r}: {problem.reason}")
    if problems:
        raise SheetProblems(problems)
    return ReadSheet(entries, flags)


def sheet_columns(entries: Sequence[AssessmentEntryRecorded]) -> list[str]:
    """The fields a sheet of these entries has: the seven always, owner and evidence when
    any entry has them."""
    extra = [name for name in OPTIONAL if any(getattr(e, name) for e in entries)]
    return [*REQUIRED, *extra]


def rows_of(
    framework: Framework, entries: Sequence[AssessmentEntryRecorded], columns: Sequence[str]
) -> list[list[str]]:
    """The sheet's cells. An entry added in the browser has no change cell of its own; where
    the row above is about another change, its change's title is written, so the sheet reads
    back as it stands."""
    rows = []
    above: str | None = None
    for entry in entries:
        cells = {name: getattr(entry, name) for name in columns}
        if not cells["change_cell"].strip() and entry.item_code != above:
            cells["change_cell"] = framework.item(entry.item_code).title
        above = entry.item_code
        rows.append([cells[name] for name in columns])
    return rows
