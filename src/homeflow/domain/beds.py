"""A ward's beds over time: the registry gives each ward its beds, and a dated change (more or
fewer beds, winter escalation beds opened or closed) applies from its day on. The census and
the capacity model both read the beds a ward had on a day from here."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from homeflow.domain.clock import check_day
from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import Payload

MAX_BEDS = 500  # a ward; more is a typing slip


@dataclass(frozen=True, slots=True)
class WardBedsChanged(Payload):
    """From `from_day`, the ward has `beds` beds of its own and `escalation_beds` more open."""

    TYPE: ClassVar[str] = "ward-beds-changed"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    ward_code: str
    from_day: date
    beds: int
    escalation_beds: int = 0
    reason: str = ""

    def __post_init__(self) -> None:
        if not self.ward_code:
            raise InvalidInput("ward_code", "is required")
        check_day("from_day", self.from_day)
        for name in ("beds", "escalation_beds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_BEDS:
                raise InvalidInput(name, f"must be a whole number from 0 to {MAX_BEDS}")
        if len(self.reason) > 500:
            raise InvalidInput("reason", "is longer than 500 characters")

    @property
    def open_beds(self) -> int:
        return self.beds + self.escalation_beds


class BedBase:
    """Each ward's dated changes, in the order recorded (a later record for the same day wins)."""

    def __init__(self, changes: Iterable[WardBedsChanged]) -> None:
        self.by_ward: dict[str, list[WardBedsChanged]] = {}
        for change in changes:
            found = self.by_ward.setdefault(change.ward_code, [])
            found[:] = [c for c in found if c.from_day != change.from_day]
            found.append(change)
            found.sort(key=lambda c: c.from_day)

    def change_on(self, ward_code: str, day: date) -> WardBedsChanged | None:
        """The change in force on `day`, if any."""
        found = self.by_ward.get(ward_code, [])
        at = bisect_right([c.from_day for c in found], day)
        return found[at - 1] if at else None

    def beds_on(self, ward_code: str, day: date, registered: int) -> int:
        """The beds open on the ward that day (its own and escalation)."""
        change = self.change_on(ward_code, day)
        return registered if change is None else change.open_beds

    def changes_after(self, ward_code: str, day: date) -> list[WardBedsChanged]:
        return [c for c in self.by_ward.get(ward_code, []) if c.from_day > day]


def room_for_patients(change: WardBedsChanged, patients: int, today: date) -> WardBedsChanged:
    """A change in force from today or earlier leaves a bed open for each patient in the ward
    now: fewer is refused, naming the beds and the patients (move them first, or open
    escalation beds). A change from a later day is a plan; who is in then is not known."""
    if change.from_day <= today and change.open_beds < patients:
        said = f"{patients} patient" + ("" if patients == 1 else "s")
        raise InvalidInput(
            "beds",
            f"would leave {change.open_beds} beds open (with escalation beds) for the {said} "
            "in the ward now: move patients first, or open escalation beds",
        )
    return change
