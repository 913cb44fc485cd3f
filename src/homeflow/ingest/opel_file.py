"""Providers' OPEL parameters fed as a file: CSV with the columns org_code, date, parameter,
value, or JSON, a list of objects with the same names. Every bad cell is reported with its place
(a CSV's line, or a JSON list's item, counted from 1) and field, and nothing is stored unless every
line is good. Sending the same file again changes nothing; a changed value is its correction."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from homeflow.domain.clock import parse_date
from homeflow.domain.errors import InvalidInput
from homeflow.domain.opel import OpelParameterEntered

COLUMNS = ("org_code", "date", "parameter", "value")


class OpelFileProblems(InvalidInput):
    """Every bad line in the file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("file", "; ".join(problems))
        self.problems = problems


def read_opel_file(text: str, is_json: bool) -> list[OpelParameterEntered]:
    rows = _json_rows(text) if is_json else _csv_rows(text)
    found: list[OpelParameterEntered] = []
    problems: list[str] = []
    seen: set[tuple[object, ...]] = set()
    for line, row in rows:
        try:
            record = entry_of(row)
        except InvalidInput as problem:
            problems.append(f"{line}, {problem.field}: {problem.reason}")
            continue
        if record.identity() in seen:
            problems.append(f"{line}, parameter: {record.parameter} is given twice that day")
        seen.add(record.identity())
        found.append(record)
    if problems:
        raise OpelFileProblems(problems)
    return found


def entry_of(row: dict[str, Any]) -> OpelParameterEntered:
    """One value from its fields (a form's or a file's), or the first problem, naming it."""
    unknown = sorted(set(row) - set(COLUMNS))
    if unknown:
        raise InvalidInput(unknown[0], "is not a field of an OPEL parameter")
    for name in COLUMNS:
        if row.get(name) is None or str(row[name]).strip() == "":
            raise InvalidInput(name, "is required")
    return OpelParameterEntered(
        str(row["org_code"]).strip(),
        parse_date("date", str(row["date"]).strip()),
        str(row["parameter"]).strip(),
        _number(row["value"]),
    )


def _number(given: Any) -> float:
    if isinstance(given, bool):
        raise InvalidInput("value", "must be a number")
    try:
        value = float(str(given).strip())
    except ValueError:
        raise InvalidInput("value", f"{given!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidInput("value", f"{given!r} is not a number")
    return value


def _csv_rows(text: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise InvalidInput(missing[0], "column is missing from the OPEL file")
    rows = []
    for number, row in enumerate(reader, start=2):
        if None in row:
            raise InvalidInput(f"line {number}", "has more cells than the header has columns")
        rows.append((f"line {number}", dict(row)))
    return rows


def _json_rows(text: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput("file", f"is not JSON: {error.msg} at line {error.lineno}") from None
    if not isinstance(items, list):
        raise InvalidInput("file", "must be a JSON list of objects")
    rows = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InvalidInput(f"item {number}", "must be an object of named fields")
        rows.append((f"item {number}", item))
    return rows
