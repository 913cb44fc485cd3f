"""Community teams' records in the event log. Like the improvement programme's they are few
beside the bed feeds (a team's caseload is hundreds of people), so they are folded from the
log when read. Who may see and record what is `domain/community/permissions`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, select

from homeflow.domain import clock
from homeflow.domain.community.caseload import Caseloads, Episode, apply, fold_caseloads
from homeflow.domain.community.directory import DirectoryService, service_from_hsds
from homeflow.domain.community.kinds import COMMUNITY_PAYLOADS
from homeflow.domain.community.permissions import Part, refusal, shared_with
from homeflow.domain.community.records import CommunityRecord, TeamDefined
from homeflow.domain.community.rules import check_record
from homeflow.domain.community.sharing import (
    ConsentRecorded,
    DirectoryServiceRecorded,
    SignpostRecorded,
)
from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import Event
from homeflow.store import schema as t
from homeflow.store.access.audit import audit
from homeflow.store.access.scope import Forbidden, NotFound, Viewer
from homeflow.store.eventlog import lock_writers
from homeflow.store.improvement import (
    append_events,
    programme_event,
    programme_events,
)
from homeflow.store.registry import home_system, system_of

CASELOAD_TYPES = tuple(t for t in COMMUNITY_PAYLOADS if t != DirectoryServiceRecorded.TYPE)


def caseloads(conn: Connection) -> Caseloads:
    return fold_caseloads(programme_events(conn, CASELOAD_TYPES))


def directory_documents(conn: Connection) -> dict[str, dict[str, Any]]:
    """Each service's latest HSDS document, by id, in the order first imported."""
    found: dict[str, dict[str, Any]] = {}
    for event in programme_events(conn, (DirectoryServiceRecorded.TYPE,)):
        assert isinstance(event.payload, DirectoryServiceRecorded)
        found[event.payload.service_id] = json.loads(event.payload.document)
    return found


def directory(conn: Connection) -> dict[str, DirectoryService]:
    return {key: service_from_hsds(doc) for key, doc in directory_documents(conn).items()}


def episode_for(
    conn: Connection, viewer: Viewer, episode_id: str
) -> tuple[Caseloads, Episode, frozenset[Part]]:
    """An episode its viewer may see, with the parts of it they may see: the holding
    organisation's users all of it, another organisation's what its consents share; anyone
    else is refused (and the refusal tells nothing more)."""
    found = caseloads(conn)
    episode = found.episodes.get(episode_id)
    if episode is None:
        raise NotFound(f"no episode {episode_id!r}")
    shared = shared_with(viewer.org_code, episode)
    if not shared:
        raise Forbidden("this person has not consented to your organisation seeing their care")
    return found, episode, shared


def save(
    engine: Engine,
    items: Sequence[CommunityRecord],
    today: date,
    viewer: Viewer | None,
    recorded_by: str | None,
    source: str,
    replay: bool = False,
) -> int:
    """Check each record against what is stored (and those before it) and whether the viewer
    may record it, then store them all with their audit rows, in one transaction under the
    writers' lock, or none. A record equal to its latest version is not stored again; in a
    `replay` (the demo built again) neither is one equal to any earlier version, so its history
    is not written twice. Returns how many were stored."""
    with engine.begin() as conn:
        lock_writers(conn)
        events = programme_events(conn, tuple(COMMUNITY_PAYLOADS))
        new = _checked(conn, events, items, today, viewer, recorded_by, source, replay)
        if not new:
            return 0
        append_events(conn, new)
        if viewer is not None:
            for event in new:
                assert isinstance(event.payload, CommunityRecord)
                names = [str(part) for part in event.payload.identity() if part != ""]
                what = " ".join([event.type, *names])
                audit(conn, viewer, "change", what)
    return len(new)


def directory_systems(conn: Connection, viewer: Viewer) -> tuple[str, str | None]:
    """The viewer's system and the directory's (domain/community/permissions)."""
    return system_of(conn, viewer.org_code), home_system(conn)


def _checked(
    conn: Connection,
    events: list[Event],
    items: Sequence[CommunityRecord],
    today: date,
    viewer: Viewer | None,
    recorded_by: str | None,
    source: str,
    replay: bool,
) -> list[Event]:
    """The records to store as events: each one the viewer may record, checked against the
    caseloads as they stand with the records before it."""
    organisations = set(conn.scalars(select(t.organisations.c.code)))
    services = {
        e.payload.service_id for e in events if isinstance(e.payload, DirectoryServiceRecorded)
    }
    history: dict[tuple[str, tuple[object, ...]], list[CommunityRecord]] = {}
    for e in events:
        assert isinstance(e.payload, CommunityRecord)
        history.setdefault((e.payload.TYPE, e.payload.identity()), []).append(e.payload)
    now = clock.now()
    folded = fold_caseloads(events)
    systems = directory_systems(conn, viewer) if viewer is not None else ("", None)
    new = []
    for item in items:
        if viewer is not None:
            why = refusal(viewer.org_code, viewer.role, folded, item, systems)
            if why is not None:
                raise Forbidden(why)
        versions = history.setdefault((item.TYPE, item.identity()), [])
        if (versions and versions[-1] == item) or (replay and item in versions):
            continue
        _check_references(item, organisations, services)
        check_record(folded, item, today)
        event = programme_event(item, len(versions), recorded_by, source, now)
        new.append(event)
        versions.append(item)
        apply(folded, event)
        if isinstance(item, DirectoryServiceRecorded):
            services.add(item.service_id)
    return new


def _check_references(item: CommunityRecord, organisations: set[str], services: set[str]) -> None:
    if isinstance(item, ConsentRecorded) and item.org_code not in organisations:
        raise InvalidInput("org_code", f"{item.org_code!r} is not an organisation in the registry")
    if isinstance(item, TeamDefined) and item.org_code not in organisations:
        raise InvalidInput("org_code", f"{item.org_code!r} is not an organisation in the registry")
    if isinstance(item, SignpostRecorded) and item.service_id not in services:
        raise InvalidInput("service_id", f"{item.service_id!r} is not in the directory")
