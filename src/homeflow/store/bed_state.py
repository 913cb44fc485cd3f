"""Each bed's state at an instant, read from the stays the ADT feed recorded and the bed status
and attribute events in the log, folded by `domain/bed_state.py`. A site's beds are its wards'
numbered beds (as many as the ward had open that day) and every bed a stay or event named."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, exists, or_, select

from homeflow.domain.bed_state import (
    BedAttributesSet,
    BedHistory,
    BedStatus,
    BedStatusSet,
    BedStay,
    ClosureReason,
    histories,
)
from homeflow.domain.clock import local_date
from homeflow.domain.organisations import numbered_beds
from homeflow.domain.payloads import payload_from_dict
from homeflow.store import schema as t
from homeflow.store.beds import dated_beds
from homeflow.store.codec import from_db_time, to_db_time
from homeflow.store.registry import ward_registry

_WARD = re.compile(r'"ward_code":\s*"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class BedRow:
    """A bed's state at the instant asked: `since` None when nothing has happened to it yet
    (a numbered bed no stay or event has named is free)."""

    ward: str
    bed: str
    status: BedStatus
    since: datetime | None
    reason: ClosureReason | None
    side_room: bool
    bay_sex: str
    org_code: str


def bed_events(
    conn: Connection, wards: Collection[str], at: datetime
) -> tuple[list[tuple[datetime, BedStatusSet]], list[BedAttributesSet]]:
    """The status and attribute events for `wards` recorded up to `at`, in log order. Only
    the payloads of these wards' beds are read into events (a site's page reads its own)."""
    e = t.events
    rows = conn.execute(
        select(e.c.type, e.c.occurred_at, e.c.payload)
        .where(
            e.c.type.in_([BedStatusSet.TYPE, BedAttributesSet.TYPE]),
            e.c.occurred_at <= to_db_time(at),
        )
        .order_by(e.c.seq)
    )
    settings: list[tuple[datetime, BedStatusSet]] = []
    attributes: list[BedAttributesSet] = []
    for row in rows:
        # Most of the log's bed events are other sites' beds: their ward is read from the
        # text first, and only these wards' payloads are decoded (an escaped or unexpected
        # text is decoded to be sure).
        ward = _WARD.search(row.payload)
        if ward is not None and "\\" not in ward.group(1) and ward.group(1) not in wards:
            continue
        fields = json.loads(row.payload)
        if fields.get("ward_code") not in wards:
            continue
        payload = payload_from_dict(row.type, fields)
        if isinstance(payload, BedStatusSet):
            settings.append((_instant(row.occurred_at), payload))
        elif isinstance(payload, BedAttributesSet):
            attributes.append(payload)
    return settings, attributes


def bed_stays(conn: Connection, wards: Collection[str], at: datetime) -> list[BedStay]:
    """The stays in a named bed on `wards` that began by `at`."""
    ws = t.ward_stays
    rows = conn.execute(
        select(ws.c.ward_code, ws.c.bed, ws.c.start_at, ws.c.end_at).where(
            ws.c.ward_code.in_(list(wards)),
            ws.c.bed.is_not(None),
            ws.c.start_at <= to_db_time(at),
        )
    )
    return [BedStay(r.ward_code, r.bed, _instant(r.start_at), from_db_time(r.end_at)) for r in rows]


def settled_after(conn: Connection, site: str, at: datetime) -> bool:
    """Whether nothing the fold of the site's beds reads is dated after `at` (no stay on its
    wards began or ended later, no bed status or attribute event is dated later): then, until
    the log changes, the beds read at any later instant of the same day as they read at `at`."""
    wards = [w.code for w in ward_registry(conn) if w.site_code == site]
    ws, e, when = t.ward_stays, t.events, to_db_time(at)
    later_stay = exists().where(
        ws.c.ward_code.in_(wards), or_(ws.c.start_at > when, ws.c.end_at > when)
    )
    later_event = exists().where(
        e.c.type.in_([BedStatusSet.TYPE, BedAttributesSet.TYPE]), e.c.occurred_at > when
    )
    return not conn.execute(select(or_(later_stay, later_event))).scalar_one()


def site_histories(
    conn: Connection, site: str, at: datetime, cleaned_after_discharge: Collection[str] = ()
) -> tuple[dict[tuple[str, str], BedHistory], dict[str, str], list[tuple[str, str]]]:
    """Every bed's history on the site up to `at`, each ward's trust, and the site's beds in
    ward and bed order. `cleaned_after_discharge`: the trusts whose vacated beds wait for
    cleaning (config.beds_cleaned_after_discharge)."""
    wards = [w for w in ward_registry(conn) if w.site_code == site]
    trust = {w.code: w.org_code for w in wards}
    cleaned = {w.code for w in wards if w.org_code in cleaned_after_discharge}
    settings, attributes = bed_events(conn, trust, at)
    found = histories(bed_stays(conn, trust, at), settings, attributes, at, cleaned)
    base = dated_beds(conn)
    day = local_date(at)
    beds: set[tuple[str, str]] = set(found)
    for w in wards:
        beds.update((w.code, b) for b in numbered_beds(base.beds_on(w.code, day, w.beds)))
    order = {w.code: n for n, w in enumerate(wards)}
    return found, trust, sorted(beds, key=lambda wb: (order[wb[0]], wb[1]))


def beds_at(
    conn: Connection, site: str, at: datetime, cleaned_after_discharge: Collection[str] = ()
) -> list[BedRow]:
    """A row per bed of the site at `at`: ward, bed, status, since, reason and attributes."""
    found, trust, beds = site_histories(conn, site, at, cleaned_after_discharge)
    return [_row(found.get(wb), wb, trust[wb[0]]) for wb in beds]


def _row(history: BedHistory | None, ward_bed: tuple[str, str], org: str) -> BedRow:
    ward, bed = ward_bed
    if history is None or history.now is None:
        side, sex = (history.side_room, history.bay_sex) if history else (False, "")
        return BedRow(ward, bed, BedStatus.FREE, None, None, side, sex, org)
    now = history.now
    return BedRow(
        ward, bed, now.status, now.since, now.reason, history.side_room, history.bay_sex, org
    )


def _instant(stored: datetime) -> datetime:
    found = from_db_time(stored)
    assert found is not None
    return found
