"""Translating events and instants between the domain and database rows."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from homeflow.domain import events as ev
from homeflow.domain.clock import local_date, require_aware
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import SPELL_KEY_LENGTH, check_identifier
from homeflow.domain.payloads import payload_from_dict, payload_to_dict

# Instants move between aware and naive UTC by arithmetic on these two epochs: subtracting an
# aware instant allows for its offset, and it is much quicker than astimezone and replace
# (a backfill converts every time it stores).
_NAIVE_EPOCH = datetime(1970, 1, 1)
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_db_time(instant: datetime | None) -> datetime | None:
    """Instants are stored as naive UTC, the one form both engines keep exactly."""
    if instant is None:
        return None
    return _NAIVE_EPOCH + (instant - _UTC_EPOCH)


def from_db_time(stored: datetime | None) -> datetime | None:
    return None if stored is None else _UTC_EPOCH + (stored - _NAIVE_EPOCH)


def stored_local_date(stored: datetime) -> date:
    """The local day of a stored (naive UTC) instant."""
    return local_date(_UTC_EPOCH + (stored - _NAIVE_EPOCH))


# One encoder for every event: json.dumps with options builds a new one per call.
_payload_json = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def event_to_row(event: ev.Event) -> dict[str, Any]:
    payload = event.payload
    patient_id = getattr(payload, "patient_id", None)
    return {
        "key": event.key,
        "type": event.type,
        "source": event.source,
        "spell_key": event.spell_key,
        "patient_id": patient_id,
        "occurred_at": to_db_time(event.occurred_at),
        "received_at": to_db_time(event.received_at),
        "payload": _payload_json(payload_to_dict(payload)),
        "raw": event.raw,
        "recorded_by": event.recorded_by,
    }


def event_from_row(row: Any) -> ev.Event:
    occurred, received = from_db_time(row.occurred_at), from_db_time(row.received_at)
    assert occurred is not None and received is not None
    return ev.Event(
        key=row.key,
        source=row.source,
        occurred_at=occurred,
        received_at=received,
        spell_key=row.spell_key,
        payload=payload_from_dict(row.type, json.loads(row.payload)),
        raw=row.raw,
        recorded_by=row.recorded_by,
    )


def _spell_key(value: Any) -> str | None:
    if value is None:
        return None
    return check_identifier("spell_key", str(value), SPELL_KEY_LENGTH)


def event_from_record(record: dict[str, Any], received_at: datetime) -> ev.Event:
    """An event from a plain record (JSON lines, forms): every problem names its field."""
    if not isinstance(record, dict):
        raise InvalidInput("event", "must be an object")
    for name in ("key", "type", "source", "occurred_at"):
        if name not in record:
            raise InvalidInput(name, "is required")
    try:
        occurred = datetime.fromisoformat(str(record["occurred_at"]))
    except ValueError:
        raise InvalidInput("occurred_at", f"{record['occurred_at']!r} is not a time") from None
    require_aware("occurred_at", occurred)
    return ev.Event(
        key=str(record["key"]),
        source=str(record["source"]),
        occurred_at=occurred,
        received_at=received_at,
        spell_key=_spell_key(record.get("spell_key")),
        payload=payload_from_dict(str(record["type"]), record.get("payload", {})),
        raw=record.get("raw"),
        recorded_by=record.get("recorded_by"),
    )
