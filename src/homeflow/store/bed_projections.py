"""Keeping the bed projections with the log's catch-up: the bed status and attribute events
by bed, each bed's state now, and each bed request's latest state (store/bed_requests.py).

A bed's state now is the fold (`domain/bed_state.histories`) of all its stays and events, so
the catch-up refolds only the beds its new events and changed stays name, and the requests its
new records and changed spells' patients touch. The pages read a site's rows by index instead
of folding its history; `homeflow rebuild` and the first catch-up after the upgrade (or after
the projections fell out of step with the log) fill them from the whole log."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from homeflow.domain.bed_requests import BED_REQUEST_PAYLOADS
from homeflow.domain.bed_state import (
    BedAttributesSet,
    BedHistory,
    BedStatus,
    BedStatusSet,
    histories,
)
from homeflow.domain.payloads import payload_from_dict
from homeflow.domain.spell import SpellState
from homeflow.store import schema as t
from homeflow.store.bed_requests import refold_requests, requests_of_patients
from homeflow.store.bed_state import bed_events, bed_stays
from homeflow.store.codec import to_db_time
from homeflow.store.db import insert_rows
from homeflow.store.log_head import last_event

BEDS_THROUGH = "beds_through"
BED_EVENT_TYPES = (BedStatusSet.TYPE, BedAttributesSet.TYPE)
# The bed state now: every stay and event, whenever dated, counts.
EVER = datetime(9999, 1, 1, tzinfo=UTC)


def beds_through(conn: Connection) -> int | None:
    """The last event (by seq) the bed projections include; None when they were never filled."""
    marks = t.projection_marks
    return conn.execute(
        select(marks.c.seq).where(marks.c.name == BEDS_THROUGH)
    ).scalar_one_or_none()


def _set_beds_through(conn: Connection, seq: int) -> None:
    marks = t.projection_marks
    conn.execute(delete(marks).where(marks.c.name == BEDS_THROUGH))
    conn.execute(insert(marks).values(name=BEDS_THROUGH, seq=seq))


_AFTER = select(t.events.c.key, t.events.c.type, t.events.c.occurred_at, t.events.c.payload).where(
    t.events.c.seq > bindparam("mark")
)


def keep(
    conn: Connection,
    mark: int,
    last: int,
    changed: Mapping[str, tuple[SpellState | None, SpellState]],
) -> None:
    """Bring the bed projections from the catch-up's `mark` to `last`: `changed` holds each
    refolded spell's state before and after."""
    if beds_through(conn) != mark:
        fill(conn, last)
        return
    beds: set[tuple[str, str]] = set()
    patients: set[str] = set()
    for before, after in changed.values():
        for state in (before, after):
            if state is None:
                continue
            if state.patient_id is not None:
                patients.add(state.patient_id)
            if before is None or before.ward_stays != after.ward_stays:
                beds.update((s.ward_code, s.bed) for s in state.ward_stays if s.bed is not None)
    bed_rows: list[dict[str, Any]] = []
    record_rows: list[dict[str, Any]] = []
    # Only the new events' types are read first (the catch-up has just read the same range).
    for row in conn.execute(_AFTER, {"mark": mark}):
        if row.type in BED_EVENT_TYPES:
            bed_rows.append(bed_event_row(row))
        elif row.type in BED_REQUEST_PAYLOADS:
            record_rows.append(
                {"key": row.key, "request_id": json.loads(row.payload)["request_id"]}
            )
    insert_rows(conn, t.bed_events, bed_rows)
    insert_rows(conn, t.bed_request_records, record_rows)
    beds.update((r["ward_code"], r["bed"]) for r in bed_rows)
    refold_beds(conn, beds)
    requests = {r["request_id"] for r in record_rows} | requests_of_patients(conn, patients)
    refold_requests(conn, requests)
    _set_beds_through(conn, last)


def fill(conn: Connection, last: int) -> None:
    """Fold the bed projections afresh from the whole log (up to `last`)."""
    for table in (t.bed_events, t.bed_states, t.bed_request_records, t.bed_requests):
        conn.execute(delete(table))
    e = t.events
    found = conn.execute(
        select(e.c.key, e.c.type, e.c.occurred_at, e.c.payload).where(
            e.c.type.in_([*BED_EVENT_TYPES, *BED_REQUEST_PAYLOADS])
        )
    )
    bed_rows: list[dict[str, Any]] = []
    record_rows: list[dict[str, Any]] = []
    for row in found:
        if row.type in BED_EVENT_TYPES:
            bed_rows.append(bed_event_row(row))
        else:
            record_rows.append(
                {"key": row.key, "request_id": json.loads(row.payload)["request_id"]}
            )
    insert_rows(conn, t.bed_events, bed_rows)
    insert_rows(conn, t.bed_request_records, record_rows)
    refold_beds(conn, None)
    refold_requests(conn, None)
    _set_beds_through(conn, last)


def keep_up(conn: Connection, last: int) -> None:
    """Fill the bed projections from the whole log if they are behind its `last` event."""
    if beds_through(conn) != last:
        fill(conn, last)


def fill_if_missing(conn: Connection) -> None:
    """Fill the bed projections if they never were (a database just upgraded to them)."""
    if beds_through(conn) is None:
        head = last_event(conn)
        fill(conn, 0 if head is None else head[0])


_NO_DAY = {"from_day": None, "side_room": None, "bay_sex": None}


def bed_event_row(row: Any) -> dict[str, Any]:
    """A bed status or attribute event's row: its bed and what it says (read from the stored
    payload, validated when it was appended)."""
    fields = json.loads(row.payload)
    found: dict[str, Any] = {
        "key": row.key,
        "type": row.type,
        "ward_code": fields["ward_code"],
        "bed": fields["bed"],
        "occurred_at": row.occurred_at,
    }
    if row.type == BedStatusSet.TYPE:
        return {**found, "status": fields["status"], "reason": fields.get("reason"), **_NO_DAY}
    payload = payload_from_dict(row.type, fields)
    assert isinstance(payload, BedAttributesSet)
    return {
        **found,
        "status": None,
        "reason": None,
        "from_day": payload.from_day,
        "side_room": payload.side_room,
        "bay_sex": payload.bay_sex,
    }


def refold_beds(conn: Connection, beds: Collection[tuple[str, str]] | None) -> None:
    """Refold these beds' state now from all their stays and events (None: every bed)."""
    if beds is None:
        insert_rows(conn, t.bed_states, _kept_rows(conn, None))
        return
    if not beds:
        return
    by_ward: dict[str, set[str]] = {}
    for ward, bed in beds:
        by_ward.setdefault(ward, set()).add(bed)
    st = t.bed_states
    # One statement each for every bed named, not three a ward: a catch-up names many wards.
    stale = delete(st).where(st.c.ward_code == bindparam("w"), st.c.bed == bindparam("b"))
    conn.execute(stale, [{"w": ward, "b": bed} for ward, bed in sorted(beds)])
    insert_rows(conn, t.bed_states, _kept_rows(conn, by_ward))


def _kept_rows(
    conn: Connection, beds: Mapping[str, Collection[str]] | None
) -> list[dict[str, Any]]:
    """The beds' rows: their histories folded to now, read as a trust whose vacated beds are
    free at once and as one whose beds wait for cleaning, and the latest instant and attribute
    day the fold read (a reading at an earlier instant or day is folded afresh)."""
    stays = bed_stays(conn, beds, EVER)
    settings, attributes = bed_events(conn, beds, EVER)
    plain = histories(stays, settings, attributes, EVER, ())
    cleaning = histories(stays, settings, attributes, EVER, {s.ward_code for s in stays})
    last_at: dict[tuple[str, str], datetime] = {}
    instants = [((s.ward_code, s.bed), s.start) for s in stays]
    instants += [((s.ward_code, s.bed), s.end) for s in stays if s.end is not None]
    instants += [((s.ward_code, s.bed), when) for when, s in settings]
    for bed, when in instants:
        last_at[bed] = max(when, last_at.get(bed, when))
    last_day: dict[tuple[str, str], date] = {}
    for a in attributes:
        bed = (a.ward_code, a.bed)
        last_day[bed] = max(a.from_day, last_day.get(bed, a.from_day))
    return [
        {
            **_state_row(history, cleaning[bed]),
            "last_at": to_db_time(last_at.get(bed)),
            "last_from_day": last_day.get(bed),
        }
        for bed, history in plain.items()
    ]


def _state_row(plain: BedHistory, cleaning: BedHistory) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ward_code": plain.ward_code,
        "bed": plain.bed,
        "side_room": plain.side_room,
        "bay_sex": plain.bay_sex,
    }
    for prefix, history in (("", plain), ("cleaning_", cleaning)):
        now = history.now
        row[prefix + "status"] = BedStatus.FREE.value if now is None else now.status.value
        row[prefix + "since"] = None if now is None else to_db_time(now.since)
        row[prefix + "reason"] = None if now is None or now.reason is None else now.reason.value
    return row
