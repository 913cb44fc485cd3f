"""A site's bed requests made and given beds by its trust's site team: who may (the one rule,
domain/writes.may_coordinate_beds), the check that nobody changed the request since the form
was shown, the record and its audit row in one transaction."""

from __future__ import annotations

from sqlalchemy import Engine, select

from homeflow.domain import bed_requests as br
from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput
from homeflow.domain.writes import may_coordinate_beds
from homeflow.store import schema as t
from homeflow.store.access.audit import audit
from homeflow.store.access.scope import Conflict, Forbidden, NotFound, Viewer, org_of_site
from homeflow.store.bed_requests import one_request, record_count
from homeflow.store.eventlog import lock_writers
from homeflow.store.improvement import append_events, programme_event


def record_bed_request(
    engine: Engine,
    viewer: Viewer,
    record: br.BedRequested | br.BedAllocated,
    site: str,
    seen: int | None = None,
) -> None:
    """Store a new request, or a bed given to one (reserving it), for the site's trust."""
    with engine.begin() as conn:
        lock_writers(conn)
        owner = org_of_site(conn).get(site)
        if owner is None:
            raise NotFound(f"site {site}")
        if not may_coordinate_beds(viewer.org_code, viewer.role, owner) or record.org_code != owner:
            raise Forbidden(f"only {owner}'s site team makes and allocates its bed requests")
        # The version a form saw: how many records the request had.
        versions = record_count(conn, record.request_id)
        if isinstance(record, br.BedAllocated):
            found = one_request(conn, record.request_id)
            if found is None or found.request.site_code != site:
                raise NotFound(f"bed request {record.request_id}")
            if seen is not None and seen != versions:
                raise Conflict("the request", found.status.value, None, None)
            if not found.open:
                raise InvalidInput("request_id", f"the request is {found.status.value}")
            ward_site = conn.execute(
                select(t.wards.c.site_code).where(t.wards.c.code == record.ward_code)
            ).scalar_one_or_none()
            if ward_site != site:
                raise InvalidInput("bed", f"{record.ward_code} is not a ward of {site}")
            said = f"bed {record.ward_code} {record.bed} given to request {record.request_id}"
        else:
            if versions:
                raise InvalidInput("request_id", f"{record.request_id} is already a request")
            said = f"bed request {record.request_id} at {site} for {record.specialty}"
        now = clock.now()
        append_events(conn, [programme_event(record, versions, viewer.email, "web", now)])
        audit(conn, viewer, "change", said)
