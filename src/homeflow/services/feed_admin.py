"""The integration engineer's day in the browser (journey 10): each feed's health, its
refused and held messages with the field and the reason, its mapping edited and checked, and
a replay of what the mapping now maps.

A feed belongs to the organisation its mapping names, and only those who run it (its
organisation's admins, its system's admins: `domain/feeds`) see its messages as sent (patient
data, each look audited), change its mapping or replay it; a feed they do not run is not
listed, and any other attempt is refused (403, audited by the error page). The organisation
a mapping names is kept: a replay applies it, and a new mapping may not change it. Each change
and each replay writes its audit row in the transaction that stores it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine

from homeflow.domain.errors import InvalidInput
from homeflow.domain.feeds import feed_refusal, organisation_refusal, role_refusal
from homeflow.domain.toml_text import read_toml
from homeflow.ingest.feeds import replay_in
from homeflow.ingest.mapping import FeedMapping, mapping_from_dict
from homeflow.store.access import Forbidden, Viewer, record
from homeflow.store.access.audit import audit
from homeflow.store.db import reading
from homeflow.store.eventlog import lock_writers
from homeflow.store.feed_messages import (
    HELD,
    REJECTED,
    FeedHealth,
    StoredMessage,
    feed_health,
    list_messages,
)
from homeflow.store.registry import organisations_within, systems

SOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
MAX_MAPPING_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class Feed:
    health: FeedHealth
    owner: str | None  # the organisation its mapping names
    refused: list[StoredMessage]  # rejected and held, newest first
    mapping: str  # the mapping file's text, "" when the feed has none


def _source(source: str) -> str:
    if not SOURCE.match(source):
        raise InvalidInput("source", f"{source!r} is not a feed name (letters, digits, . _ -)")
    return source


def mapping_file(folder: Path, source: str) -> Path:
    return folder / f"{_source(source)}.toml"


def _stored(folder: Path, source: str) -> str | None:
    """The feed's mapping as kept in the mappings folder, None when it has none."""
    if not SOURCE.match(source):
        return None
    path = mapping_file(folder, source)
    return path.read_text("utf-8") if path.exists() else None


def _owner(stored: str | None) -> str | None:
    """The organisation a kept mapping names (None: none, or a file no longer readable)."""
    if stored is None:
        return None
    try:
        return read_mapping(stored).organisation
    except InvalidInput:
        return None


def _check(conn: Connection, viewer: Viewer, source: str, owner: str | None) -> list[str]:
    """The organisations `viewer` administers, once they may run this feed."""
    administered = organisations_within(conn, viewer.org_code)
    refusal = feed_refusal(viewer.role, viewer.org_code, owner, administered, systems(conn))
    if refusal is not None:
        raise Forbidden(f"feed {source}: {refusal}")
    return administered


def feeds(engine: Engine, viewer: Viewer, folder: Path, now: datetime) -> list[Feed]:
    """The feeds `viewer` runs, each with its refused and held messages as sent."""
    if (not_an_admin := role_refusal(viewer.role)) is not None:
        raise Forbidden(not_an_admin)
    with reading(engine) as conn:
        administered, icbs = organisations_within(conn, viewer.org_code), systems(conn)
    found = []
    for health in feed_health(engine, now):
        stored = _stored(folder, health.source)
        owner = _owner(stored)
        if feed_refusal(viewer.role, viewer.org_code, owner, administered, icbs) is None:
            refused = list_messages(engine, (REJECTED, HELD), 50, health.source)
            found.append(Feed(health, owner, refused, stored or ""))
    shown = [feed.health.source for feed in found if feed.refused]
    if shown:
        record(engine, viewer, "view", f"refused messages of feeds {', '.join(shown)}")
    return found


def read_mapping(text: str) -> FeedMapping:
    """A mapping as typed, checked as a mapping file is (an error names the field)."""
    if len(text) > MAX_MAPPING_CHARS:
        raise InvalidInput("mapping", f"is {len(text):,} characters; at most {MAX_MAPPING_CHARS:,}")
    return mapping_from_dict(read_toml(text, "mapping"))  # bounded: see domain/toml_text


def save_mapping(engine: Engine, viewer: Viewer, folder: Path, source: str, text: str) -> None:
    """Keep a feed's mapping once it reads as one, names this feed and keeps its organisation.
    A refused change of organisation is audited and stores nothing."""
    with reading(engine) as conn:  # who may not run the feed learns nothing of what they typed
        _check(conn, viewer, source, _owner(_stored(folder, source)))
    path = mapping_file(folder, source)
    mapping = read_mapping(text)
    if mapping.source != source:
        raise InvalidInput("feed.source", f"is {mapping.source!r}; this is the {source!r} feed")
    before: str | None = None
    replaced: Path | None = None
    try:
        with engine.begin() as conn:
            lock_writers(conn)  # the mapping checked against is the one replaced
            before = _stored(folder, source)
            owner = _owner(before)
            administered = _check(conn, viewer, source, owner)
            refusal = organisation_refusal(owner, mapping.organisation, administered)
            if refusal is not None:
                audit(conn, viewer, "refused", f"feed mapping {source}: organisation {refusal}")
            else:
                named = mapping.organisation or "no organisation"
                audit(conn, viewer, "change", f"feed mapping {source} ({named})")
                replaced = _write(path, text)
    except BaseException:
        if replaced is not None:  # the audit row did not commit: neither does the file
            _write(path, before)
        raise
    if refusal is not None:
        raise InvalidInput("feed.organisation", refusal)


def _write(path: Path, text: str | None) -> Path:
    """Replace the file whole (a listener never reads half a mapping); None removes it."""
    if text is None:
        path.unlink(missing_ok=True)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    written = path.with_suffix(".toml.new")
    written.write_text(text, "utf-8")
    return written.replace(path)


def replay_feed(engine: Engine, viewer: Viewer, folder: Path, source: str) -> dict[str, int]:
    """Re-apply the feed's rejected and held HL7 messages with its mapping as kept, and so
    as its own organisation: how many ended each way. Stored with its audit row, or not at
    all."""
    outcomes: dict[str, int] = {}
    with engine.begin() as conn:
        lock_writers(conn)
        stored = _stored(folder, source)
        owner = _owner(stored)
        _check(conn, viewer, source, owner)
        _source(source)
        mapping = read_mapping(stored) if stored is not None else FeedMapping(source)
        for _, outcome in replay_in(conn, mapping, None, source):
            outcomes[outcome.outcome] = outcomes.get(outcome.outcome, 0) + 1
        done = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) or "nothing to replay"
        audit(conn, viewer, "change", f"feed {source} replayed as {owner or 'unnamed'}: {done}")
    return outcomes
