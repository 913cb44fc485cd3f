"""Improvement projects and their PDSA cycles, folded from their events: each record's latest
version, with every earlier one kept."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from homeflow.domain.events import Event
from homeflow.domain.improvement.records import PdsaRecorded, ProjectRecorded


@dataclass(frozen=True, slots=True)
class Edit:
    recorded_at: datetime
    recorded_by: str | None


@dataclass
class PdsaHistory:
    versions: list[tuple[Edit, PdsaRecorded]] = field(default_factory=list)

    @property
    def current(self) -> PdsaRecorded:
        return self.versions[-1][1]


@dataclass
class ProjectHistory:
    versions: list[tuple[Edit, ProjectRecorded]] = field(default_factory=list)
    pdsas: dict[str, PdsaHistory] = field(default_factory=dict)

    @property
    def current(self) -> ProjectRecorded | None:
        return self.versions[-1][1] if self.versions else None


def fold_projects(events: Iterable[Event]) -> dict[tuple[str, str], ProjectHistory]:
    """Projects by (system, project id). A PDSA recorded before its project's own record
    still belongs to it."""
    found: dict[tuple[str, str], ProjectHistory] = {}
    for event in sorted(events, key=lambda e: e.fold_order):
        record = event.payload
        edit = Edit(event.occurred_at, event.recorded_by)
        if isinstance(record, ProjectRecorded):
            found.setdefault((record.system, record.project_id), ProjectHistory()).versions.append(
                (edit, record)
            )
        elif isinstance(record, PdsaRecorded):
            project = found.setdefault((record.system, record.project_id), ProjectHistory())
            project.pdsas.setdefault(record.pdsa_id, PdsaHistory()).versions.append((edit, record))
    return found
