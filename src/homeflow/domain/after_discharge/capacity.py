"""Community and social-care capacity beside the hospitals': what providers have (their
weekly return, shaped like the Capacity Tracker's home-care and care-home returns), what is in
use (the episodes open that day), and who is waiting in hospital for it, with a pressure level
as for hospitals.

A provider's return for a kind of support on a day replaces its earlier ones from that day on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from homeflow.domain.after_discharge.records import SupportEpisodeRecorded, SupportKind
from homeflow.domain.errors import InvalidInput
from homeflow.domain.escalation import Thresholds
from homeflow.domain.events import Payload
from homeflow.domain.organisations import check_identifier


@dataclass(frozen=True, slots=True)
class ProviderCapacityRecorded(Payload):
    TYPE: ClassVar[str] = "provider-capacity-recorded"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    provider: str
    kind: SupportKind
    on: date
    commissioned: int  # packages (reablement, home care) or beds
    carers: int | None = None  # care workers employed (home support)
    contracted_hours: float | None = None  # hours of care a week contracted
    delivered_hours: float | None = None  # hours of care delivered last week
    vacancies: int | None = None  # care-worker posts vacant, or beds free for a care home
    travel_share: float | None = None  # of paid time, spent travelling between visits
    start_delay_days: float | None = None  # median days from referral to the first visit

    def __post_init__(self) -> None:
        check_identifier("provider", self.provider, 60)
        for name in ("commissioned", "carers", "vacancies"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise InvalidInput(name, "cannot be negative")
        for name in ("contracted_hours", "delivered_hours", "start_delay_days"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise InvalidInput(name, "must be a number, not negative")
        if self.travel_share is not None and not 0 <= self.travel_share < 1:
            raise InvalidInput("travel_share", "must be a share from 0 up to 1")

    def identity(self) -> tuple[object, ...]:
        return (self.provider, self.kind.value, self.on)


@dataclass(frozen=True, slots=True)
class CapacityRow:
    kind: SupportKind
    commissioned: int
    in_use: tuple[str, ...]  # the episodes open that day
    waiting: tuple[str, ...]  # spells in hospital, ready to go, on the kind's pathway
    vacancies: int | None
    pressure_level: int

    @property
    def occupancy_percent(self) -> float | None:
        return 100 * len(self.in_use) / self.commissioned if self.commissioned else None


def latest_returns(
    records: Iterable[ProviderCapacityRecorded], day: date
) -> dict[tuple[str, SupportKind], ProviderCapacityRecorded]:
    """Each provider's newest return for each kind, on or before `day`."""
    found: dict[tuple[str, SupportKind], ProviderCapacityRecorded] = {}
    for record in records:
        key = (record.provider, record.kind)
        if record.on <= day and (key not in found or found[key].on <= record.on):
            found[key] = record
    return found


def open_on(episode: SupportEpisodeRecorded, day: date) -> bool:
    return episode.start <= day and (episode.end is None or episode.end > day)


def capacity_on(
    day: date,
    records: Iterable[ProviderCapacityRecorded],
    episodes: Sequence[SupportEpisodeRecorded],
    waiting_by_pathway: Mapping[str, Sequence[str]],
    occupancy: Thresholds,
) -> list[CapacityRow]:
    """Each kind of support that day: commissioned, in use, waiting, and its pressure level:
    occupancy against the same thresholds as a hospital's; 4 when people use or wait for
    support nobody has commissioned."""
    returns = latest_returns(records, day)
    rows = []
    for kind in SupportKind:
        mine = [r for (_, k), r in returns.items() if k is kind]
        commissioned = sum(r.commissioned for r in mine)
        in_use = tuple(e.episode_id for e in episodes if e.kind is kind and open_on(e, day))
        waiting = tuple(waiting_by_pathway.get(kind.pathway, ()))
        if not commissioned and not in_use and not waiting:
            continue
        vacancies = [r.vacancies for r in mine if r.vacancies is not None]
        level = occupancy.level(100 * len(in_use) / commissioned) if commissioned else 4
        rows.append(
            CapacityRow(
                kind,
                commissioned,
                in_use,
                waiting,
                sum(vacancies) if vacancies else None,
                level,
            )
        )
    return rows
