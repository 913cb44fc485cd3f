"""Community teams' records in the event log. Like the improvement programme's they are few
beside the bed feeds (a team's caseload is hundreds of people), so they are folded from the
log when read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from homeflow.domain.community.caseload import Caseloads, Episode, apply, fold_caseloads
from homeflow.domain.community.directory import DirectoryService, service_from_hsds
from homeflow.domain.community.kinds import (
    COMMUNITY_PAYLOADS,
)
from homeflow.domain.community.records import (
    CommunityRecord,
    EpisodeOpened,
    TeamDefined,
)
from homeflow.domain.community.rules import check_record
from homeflow.domain.community.sharing import (
    ConsentRecorded,
    DirectoryServiceRecorded,
    SignpostRecorded,
)
from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import RECORDS_CARE, REVIEWS_DIRECTORY, Role
from homeflow.store import schema as t
from homeflow.store.access.audit import record as audit
from homeflow.store.access.scope import Forbidden, NotFound, Viewer
from homeflow.store.improvement import append_records, programme_event, programme_events

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


def episode_for(conn: Connection, viewer: Viewer, episode_id: str) -> tuple[Caseloads, Episode]:
    """An episode its viewer may see: the treating trust's users, or another organisation's
    with the person's consent; anyone else is refused (and the refusal tells nothing more)."""
    found = caseloads(conn)
    episode = found.episodes.get(episode_id)
    if episode is None:
        raise NotFound(f"no episode {episode_id!r}")
    if not found.may_see_plan(viewer.org_code, episode):
        raise Forbidden("this person has not consented to your organisation seeing their plan")
    return found, episode


def may_record(viewer: Viewer, caseloads_now: Caseloads, item: CommunityRecord) -> bool:
    """The treating trust's clinical staff and admins record a person's care; a team is
    defined by its trust's admins; the directory is kept by coordinators and admins."""
    if isinstance(item, TeamDefined):
        return viewer.role is Role.ADMIN and viewer.org_code == item.org_code
    if isinstance(item, DirectoryServiceRecorded):
        # The directory is the system's: its coordinators and admins assure its services.
        return viewer.role in REVIEWS_DIRECTORY
    if isinstance(item, EpisodeOpened):
        team = caseloads_now.teams.get(item.team_code)
        org = team.org_code if team else ""
    elif isinstance(item, ConsentRecorded):
        org = next(
            (
                e.org_code
                for e in caseloads_now.episodes.values()
                if e.opened.nhs_number == item.nhs_number
            ),
            "",
        )
    else:
        episode = caseloads_now.episodes.get(getattr(item, "episode_id", ""))
        org = episode.org_code if episode else ""
    return viewer.role in RECORDS_CARE and viewer.org_code == org


def save(
    engine: Engine,
    items: Sequence[CommunityRecord],
    today: date,
    viewer: Viewer | None,
    recorded_by: str | None,
    source: str,
    replay: bool = False,
) -> int:
    """Check each record against what is stored (and those before it), then store them all in
    one transaction, or none. A record equal to its latest version is not stored again; in a
    `replay` (the demo built again) neither is one equal to any earlier version, so its history
    is not written twice. Returns how many were stored."""
    with engine.connect() as conn:
        events = programme_events(conn, tuple(COMMUNITY_PAYLOADS))
        organisations = set(conn.scalars(select(t.organisations.c.code)))
        services = {
            e.payload.service_id for e in events if isinstance(e.payload, DirectoryServiceRecorded)
        }
    history: dict[tuple[str, tuple[object, ...]], list[CommunityRecord]] = {}
    for e in events:
        assert isinstance(e.payload, CommunityRecord)
        history.setdefault((e.payload.TYPE, e.payload.identity()), []).append(e.payload)
    now = datetime.now(UTC)
    folded = fold_caseloads(events)
    new = []
    for item in items:
        if viewer is not None and not may_record(viewer, folded, item):
            raise Forbidden("only the treating trust's clinical staff record a person's care")
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
    append_records(engine, new)
    if viewer is not None:
        for event in new:
            assert isinstance(event.payload, CommunityRecord)
            what = " ".join([event.type, *map(str, event.payload.identity())])
            audit(engine, viewer, "change", what)
    return len(new)


def _check_references(item: CommunityRecord, organisations: set[str], services: set[str]) -> None:
    if isinstance(item, ConsentRecorded) and item.org_code not in organisations:
        raise InvalidInput("org_code", f"{item.org_code!r} is not an organisation in the registry")
    if isinstance(item, TeamDefined) and item.org_code not in organisations:
        raise InvalidInput("org_code", f"{item.org_code!r} is not an organisation in the registry")
    if isinstance(item, SignpostRecorded) and item.service_id not in services:
        raise InvalidInput("service_id", f"{item.service_id!r} is not in the directory")
