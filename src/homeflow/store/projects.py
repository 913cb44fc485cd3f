"""Improvement projects and PDSA cycles in the event log."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, Engine

from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.domain.improvement.projects import ProjectHistory, fold_projects
from homeflow.domain.improvement.records import PdsaRecorded, ProjectRecorded
from homeflow.domain.improvement.series import ManualSeriesRecorded, fold_series
from homeflow.store.access.audit import record
from homeflow.store.access.scope import Forbidden, Viewer
from homeflow.store.improvement import (
    append_records,
    may_edit,
    programme_event,
    programme_events,
    save_record,
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


def manual_series(conn: Connection) -> dict[str, ManualSeriesRecorded]:
    return fold_series(programme_events(conn, (ManualSeriesRecorded.TYPE,)))


def save_series(
    engine: Engine,
    series: ManualSeriesRecorded,
    viewer: Viewer | None,
    recorded_by: str | None,
    source: str,
) -> bool:
    """Store a manual series' new version, if it changed; a series id belongs to one system."""
    with engine.connect() as conn:
        owner = manual_series(conn).get(series.series_id)
    if owner is not None and owner.system != series.system:
        raise InvalidInput("series_id", f"{series.series_id!r} is already {owner.system}'s series")
    return save_record(engine, series, series.system, _series_id, viewer, recorded_by, source)


def _series_id(item: object) -> tuple[object, ...]:
    return (item.series_id,) if isinstance(item, ManualSeriesRecorded) else ()
