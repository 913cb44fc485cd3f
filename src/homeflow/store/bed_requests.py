"""Bed requests read back from the log, each folded with the admissions and transfers of its
patient that may have placed it (domain/bed_requests.py)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

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


def request_records(conn: Connection) -> list[br.Recorded]:
    """Every record of every bed request, in the order stored."""
    records = []
    for row in conn.execute(_RECORDS):
        event = event_from_row(row)
        payload = event.payload
        assert isinstance(payload, br.BedRequested | br.BedAllocated | br.BedRequestCancelled)
        records.append(br.Recorded(event.occurred_at, event.key, payload))
    return records


def bed_requests(
    conn: Connection, records: list[br.Recorded] | None = None
) -> dict[str, br.BedRequest]:
    """Every bed request the log holds, by its id, in its latest state."""
    records = request_records(conn) if records is None else records
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
