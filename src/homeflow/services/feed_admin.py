"""The integration engineer's day in the browser (journey 10): each feed's health, its
refused and held messages with the field and the reason, its mapping edited and checked, and
a replay of what the mapping now maps. Raw messages hold patient data: admins only, audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import Role
from homeflow.domain.toml_text import read_toml
from homeflow.ingest.feeds import replay
from homeflow.ingest.mapping import FeedMapping, mapping_from_dict
from homeflow.store.access import Forbidden, Viewer, record
from homeflow.store.feed_messages import (
    HELD,
    REJECTED,
    FeedHealth,
    StoredMessage,
    feed_health,
    list_messages,
)

SOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
MAX_MAPPING_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class Feed:
    health: FeedHealth
    refused: list[StoredMessage]  # rejected and held, newest first
    mapping: str  # the mapping file's text, "" when the feed has none


def _check(viewer: Viewer) -> None:
    if viewer.role != Role.ADMIN:
        raise Forbidden("only admins see feeds' messages and change their mappings")


def _source(source: str) -> str:
    if not SOURCE.match(source):
        raise InvalidInput("source", f"{source!r} is not a feed name (letters, digits, . _ -)")
    return source


def mapping_file(folder: Path, source: str) -> Path:
    return folder / f"{_source(source)}.toml"


def feeds(engine: Engine, viewer: Viewer, folder: Path, now: datetime) -> list[Feed]:
    _check(viewer)
    refused = list_messages(engine, (REJECTED, HELD), limit=500)
    found = []
    for health in feed_health(engine, now):
        path = mapping_file(folder, health.source) if SOURCE.match(health.source) else None
        found.append(
            Feed(
                health,
                [m for m in refused if m.source == health.source][:50],
                path.read_text("utf-8") if path is not None and path.exists() else "",
            )
        )
    if any(feed.refused for feed in found):
        record(engine, viewer, "view", "feeds' refused messages")
    return found


def read_mapping(text: str) -> FeedMapping:
    """A mapping as typed, checked as a mapping file is (an error names the section)."""
    if len(text) > MAX_MAPPING_CHARS:
        raise InvalidInput("mapping", f"is {len(text):,} characters; at most {MAX_MAPPING_CHARS:,}")
    return mapping_from_dict(read_toml(text, "mapping"))  # bounded: see domain/toml_text


def save_mapping(engine: Engine, viewer: Viewer, folder: Path, source: str, text: str) -> None:
    """Keep a feed's mapping once it reads as one and names this feed."""
    _check(viewer)
    mapping = read_mapping(text)
    if mapping.source != source:
        raise InvalidInput("feed.source", f"is {mapping.source!r}; this is the {source!r} feed")
    path = mapping_file(folder, source)
    folder.mkdir(parents=True, exist_ok=True)
    written = path.with_suffix(".toml.new")
    written.write_text(text, "utf-8")
    written.replace(path)  # whole or not at all: a listener never reads half a mapping
    record(engine, viewer, "change", f"feed mapping {source}")


def replay_feed(engine: Engine, viewer: Viewer, folder: Path, source: str) -> dict[str, int]:
    """Re-apply the feed's rejected and held HL7 messages with its mapping now: how many
    ended each way."""
    _check(viewer)
    path = mapping_file(folder, source)
    mapping = read_mapping(path.read_text("utf-8")) if path.exists() else FeedMapping(source)
    ids = [
        m.id
        for m in list_messages(engine, (REJECTED, HELD), limit=100_000)
        if m.source == source and m.kind == "hl7"
    ]
    outcomes: dict[str, int] = {}
    if ids:
        for _, outcome in replay(engine, mapping, ids):
            outcomes[outcome.outcome] = outcomes.get(outcome.outcome, 0) + 1
    record(engine, viewer, "change", f"feed {source} replayed: {outcomes or 'nothing to replay'}")
    return outcomes
