"""Episodes of support after discharge as CSV, from councils' and community providers' systems.

One row per episode as the provider knows it now: sending the same file again changes nothing,
and a row that differs from what is stored (the episode ended, its hours changed) is stored as
the episode's newer version. Every bad cell is reported with its line and column, and nothing
is stored unless every line is good.

Columns: episode_id, spell_key, kind, provider, start, planned_end, end, hours_at_start,
hours_at_end, outcome, at_91_days, referrer (dates YYYY-MM-DD; the optional ones may be empty).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from homeflow.domain.after_discharge.records import SupportEpisodeRecorded
from homeflow.domain.errors import InvalidInput
from homeflow.domain.payloads import payload_from_dict

REQUIRED = ("episode_id", "spell_key", "kind", "provider", "start")
OPTIONAL = (
    "planned_end",
    "end",
    "hours_at_start",
    "hours_at_end",
    "outcome",
    "at_91_days",
    "referrer",
)
NUMBERS = ("hours_at_start", "hours_at_end")


class EpisodeProblems(InvalidInput):
    """Every bad cell in the file, each naming line and column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("episodes", "; ".join(problems))
        self.problems = problems


def read_episodes(text: str) -> list[tuple[int, SupportEpisodeRecorded]]:
    """Each line's episode, with its line number; EpisodeProblems for any bad line."""
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InvalidInput(missing[0], "column is missing from the episodes file")
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise InvalidInput(unknown[0], "is not a column of the episodes file")
    found: list[tuple[int, SupportEpisodeRecorded]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        try:
            episode = _episode(row)
        except InvalidInput as problem:
            problems.append(f"line {number}, {problem.field}: {problem.reason}")
            continue
        if episode.episode_id in seen:
            problems.append(f"line {number}, episode_id: {episode.episode_id!r} is listed twice")
        seen.add(episode.episode_id)
        found.append((number, episode))
    if problems:
        raise EpisodeProblems(problems)
    return found


def _episode(row: dict[str, Any]) -> SupportEpisodeRecorded:
    if None in row:
        raise InvalidInput("line", "has more cells than the header has columns")
    fields: dict[str, Any] = {}
    for column, text in row.items():
        value = (text or "").strip()
        if not value:
            continue
        if column in NUMBERS:
            try:
                fields[column] = float(value)
            except ValueError:
                raise InvalidInput(column, f"{value!r} is not a number of hours") from None
        else:
            fields[column] = value
    for column in REQUIRED:
        if column not in fields:
            raise InvalidInput(column, "is required")
    payload = payload_from_dict(SupportEpisodeRecorded.TYPE, fields)
    assert isinstance(payload, SupportEpisodeRecorded)
    return payload
