"""The demo's feeds as received (`homeflow demo`): for each trust's PAS, its mapping in the
mappings folder (when it has none) and the last day of its ADT as messages received, each with
its lag and outcome, as the listener would have kept them. The events themselves are already
in the log (the demo appends them in bulk): the messages that carried them are recorded as
applied; the few a real feed gets wrong (`demo/feeds`) are read by the feed's own rules, and
recorded held or refused with the field and the reason those rules give."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from homeflow.config import mappings_folder
from homeflow.demo import feeds as plan
from homeflow.domain import events as ev
from homeflow.domain.organisations import issuer_of
from homeflow.ingest.feeds import APPLIED, interpret_hl7, registry_mapping
from homeflow.ingest.hl7.writer import adt_messages
from homeflow.ingest.mapping import FeedMapping
from homeflow.store.feed_messages import MessageRecord, record_messages

Received = tuple[datetime, MessageRecord]


def _message_type(message: str) -> str | None:
    fields = message.split("\r", 1)[0].split("|")
    return fields[8][:20] if len(fields) > 8 else None


def write_mappings(folder: Path) -> None:
    """Each demo feed's mapping, unless the folder already holds one for it."""
    folder.mkdir(parents=True, exist_ok=True)
    for org in plan.feed_owners():
        path = folder / f"{plan.source_of(org)}.toml"
        if not path.exists():
            path.write_text(plan.mapping_text(org), "utf-8")


def _applied(
    events: Sequence[ev.Event], end: datetime, rng: random.Random
) -> dict[str, list[Received]]:
    received: dict[str, list[Received]] = defaultdict(list)
    start = end - plan.WINDOW
    for event, message in adt_messages(plan.recent(events, end)):
        org = issuer_of(event.spell_key or "")
        if event.occurred_at < start or org is None:
            continue
        at = min(end, event.occurred_at + plan.lag(rng))
        record = MessageRecord(
            event.key,
            _message_type(message),
            event.occurred_at,
            message,
            APPLIED,
            None,
            None,
            event.key,
        )
        received[plan.source_of(org)].append((at, record))
    return received


def _faulty(
    received: dict[str, list[Received]],
    events: Sequence[ev.Event],
    end: datetime,
    mappings: dict[str, FeedMapping],
    rng: random.Random,
) -> None:
    """Add the held and refused messages, each read as its feed reads it."""
    faulty: list[tuple[str, str, datetime]] = []
    ward, held = plan.held_admissions(events, end)
    for event, message in adt_messages(held):
        faulty.append(
            (plan.source_of(plan.RENAMED_BY), plan.renamed(message, ward), event.occurred_at)
        )
    for source, messages in received.items():
        if messages:
            at, record = messages[rng.randrange(len(messages))]
            faulty.append((source, plan.misdated(record.raw), at))
    for source, raw, occurred in faulty:
        at = min(end, occurred + plan.lag(rng))
        read = interpret_hl7(raw, mappings[source], at)
        outcome = read.outcome
        record = MessageRecord(
            outcome.control_id,
            read.message_type,
            read.event.occurred_at if read.event else None,
            raw,
            outcome.outcome,
            outcome.field,
            outcome.reason,
            outcome.event_key,
        )
        received[source].append((at, record))


def record_demo_feeds(engine: Engine, events: Sequence[ev.Event], seed: int, now: datetime) -> int:
    """Record the demo feeds' last day of messages; how many were recorded."""
    write_mappings(mappings_folder())
    stored = [e for e in events if e.occurred_at <= now]
    if not stored:
        return 0
    end = max(e.occurred_at for e in stored)
    rng = random.Random(seed)
    received = _applied(stored, end, rng)
    with engine.begin() as conn:
        mappings = {
            plan.source_of(org): registry_mapping(
                conn, FeedMapping(source=plan.source_of(org), organisation=org)
            )
            for org in plan.feed_owners()
        }
        _faulty(received, stored, end, mappings, rng)
        count = 0
        for source, messages in sorted(received.items()):
            for at, record in sorted(messages, key=lambda m: m[0]):
                record_messages(conn, source, "hl7", at, [record])
                count += 1
    return count
