"""The improvement pages' forms, posted fields to records: every problem names its field."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from datetime import date

from homeflow.domain.clock import parse_day
from homeflow.domain.errors import InvalidInput, Problems
from homeflow.domain.improvement.records import Decision, PdsaRecorded, ProjectRecorded

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


def _text(fields: Mapping[str, str], name: str) -> str:
    return fields.get(name, "").strip()


def _number(fields: Mapping[str, str], name: str, required: bool) -> float | None:
    text = _text(fields, name)
    if not text:
        if required:
            raise InvalidInput(name, "is required")
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(name, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidInput(name, f"{text!r} is not a number")
    return value


def _day(fields: Mapping[str, str], name: str) -> date:
    text = _text(fields, name)
    if not text:
        raise InvalidInput(name, "is required")
    return parse_day(name, text)


def check_id(field: str, value: str) -> str:
    if not ID_PATTERN.match(value):
        raise InvalidInput(field, f"{value!r} is not an id (lower-case letters, digits and -)")
    return value


def _lines(fields: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in fields.get(name, "").splitlines() if line.strip())


# The cells that say where a change stands: an entry with all of them blank says nothing.
SAYING_CELLS = ("where_now", "status", "gaps", "to_do")
# Dates as people write them in a "When by" cell among other words: 31/12/2027, 31-12-27,
# 31.12.2027 or 2027-12-31.
DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")
YEAR_MONTH_DAY = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")


def _dates_written(text: str) -> list[tuple[str, int, int, int]]:
    """Each date in the text: as written, its year, month and day (a two-digit year is of
    this century)."""
    found = [
        (
            m.group(0),
            int(m.group(3)) + (2000 if len(m.group(3)) == 2 else 0),
            int(m.group(2)),
            int(m.group(1)),
        )
        for m in DAY_MONTH_YEAR.finditer(text)
    ]
    found += [
        (m.group(0), int(m.group(1)), int(m.group(2)), int(m.group(3)))
        for m in YEAR_MONTH_DAY.finditer(text)
    ]
    return found


def entry_cells(fields: Mapping[str, str], names: Sequence[str], limit: int) -> dict[str, str]:
    """A self-assessment entry's cells as typed, or every problem with them at once: a cell
    longer than `limit`, an entry that says nothing (where the change stands, its status, its
    gaps and what needs doing all blank), a date in "When by" that no calendar has."""
    cells = {name: fields.get(name, "") for name in names}
    problems = Problems()
    for name, text in cells.items():
        if len(text) > limit:
            problems.add(name, f"is {len(text):,} characters; at most {limit:,}")
    if not any(cells.get(name, "").strip() for name in SAYING_CELLS):
        problems.add(
            "where_now",
            "say where the change stands now, or give its status, gaps or what needs to be done",
        )
    for written, year, month, day in _dates_written(cells.get("when_by", "")):
        try:
            date(year, month, day)
        except ValueError:
            problems.add("when_by", f"{written!r} is not a date (dd/mm/yyyy)")
    problems.done()
    return cells


def project_from_form(system: str, fields: Mapping[str, str]) -> ProjectRecorded:
    """A project: drivers one `primary > secondary > change idea` a line, measures one
    `role:kpi:level:place` a line."""
    target = _number(fields, "aim_target", required=True)
    assert target is not None
    return ProjectRecorded(
        system=system,
        project_id=check_id("project_id", _text(fields, "project_id")),
        title=_text(fields, "title"),
        aim=_text(fields, "aim"),
        aim_kpi=_text(fields, "aim_kpi"),
        aim_level=_text(fields, "aim_level"),
        aim_place=_text(fields, "aim_place"),
        aim_target=target,
        aim_by=_day(fields, "aim_by"),
        drivers=_lines(fields, "drivers"),
        measures=_lines(fields, "measures"),
        lead=_text(fields, "lead"),
    )


def pdsa_from_form(
    system: str, project_id: str, fields: Mapping[str, str], before: PdsaRecorded | None
) -> PdsaRecorded:
    """A new cycle (Plan and Do), or an existing one's Do, Study notes and Act."""
    decision_text = _text(fields, "decision")
    try:
        decision = Decision(decision_text) if decision_text else None
    except ValueError:
        allowed = ", ".join(d.value for d in Decision)
        raise InvalidInput("decision", f"{decision_text!r} is not one of: {allowed}") from None
    if before is not None:
        return dataclasses.replace(
            before,
            do_notes=_text(fields, "do_notes"),
            study_notes=_text(fields, "study_notes"),
            decision=decision,
            decision_notes=_text(fields, "decision_notes"),
        )
    return PdsaRecorded(
        system=system,
        project_id=project_id,
        pdsa_id=check_id("pdsa_id", _text(fields, "pdsa_id")),
        change_idea=_text(fields, "change_idea"),
        kpi=_text(fields, "kpi"),
        measure=_text(fields, "measure"),
        level=_text(fields, "level"),
        place=_text(fields, "place"),
        change_date=_day(fields, "change_date"),
        prediction=_text(fields, "prediction"),
        predicted_value=_number(fields, "predicted_value", required=False),
        plan_who=_text(fields, "plan_who"),
        plan_what=_text(fields, "plan_what"),
        plan_when=_text(fields, "plan_when"),
        plan_where=_text(fields, "plan_where"),
        do_notes=_text(fields, "do_notes"),
    )
