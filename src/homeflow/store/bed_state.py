"""Each bed's state at an instant, read from the stays the ADT feed recorded and the bed status
and attribute events in the log, folded by `domain/bed_state.py`. A site's beds are its wards'
numbered beds (as many as the ward had open that day) and every bed a stay or event named."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, or_, select, true

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
from homeflow.domain.organisations import Ward, numbered_beds
from homeflow.store import schema as t
from homeflow.store.beds import dated_beds
from homeflow.store.codec import from_db_time, to_db_time
from homeflow.store.registry import ward_registry


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


Beds = Collection[str] | Mapping[str, Collection[str]] | None  # wards, or beds by ward; None: all


def _of(table: Any, beds: Beds) -> ColumnElement[bool]:
    """The rows of `table` about these wards' beds (or these beds of each ward)."""
    if beds is None:
        return true()
    if not isinstance(beds, Mapping):
        wards: ColumnElement[bool] = table.c.ward_code.in_(list(beds))
        return wards
    return or_(*(and_(table.c.ward_code == w, table.c.bed.in_(list(b))) for w, b in beds.items()))


def bed_events(
    conn: Connection, beds: Beds, at: datetime
) -> tuple[list[tuple[datetime, BedStatusSet]], list[BedAttributesSet]]:
    """The status and attribute events for these beds recorded up to `at`, in log order."""
    be, k = t.bed_events, t.event_keys
    rows = conn.execute(
        select(be)
        .join(k, k.c.key == be.c.key)
        .where(_of(be, beds), be.c.occurred_at <= to_db_time(at))
        .order_by(k.c.seq)
    )
    settings: list[tuple[datetime, BedStatusSet]] = []
    attributes: list[BedAttributesSet] = []
    for row in rows:
        if row.type == BedStatusSet.TYPE:
            reason = None if row.reason is None else ClosureReason(row.reason)
            status = BedStatusSet(row.ward_code, row.bed, BedStatus(row.status), reason)
            settings.append((_instant(row.occurred_at), status))
        else:
            attributes.append(
                BedAttributesSet(row.ward_code, row.bed, row.from_day, row.side_room, row.bay_sex)
            )
    return settings, attributes


def bed_stays(conn: Connection, beds: Beds, at: datetime) -> list[BedStay]:
    """The stays in a named bed of these beds that began by `at`."""
    ws = t.ward_stays
    rows = conn.execute(
        select(ws.c.ward_code, ws.c.bed, ws.c.start_at, ws.c.end_at).where(
            _of(ws, beds), ws.c.bed.is_not(None), ws.c.start_at <= to_db_time(at)
        )
    )
    return [BedStay(r.ward_code, r.bed, _instant(r.start_at), from_db_time(r.end_at)) for r in rows]


def settled_after(conn: Connection, wards: Collection[str], at: datetime) -> bool:
    """Whether nothing the fold of these wards' beds reads is dated after `at` (no stay on them
    began or ended later, no bed status event is dated later, no attributes start on a later
    day): then the beds read at `at` as they read now, as the projection keeps them."""
    st = t.bed_states
    later = exists().where(
        st.c.ward_code.in_(list(wards)),
        or_(st.c.last_at > to_db_time(at), st.c.last_from_day > at.date()),
    )
    return not conn.execute(select(later)).scalar_one()


def site_histories(
    conn: Connection, site: str, at: datetime, cleaned_after_discharge: Collection[str] = ()
) -> tuple[dict[tuple[str, str], BedHistory], dict[str, str], list[tuple[str, str]]]:
    """Every bed's history on the site up to `at`, each ward's trust, and the site's beds in
    ward and bed order. `cleaned_after_discharge`: the trusts whose vacated beds wait for
    cleaning (config.beds_cleaned_after_discharge)."""
    wards = [w for w in ward_registry(conn) if w.site_code == site]
    trust = {w.code: w.org_code for w in wards}
    cleaned = {w.code for w in wards if w.org_code in cleaned_after_discharge}
    settings, attributes = bed_events(conn, list(trust), at)
    found = histories(bed_stays(conn, list(trust), at), settings, attributes, at, cleaned)
    return found, trust, _site_beds(conn, wards, at, found)


def _site_beds(
    conn: Connection, wards: list[Ward], at: datetime, named: Collection[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The site's beds in ward and bed order: its wards' numbered beds on `at`'s day and every
    bed a stay or event named."""
    base = dated_beds(conn)
    day = local_date(at)
    beds: set[tuple[str, str]] = set(named)
    for w in wards:
        beds.update((w.code, b) for b in numbered_beds(base.beds_on(w.code, day, w.beds)))
    order = {w.code: n for n, w in enumerate(wards)}
    return sorted(beds, key=lambda wb: (order[wb[0]], wb[1]))


def beds_at(
    conn: Connection, site: str, at: datetime, cleaned_after_discharge: Collection[str] = ()
) -> list[BedRow]:
    """A row per bed of the site at `at`: ward, bed, status, since, reason and attributes.
    Read from each bed's state as kept now (store/bed_projections.py) when nothing on the
    site is dated after `at`; otherwise folded from the site's history up to `at`."""
    wards = [w for w in ward_registry(conn) if w.site_code == site]
    trust = {w.code: w.org_code for w in wards}
    if not settled_after(conn, list(trust), at):
        return folded_beds_at(conn, site, at, cleaned_after_discharge)
    st = t.bed_states
    kept: dict[tuple[str, str], BedRow] = {}
    for r in conn.execute(select(st).where(st.c.ward_code.in_(list(trust)))):
        ward = r.ward_code
        cleaning = trust[ward] in cleaned_after_discharge
        status, since, reason = (
            (r.cleaning_status, r.cleaning_since, r.cleaning_reason)
            if cleaning
            else (r.status, r.since, r.reason)
        )
        kept[(ward, r.bed)] = BedRow(
            ward,
            r.bed,
            BedStatus(status),
            from_db_time(since),
            None if reason is None else ClosureReason(reason),
            r.side_room,
            r.bay_sex,
            trust[ward],
        )
    return [
        kept.get(wb) or _row(None, wb, trust[wb[0]]) for wb in _site_beds(conn, wards, at, kept)
    ]


def folded_beds_at(
    conn: Connection, site: str, at: datetime, cleaned_after_discharge: Collection[str] = ()
) -> list[BedRow]:
    """`beds_at` folded from the site's history up to `at`."""
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
