"""The event log, the source of truth, and what arrives with it: feed messages with their
outcome, stored FHIR Encounters, API tokens."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from homeflow.store.schema.base import metadata

events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    # Unique: on SQLite in this table; on PostgreSQL, whose log is partitioned, through
    # `event_keys` (below).
    Column("key", String(200), nullable=False),
    Column("type", String(40), nullable=False),
    Column("source", String(60), nullable=False),
    Column("spell_key", String(60), nullable=True),
    Column("patient_id", String(60), nullable=True),
    Column("occurred_at", DateTime, nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("payload", Text, nullable=False),
    Column("raw", Text, nullable=True),
    Column("recorded_by", String(200), nullable=True),
    Index("ix_events_spell_key", "spell_key"),
    Index("ix_events_patient_id", "patient_id"),
    Index("ix_events_type", "type"),
)

# Each event's key, once: the log's guarantee that a message resent is a duplicate, never a
# second copy, and what the duplicate check and the reads of events by key read. On PostgreSQL
# a table, because the log is partitioned by `seq` and a partitioned table holds no unique
# index without it: written by a trigger in the same statement as the events (migration
# 0022), its keys staying when a partition is detached, so an archived event resent is still
# a duplicate. On SQLite, whose log is one table with its key unique, a view of `events`.
event_keys = Table(
    "event_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("seq", Integer, nullable=False),
)

# The spells whose events went out of the log with a detached partition (PostgreSQL's
# `homeflow log detach`): an event for one of them is refused, its fold lacking that history.
archived_spells = Table(
    "archived_spells",
    metadata,
    Column("spell_key", String(60), primary_key=True),
    Column("partition", String(63), nullable=False),
)

# Every message a feed delivered, verbatim, with what became of it.
feed_messages = Table(
    "feed_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(60), nullable=False),
    Column("kind", String(10), nullable=False),  # hl7, fhir, csv
    Column("control_id", String(200), nullable=True),
    Column("message_type", String(20), nullable=True),
    Column("received_at", DateTime, nullable=False),
    Column("occurred_at", DateTime, nullable=True),
    Column("raw", Text, nullable=False),
    Column("outcome", String(12), nullable=False),  # applied, duplicate, rejected, held
    Column("field", String(40), nullable=True),
    Column("reason", Text, nullable=True),
    Column("event_key", String(200), nullable=True),
    Index("ix_feed_messages_outcome", "outcome"),
    Index("ix_feed_messages_source_received", "source", "received_at"),
)

# The latest version of each FHIR Encounter received, as sent (its facts are in `events`).
fhir_encounters = Table(
    "fhir_encounters",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("org_code", String(12), nullable=False),
    Column("spell_key", String(60), nullable=False),
    Column("patient_id", String(80), nullable=False),
    Column("identifier", String(200), nullable=True),
    Column("status", String(20), nullable=False),
    Column("ward_codes", Text, nullable=False),
    Column("period_start", DateTime, nullable=True),
    Column("period_end", DateTime, nullable=True),
    Column("body", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_fhir_encounters_identifier", "identifier"),
    Index("ix_fhir_encounters_patient", "patient_id"),
)

# Bearer tokens for the APIs: only a hash is kept.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("org_code", String(12), ForeignKey("organisations.code"), nullable=False),
    Column("scope", String(20), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
)
