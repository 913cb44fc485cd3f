"""The demo's bed management system: the bed status updates (HL7 A20) it sends as patients
leave their beds and housekeeping cleans them, and an infection-control bay closed for a few
days.

A bed a patient leaves waits for cleaning until housekeeping has cleaned it: a standard clean
takes about 1 to 4 hours (most about an hour and a half). When the simulation handed the bed
straight to the next patient (the site was full and someone waited), there was no time for
the updates and none is sent. The closed bay's beds are kept empty by the simulation
(`demo/beds.Beds.close`); each closes when it is empty and all open again, deep-cleaned, when
the bay reopens."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from homeflow.domain import events as ev
from homeflow.domain.bed_state import BedStatus, BedStatusSet, ClosureReason

SOURCE = "demo-beds"
# Hours a standard clean takes: between 1 and 4, most about an hour and a half.
CLEAN_HOURS = (1.0, 4.0, 1.5)
# The least a clean takes when the next patient waits for the bed (a priority clean), and the
# time between the bed being clean and the patient arriving. A bed handed on sooner was given
# straight to the next patient: no update is sent.
QUICKEST_CLEAN = timedelta(minutes=45)
ROOM_FOR_A_CLEAN = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class BayClosure:
    """A bay closed for infection control: its ward and beds, from `days_before_end` days
    before the demo's last day at `hour`, for `days` days."""

    ward_code: str
    beds: tuple[str, ...]
    days_before_end: int
    hour: float
    days: float

    def hours(self, end: date, origin: date) -> tuple[float, float]:
        """When it closes and reopens, in the simulation's hours from its origin."""
        start = ((end - origin).days - self.days_before_end) * 24.0 + self.hour
        return start, start + self.days * 24.0


# A norovirus outbreak in a bay of Riverside's second medical ward, closed for four days.
INFECTION_CONTROL_BAY = BayClosure("RX101-M02", ("01", "02", "03", "04"), 9, 11.0, 4.0)


def _event(n: int, at: datetime, status: BedStatusSet) -> ev.Event:
    key = f"{SOURCE}:{status.ward_code}:{status.bed}:{n}"
    return ev.Event(key, SOURCE, at, at + timedelta(seconds=20), None, status, recorded_by="demo")


def _moves(events: Iterable[ev.Event]) -> dict[tuple[str, str], list[tuple[datetime, bool]]]:
    """Each bed's arrivals (True) and departures (False) in time order, from the stays that
    were not cancelled."""
    cancelled = {e.spell_key for e in events if isinstance(e.payload, ev.AdmissionCancelled)}
    where: dict[str, tuple[str, str] | None] = {}
    found: dict[tuple[str, str], list[tuple[datetime, bool]]] = {}
    for event in sorted(events, key=lambda e: e.fold_order):
        key, payload = event.spell_key, event.payload
        if key is None or key in cancelled:
            continue
        left = where.get(key)
        if isinstance(payload, ev.Transferred | ev.Discharged) and left is not None:
            found.setdefault(left, []).append((event.occurred_at, False))
            where[key] = None
        if isinstance(payload, ev.Admitted | ev.Transferred) and payload.bed:
            bed = (payload.ward_code, payload.bed)
            where[key] = bed
            found.setdefault(bed, []).append((event.occurred_at, True))
    return found


def bed_states(
    events: Iterable[ev.Event], seed: int, horizon: datetime, closure: tuple[datetime, datetime]
) -> list[ev.Event]:
    """The bed status events of the demo's beds up to `horizon`: cleaning after each departure
    with room for one, and the infection-control bay's closure from `closure[0]` to
    `closure[1]` (either may be outside the demo)."""
    rng = random.Random(f"{seed}:bed-state")
    bay = {(INFECTION_CONTROL_BAY.ward_code, b) for b in INFECTION_CONTROL_BAY.beds}
    closes, reopens = closure
    found: list[tuple[datetime, BedStatusSet]] = []
    for (ward, bed), moves in sorted(_moves(list(events)).items()):
        in_bay = (ward, bed) in bay
        if in_bay and not any(closes < at < reopens for at, arrived in moves if arrived):
            found.extend(_closure(ward, bed, moves, closes, reopens))
        for n, (at, arrived) in enumerate(moves):
            if arrived or (in_bay and closes <= at < reopens):
                continue
            clean = at + timedelta(seconds=round(rng.triangular(*CLEAN_HOURS) * 3600))
            following = next((t for t, a in moves[n + 1 :] if a), None)
            if following is not None:
                if following - at < QUICKEST_CLEAN + ROOM_FOR_A_CLEAN:
                    continue
                clean = min(clean, following - ROOM_FOR_A_CLEAN)
            found.append((at, BedStatusSet(ward, bed, BedStatus.AWAITING_CLEANING)))
            if not (in_bay and at < closes < clean):  # else the bay's deep clean cleans it
                found.append((clean, BedStatusSet(ward, bed, BedStatus.FREE)))
    return [_event(n, at, status) for n, (at, status) in enumerate(found) if at <= horizon]


def _closure(
    ward: str,
    bed: str,
    moves: list[tuple[datetime, bool]],
    closes: datetime,
    reopens: datetime,
) -> list[tuple[datetime, BedStatusSet]]:
    """A bay bed closes when the closure starts, or when its patient leaves if later; it
    reopens, deep-cleaned, with the bay."""
    occupied = False
    left = closes
    for at, arrived in moves:
        if at > closes:
            if not arrived and occupied:
                left = at
            break
        occupied = arrived
    if left >= reopens:
        return []
    closed = BedStatusSet(ward, bed, BedStatus.CLOSED, ClosureReason.INFECTION_CONTROL)
    return [(left, closed), (reopens, BedStatusSet(ward, bed, BedStatus.FREE))]
