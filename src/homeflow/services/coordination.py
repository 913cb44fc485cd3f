"""The site's coordination view: by specialty, the beds free now, being cleaned, closed and
reserved, who waits for a bed and how long, the patients expected to go home today, and the gap.
Each figure is the length of the list it opens to (`members`), from the same reading."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from homeflow.domain import bed_requests as br
from homeflow.domain.bed_state import BedStatus
from homeflow.domain.clock import local_date
from homeflow.domain.errors import InvalidInput
from homeflow.services.bed_state import site_beds
from homeflow.store import db
from homeflow.store.bed_requests import (
    ExpectedDischarge,
    expected_discharges,
    site_requests,
    ward_specialties,
)
from homeflow.store.bed_state import BedRow
from homeflow.store.registry import site_names

FIGURES = ("free", "cleaning", "closed", "reserved", "waiting", "expected")
ALL = "All specialties"


@dataclass
class Line:
    """One specialty's beds and requests (or the whole site's, `ALL`)."""

    specialty: str
    free: list[BedRow] = field(default_factory=list)
    cleaning: list[BedRow] = field(default_factory=list)
    closed: list[BedRow] = field(default_factory=list)
    reserved: list[BedRow] = field(default_factory=list)
    waiting: list[br.BedRequest] = field(default_factory=list)
    expected: list[ExpectedDischarge] = field(default_factory=list)

    @property
    def gap(self) -> int:
        """Beds free now and expected to free today, less the patients waiting for one:
        below zero, more patients than beds today."""
        return len(self.free) + len(self.expected) - len(self.waiting)

    def longest(self, now: datetime) -> timedelta | None:
        waits = [w for r in self.waiting if (w := r.waited(now)) is not None]
        return max(waits, default=None)


@dataclass(frozen=True, slots=True)
class Board:
    site: str
    site_name: str
    org_code: str
    at: datetime
    lines: list[Line]  # by specialty, then the site's
    free_beds: list[BedRow]  # the beds the site team may give

    def line(self, specialty: str) -> Line:
        found = next((line for line in self.lines if line.specialty == specialty), None)
        if found is None:
            raise InvalidInput("specialty", f"{specialty!r} has no beds or requests here")
        return found


def board(engine: Engine, site: str, now: datetime) -> Board:
    with db.reading(engine) as conn:
        names = site_names(conn)
        if site not in names:
            raise InvalidInput("site", f"{site!r} is not a site homeflow knows")
        open_requests = site_requests(conn, site, waiting=True)
        expected = expected_discharges(conn, site, local_date(now))
        specialty_of = ward_specialties(conn, site)
    beds = site_beds(engine, site, now)
    org = next((b.org_code for b in beds), "")
    allocated = {(r.allocated_ward, r.allocated_bed) for r in open_requests if r.allocated_bed}
    lines: dict[str, Line] = {}

    def line(specialty: str) -> Line:
        return lines.setdefault(specialty, Line(specialty))

    free_beds = []
    for bed in beds:
        place = line(specialty_of.get(bed.ward, ""))
        reserved = bed.status is BedStatus.RESERVED or (
            bed.status is BedStatus.FREE and (bed.ward, bed.bed) in allocated
        )
        if reserved:
            place.reserved.append(bed)
        elif bed.status is BedStatus.FREE:
            place.free.append(bed)
            free_beds.append(bed)
        elif bed.status is BedStatus.AWAITING_CLEANING:
            place.cleaning.append(bed)
        elif bed.status is BedStatus.CLOSED:
            place.closed.append(bed)
    for request in open_requests:
        line(request.request.specialty).waiting.append(request)
    for discharge in expected:
        line(discharge.specialty).expected.append(discharge)
    ordered = [lines[s] for s in sorted(lines)]
    return Board(site, names[site], org, now, [*ordered, _total(ordered)], free_beds)


def _total(lines: Iterable[Line]) -> Line:
    total = Line(ALL)
    for line in lines:
        for name in FIGURES:
            getattr(total, name).extend(getattr(line, name))
    total.waiting.sort(key=lambda r: r.decided_at)
    return total


def members(found: Board, specialty: str, figure: str) -> list[object]:
    """What a figure of the board counts: its beds or its patients."""
    if figure not in FIGURES:
        raise InvalidInput("figure", f"{figure!r} is not one of {', '.join(FIGURES)}")
    listed: list[object] = getattr(found.line(specialty), figure)
    return listed
