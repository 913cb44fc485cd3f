"""Bed requests read back from the log, each folded with the admissions and transfers of its
patient that may have placed it (domain/bed_requests.py)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, select

from homeflow.domain import bed_requests as br
from homeflow.domain import events as ev
from homeflow.domain.spell import SpellStatus
from homeflow.store import schema as t
from homeflow.store.codec import event_from_row, from_db_time
from homeflow.store.projections import chunks

_RECORDS = (
    select(t.events)
    .where(t.events.c.type.in_(list(br.BED_REQUEST_PAYLOADS)))
    .order_by(t.events.c.seq)
)


def bed_requests(conn: Connection) -> dict[str, br.BedRequest]:
    """Every bed request the log holds, by its id, in its latest state."""
    records = []
    for row in conn.execute(_RECORDS):
        event = event_from_row(row)
        payload = event.payload
        assert isinstance(payload, br.BedRequested | br.BedAllocated | br.BedRequestCancelled)
        records.append(br.Recorded(event.occurred_at, event.key, payload))
    patients = {r.payload.patient_id for r in records if isinstance(r.payload, br.BedRequested)}
    return br.fold_requests(records, placements(conn, patients))


def placements(conn: Connection, patients: Collection[str]) -> list[br.Placement]:
    """The admissions and transfers of these patients into a ward (and bed, where sent)."""
    e, sp, w = t.events, t.spells, t.wards
    found: list[br.Placement] = []
    wards = dict(conn.execute(select(w.c.code, w.c.site_code)).all()) if patients else {}
    for part in chunks(sorted(patients)):
        query = (
            select(e, sp.c.patient_id.label("spell_patient"))
            .join(sp, sp.c.spell_key == e.c.spell_key)
            .where(
                sp.c.patient_id.in_(part),
                e.c.type.in_([ev.Admitted.TYPE, ev.Transferred.TYPE]),
                sp.c.status != SpellStatus.CANCELLED.value,
            )
        )
        for row in conn.execute(query):
            payload = event_from_row(row).payload
            assert isinstance(payload, ev.Admitted | ev.Transferred)
            at = from_db_time(row.occurred_at)
            assert at is not None
            site = wards.get(payload.ward_code)
            if site is not None:
                found.append(
                    br.Placement(row.spell_patient, site, payload.ward_code, payload.bed, at)
                )
    return found
