"""Improvement projects and PDSA cycles in the event log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine

from homeflow.domain import clock
from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.domain.improvement.projects import Edit, ProjectHistory, fold_projects
from homeflow.domain.improvement.records import PdsaRecorded, ProjectRecorded
from homeflow.domain.improvement.series import ManualSeriesRecorded, fold_series
from homeflow.store.access.audit import audit
from homeflow.store.access.scope import Conflict, Viewer
from homeflow.store.eventlog import lock_writers
from homeflow.store.improvement import (
    append_events,
    check_keeper,
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
    adding: bool = False,
    seen: int | None = None,
) -> int:
    """Store the records that differ from their latest version; a signed-in `viewer` must
    keep the system's records, and each change is audited, all in one transaction. When
    `adding`, a record whose id is already taken is refused; with `seen` (the versions the
    form showed), a record someone has changed since is refused. Returns how many were
    stored."""
    now = clock.now()
    new: list[ev.Event] = []
    with engine.begin() as conn:
        lock_writers(conn)
        stored = projects(conn)
        for item in records:
            if viewer is not None:
                check_keeper(conn, viewer, item.system)
            edits = _versions(stored.get((item.system, item.project_id)), item)
            versions = [record for _, record in edits]
            if adding and versions:
                raise InvalidInput(*_taken(item))
            if seen is not None and edits and len(edits) != seen:
                last, _ = edits[-1]
                raise Conflict(item.TYPE, str(len(edits)), last.recorded_by, last.recorded_at)
            if versions and versions[-1] == item:
                continue
            new.append(programme_event(item, len(versions), recorded_by, source, now))
        append_events(conn, new)
        for event in new if viewer is not None else []:
            assert viewer is not None
            audit(conn, viewer, "change", _what(event.payload))
    return len(new)


def _versions(
    project: ProjectHistory | None, item: ProjectRecorded | PdsaRecorded
) -> Sequence[tuple[Edit, ProjectRecorded | PdsaRecorded]]:
    if isinstance(item, ProjectRecorded):
        return project.versions if project else []
    history = project.pdsas.get(item.pdsa_id) if project else None
    return history.versions if history else []


def _taken(item: ProjectRecorded | PdsaRecorded) -> tuple[str, str]:
    if isinstance(item, PdsaRecorded):
        return "pdsa_id", f"{item.pdsa_id!r} is already a PDSA of this project"
    return "project_id", f"{item.project_id!r} is already a project of {item.system}"


def _what(changed: ev.Payload) -> str:
    if isinstance(changed, PdsaRecorded):
        return f"pdsa {changed.system} {changed.project_id} {changed.pdsa_id}"
    assert isinstance(changed, ProjectRecorded)
    return f"project {changed.system} {changed.project_id}"


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
    return save_record(
        engine, series, series.system, _series_id, viewer, recorded_by, source, _one_system
    )


def _one_system(conn: Connection, series: ev.Payload) -> None:
    assert isinstance(series, ManualSeriesRecorded)
    owner = manual_series(conn).get(series.series_id)
    if owner is not None and owner.system != series.system:
        raise InvalidInput("series_id", f"{series.series_id!r} is already {owner.system}'s series")


def _series_id(item: object) -> tuple[object, ...]:
    return (item.series_id,) if isinstance(item, ManualSeriesRecorded) else ()
