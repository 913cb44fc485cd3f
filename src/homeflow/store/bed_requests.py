"""Bed requests: each folded with the admissions and transfers of its patient that may have
placed it (domain/bed_requests.py), kept by the log's catch-up (store/bed_projections.py) and
read back by site or by id."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, delete, func, select

from homeflow.domain import bed_requests as br
from homeflow.domain import events as ev
from homeflow.domain.payloads import payload_from_dict, payload_to_dict
from homeflow.domain.spell import SpellStatus
from homeflow.store import schema as t
from homeflow.store.codec import from_db_time, to_db_time
from homeflow.store.db import insert_rows
from homeflow.store.projections import chunks, one_of


def request_records(conn: Connection, request_ids: Collection[str] | None) -> list[br.Recorded]:
    """Every record of these bed requests (None: of every request)."""
    e, k, r = t.events, t.event_keys, t.bed_request_records
    query = (
        select(e.c.key, e.c.type, e.c.occurred_at, e.c.payload)
        .join(k, k.c.seq == e.c.seq)
        .join(r, r.c.key == k.c.key)
    )
    parts = [None] if request_ids is None else list(chunks(sorted(request_ids)))
    records = []
    for part in parts:
        where = query if part is None else query.where(r.c.request_id.in_(list(part)))
        for row in conn.execute(where):
            payload = payload_from_dict(row.type, json.loads(row.payload))
            assert isinstance(payload, br.BedRequested | br.BedAllocated | br.BedRequestCancelled)
            at = from_db_time(row.occurred_at)
            assert at is not None
            records.append(br.Recorded(at, row.key, payload))
    return records


def record_count(conn: Connection, request_id: str) -> int:
    """How many records the request has: the version a form saw."""
    r = t.bed_request_records
    return int(
        conn.execute(
            select(func.count()).select_from(r).where(r.c.request_id == request_id)
        ).scalar_one()
    )


def requests_of_patients(conn: Connection, patients: Collection[str]) -> set[str]:
    """The requests kept for these patients."""
    q = t.bed_requests
    found: set[str] = set()
    for part in chunks(sorted(patients)):
        found.update(
            conn.execute(select(q.c.request_id).where(q.c.patient_id.in_(list(part)))).scalars()
        )
    return found


def refold_requests(conn: Connection, request_ids: Collection[str] | None) -> None:
    """Refold these requests (None: every request) from their records and their patients'
    admissions and transfers, and keep their latest state."""
    q = t.bed_requests
    if request_ids is None:
        conn.execute(delete(q))
    elif not request_ids:
        return
    for part in chunks(sorted(request_ids or ())):
        conn.execute(delete(q).where(q.c.request_id.in_(list(part))))
    records = request_records(conn, request_ids)
    patients = {r.payload.patient_id for r in records if isinstance(r.payload, br.BedRequested)}
    folded = br.fold_requests(records, placements(conn, patients))
    insert_rows(conn, q, [_request_row(found) for found in folded.values()])


def _request_row(found: br.BedRequest) -> dict[str, Any]:
    placed = found.placed
    return {
        "request_id": found.request_id,
        "site_code": found.request.site_code,
        "patient_id": found.request.patient_id,
        "status": found.status.value,
        "decided_at": to_db_time(found.decided_at),
        "request": json.dumps(payload_to_dict(found.request), sort_keys=True),
        "allocated_ward": found.allocated_ward,
        "allocated_bed": found.allocated_bed,
        "allocated_at": to_db_time(found.allocated_at),
        "placed_ward": None if placed is None else placed.ward_code,
        "placed_bed": None if placed is None else placed.bed,
        "placed_at": None if placed is None else to_db_time(placed.at),
        "cancelled_at": to_db_time(found.cancelled_at),
    }


def _request(row: Any) -> br.BedRequest:
    request = payload_from_dict(br.BedRequested.TYPE, json.loads(row.request))
    assert isinstance(request, br.BedRequested)
    placed = None
    if row.placed_at is not None:
        at = from_db_time(row.placed_at)
        assert at is not None
        placed = br.Placement(
            request.patient_id, request.site_code, row.placed_ward, row.placed_bed, at
        )
    decided = from_db_time(row.decided_at)
    assert decided is not None
    return br.BedRequest(
        request,
        br.RequestStatus(row.status),
        decided,
        row.allocated_ward,
        row.allocated_bed,
        from_db_time(row.allocated_at),
        placed,
        from_db_time(row.cancelled_at),
    )


_OPEN = [br.RequestStatus.WAITING.value, br.RequestStatus.ALLOCATED.value]


def site_requests(conn: Connection, site: str, waiting: bool = False) -> list[br.BedRequest]:
    """The site's bed requests (only those still waiting for a bed, if `waiting`), earliest
    decision first."""
    q = t.bed_requests
    query = select(q).where(q.c.site_code == site)
    if waiting:
        query = query.where(q.c.status.in_(_OPEN))
    found = [_request(row) for row in conn.execute(query)]
    return sorted(found, key=lambda r: (r.decided_at, r.request_id))


def one_request(conn: Connection, request_id: str) -> br.BedRequest | None:
    q = t.bed_requests
    row = conn.execute(select(q).where(q.c.request_id == request_id)).first()
    return None if row is None else _request(row)


def placements(conn: Connection, patients: Collection[str]) -> list[br.Placement]:
    """The admissions and transfers of these patients into a ward (and bed, where sent), from
    their spells (a cancelled spell places nobody)."""
    sp = t.spells
    patient_of: dict[str, str] = {}
    for part in chunks(sorted(patients)):
        patient_of.update(
            conn.execute(
                select(sp.c.spell_key, sp.c.patient_id).where(
                    sp.c.patient_id.in_(list(part)), sp.c.status != SpellStatus.CANCELLED.value
                )
            ).all()
        )
    if not patient_of:
        return []
    wards = dict(conn.execute(select(t.wards.c.code, t.wards.c.site_code)).all())
    found: list[br.Placement] = []
    query = _spell_rows(conn.dialect.name)
    for part in chunks(sorted(patient_of)):
        for row in conn.execute(query, {"keys": list(part)}):
            # Filtered here, not in SQL (as projections.load_spell_events); only the ward and
            # bed of the stored (already validated) payload are read.
            if row.type not in _PLACING:
                continue
            fields = json.loads(row.payload)
            ward = fields.get("ward_code", "")
            site = wards.get(ward)
            at = from_db_time(row.occurred_at)
            if site is not None and at is not None:
                patient = patient_of[row.spell_key]
                found.append(br.Placement(patient, site, ward, fields.get("bed"), at))
    return found


@lru_cache
def _spell_rows(dialect: str) -> Select[Any]:
    e = t.events
    return select(e.c.spell_key, e.c.type, e.c.occurred_at, e.c.payload).where(
        one_of(dialect, e.c.spell_key)
    )


_PLACING = (ev.Admitted.TYPE, ev.Transferred.TYPE)


@dataclass(frozen=True, slots=True)
class ExpectedDischarge:
    spell_key: str
    ward_code: str
    bed: str | None
    specialty: str  # the ward's


def expected_discharges(conn: Connection, site: str, day: date) -> list[ExpectedDischarge]:
    """The patients in a bed on the site whose expected discharge date is `day`."""
    sp, w = t.spells, t.wards
    rows = conn.execute(
        select(sp.c.spell_key, sp.c.ward_code, sp.c.bed, w.c.specialty)
        .join(w, w.c.code == sp.c.ward_code)
        .where(
            w.c.site_code == site,
            sp.c.status == SpellStatus.ADMITTED.value,
            sp.c.expected_discharge_date == day,
        )
        .order_by(sp.c.ward_code, sp.c.bed, sp.c.spell_key)
    )
    return [ExpectedDischarge(r.spell_key, r.ward_code, r.bed, r.specialty) for r in rows]


def ward_specialties(conn: Connection, site: str) -> dict[str, str]:
    w = t.wards
    return dict(conn.execute(select(w.c.code, w.c.specialty).where(w.c.site_code == site)).all())
