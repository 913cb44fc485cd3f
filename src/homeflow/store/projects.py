"""Improvement projects and PDSA cycles in the event log."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, Engine

from homeflow.domain import events as ev
from homeflow.domain.improvement.projects import ProjectHistory, fold_projects
from homeflow.domain.improvement.records import PdsaRecorded, ProjectRecorded
from homeflow.store.access.audit import record
from homeflow.store.access.scope import Forbidden, Viewer
from homeflow.store.improvement import (
    append_records,
    may_edit,
    programme_event,
    programme_events,
)

PROJECT_TYPES = (ProjectRecorded.TYPE, PdsaRecorded.TYPE)


def projects(conn: Connection) -> dict[tuple[str, str], ProjectHistory]:
    return fold_projects(programme_events(conn, PROJECT_TYPES))


def save(
    engine: Engine,
    records: list[ProjectRecorded | PdsaRecorded],
    recorded_by: str | None,
    source: str,
    viewer: Viewer | None = None,
) -> int:
    """Store the records that differ from their latest version; a signed-in `viewer` must
    keep the system's records, and each change is audited. Returns how many were stored."""
    now = datetime.now(UTC)
    new: list[ev.Event] = []
    with engine.connect() as conn:
        stored = projects(conn)
        for item in records:
            if viewer is not None and not may_edit(conn, viewer, item.system):
                raise Forbidden(
                    f"only {item.system}'s coordinators, analysts and admins edit its projects"
                )
            project = stored.get((item.system, item.project_id))
            versions: list[ProjectRecorded] | list[PdsaRecorded] = []
            if isinstance(item, ProjectRecorded):
                versions = [r for _, r in project.versions] if project else []
            else:
                history = project.pdsas.get(item.pdsa_id) if project else None
                versions = [r for _, r in history.versions] if history else []
            if versions and versions[-1] == item:
                continue
            new.append(programme_event(item, len(versions), recorded_by, source, now))
    append_records(engine, new)
    for event in new if viewer is not None else []:
        changed = event.payload
        if isinstance(changed, PdsaRecorded):
            what = f"pdsa {changed.system} {changed.project_id} {changed.pdsa_id}"
        elif isinstance(changed, ProjectRecorded):
            what = f"project {changed.system} {changed.project_id}"
        assert viewer is not None
        record(engine, viewer, "change", what)
    return len(new)
