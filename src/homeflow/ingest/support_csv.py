"""Support after discharge as CSV, from councils' and providers' systems: episodes of support,
and providers' capacity returns. Sending the same file again changes nothing; a row that
differs from what is stored is stored as its newer version. Every bad cell is reported with
its line and column, and nothing is stored unless every line is good.

Episodes: episode_id, spell_key, kind, provider, start, planned_end, end, hours_at_start,
hours_at_end, outcome, at_91_days, referrer.

Capacity (the shape of the Capacity Tracker's home-care and care-home returns): provider, kind,
on, commissioned, carers, contracted_hours, delivered_hours, vacancies, travel_share,
start_delay_days.

Dates are YYYY-MM-DD; the optional columns may be left empty.
"""

from __future__ import annotations

import csv
import io
from typing import Any, TypeVar

from homeflow.domain.after_discharge.capacity import ProviderCapacityRecorded
from homeflow.domain.after_discharge.records import SupportEpisodeRecorded
from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import Payload
from homeflow.domain.payloads import payload_from_dict

P = TypeVar("P", bound=Payload)
EPISODE_REQUIRED = ("episode_id", "spell_key", "kind", "provider", "start")
EPISODE_OPTIONAL = (
    "planned_end",
    "end",
    "hours_at_start",
    "hours_at_end",
    "outcome",
    "at_91_days",
    "referrer",
)
EPISODE_DATES = ("start", "planned_end", "end")
EPISODE_HOURS = ("hours_at_start", "hours_at_end")


class SupportFileProblems(InvalidInput):
    """Every bad cell in the file, each naming line and column."""

    def __init__(self, name: str, problems: list[str]) -> None:
        super().__init__(name, "; ".join(problems))
        self.problems = problems


def read_episodes(text: str) -> list[tuple[int, SupportEpisodeRecorded]]:
    return _read(
        text,
        SupportEpisodeRecorded,
        "episodes",
        required=EPISODE_REQUIRED,
        optional=EPISODE_OPTIONAL,
        numbers=EPISODE_HOURS,
    )


def episode_of(cells: dict[str, Any]) -> SupportEpisodeRecorded:
    """One episode from its cells (the CSV's columns; empty cells left out), or the first
    problem, naming its column."""
    return _record(cells, SupportEpisodeRecorded, EPISODE_REQUIRED, EPISODE_HOURS, ())


def read_capacity(text: str) -> list[tuple[int, ProviderCapacityRecorded]]:
    return _read(
        text,
        ProviderCapacityRecorded,
        "capacity",
        required=("provider", "kind", "on", "commissioned"),
        optional=(
            "carers",
            "contracted_hours",
            "delivered_hours",
            "vacancies",
            "travel_share",
            "start_delay_days",
        ),
        numbers=("contracted_hours", "delivered_hours", "travel_share", "start_delay_days"),
        whole_numbers=("commissioned", "carers", "vacancies"),
    )


def _read(
    text: str,
    kind: type[P],
    name: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    numbers: tuple[str, ...] = (),
    whole_numbers: tuple[str, ...] = (),
) -> list[tuple[int, P]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    missing = [c for c in required if c not in columns]
    if missing:
        raise InvalidInput(missing[0], f"column is missing from the {name} file")
    unknown = [c for c in columns if c not in required + optional]
    if unknown:
        raise InvalidInput(unknown[0], f"is not a column of the {name} file")
    found: list[tuple[int, P]] = []
    problems: list[str] = []
    seen: set[tuple[object, ...]] = set()
    for number, row in enumerate(reader, start=2):
        try:
            record = _record(row, kind, required, numbers, whole_numbers)
        except InvalidInput as problem:
            problems.append(f"line {number}, {problem.field}: {problem.reason}")
            continue
        identity = record.identity()  # type: ignore[attr-defined]
        if identity in seen:
            problems.append(f"line {number}, {required[0]}: {identity[0]!r} is listed twice")
        seen.add(identity)
        found.append((number, record))
    if problems:
        raise SupportFileProblems(name, problems)
    return found


def _record(
    row: dict[str, Any],
    kind: type[P],
    required: tuple[str, ...],
    numbers: tuple[str, ...],
    whole_numbers: tuple[str, ...],
) -> P:
    if None in row:
        raise InvalidInput("line", "has more cells than the header has columns")
    fields: dict[str, Any] = {}
    for column, text in row.items():
        value = (text or "").strip()
        if not value:
            continue
        if column in numbers:
            try:
                fields[column] = float(value)
            except ValueError:
                raise InvalidInput(column, f"{value!r} is not a number") from None
        elif column in whole_numbers:
            try:
                fields[column] = int(value)
            except ValueError:
                raise InvalidInput(column, f"{value!r} is not a whole number") from None
        else:
            fields[column] = value
    for column in required:
        if column not in fields:
            raise InvalidInput(column, "is required")
    record = payload_from_dict(kind.TYPE, fields)
    assert isinstance(record, kind)
    return record
