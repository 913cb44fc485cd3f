"""Support after discharge as events: an episode of reablement or home care (pathway 1), a
discharge-to-assess or interim bed (pathway 2), or a care-home placement (pathway 3), with its
start, planned and actual end, hours a week at the start and the end, the outcome, and where
the person was 91 days after leaving hospital (ASCOF 2B(1)).

An episode belongs to the hospital spell it followed, but is a record of the council's or the
community provider's, not of the bed stay: the event carries no spell key of its own. The same
episode id again is its newer version (an episode recorded at its start and again at its end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar

from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import Payload
from homeflow.domain.organisations import check_identifier

HOURS_IN_A_WEEK = 168.0


class SupportKind(StrEnum):
    REABLEMENT = "reablement"
    HOME_CARE = "home-care"
    D2A_BED = "d2a-bed"
    INTERIM_BED = "interim-bed"
    CARE_HOME = "care-home"

    @property
    def pathway(self) -> str:
        """The discharge pathway the support belongs to (hospital discharge guidance)."""
        return _PATHWAYS[self]

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def bedded(self) -> bool:
        return self in (SupportKind.D2A_BED, SupportKind.INTERIM_BED, SupportKind.CARE_HOME)


_LABELS = {
    SupportKind.REABLEMENT: "Reablement",
    SupportKind.HOME_CARE: "Home care",
    SupportKind.D2A_BED: "Discharge-to-assess beds",
    SupportKind.INTERIM_BED: "Interim beds",
    SupportKind.CARE_HOME: "Care homes",
}
_PATHWAYS = {
    SupportKind.REABLEMENT: "P1",
    SupportKind.HOME_CARE: "P1",
    SupportKind.D2A_BED: "P2",
    SupportKind.INTERIM_BED: "P2",
    SupportKind.CARE_HOME: "P3",
}


class SupportOutcome(StrEnum):
    NO_ONGOING_SUPPORT = "no-ongoing-support"
    REDUCED_PACKAGE = "reduced-package"
    SAME_PACKAGE = "same-package"
    INCREASED_PACKAGE = "increased-package"
    LONG_TERM_CARE_HOME = "long-term-care-home"
    READMITTED = "readmitted"
    DIED = "died"


class WhereAt91Days(StrEnum):
    """Where the person was 91 days after discharge. Someone not traced counts as not at
    home (ASCOF 2B(1))."""

    AT_HOME = "at-home"
    CARE_HOME = "care-home"
    HOSPITAL = "hospital"
    DIED = "died"
    NOT_TRACED = "not-traced"


class Referrer(StrEnum):
    """Where the need for support came from (the home-care demand's sources)."""

    HOSPITAL = "hospital"
    COMMUNITY = "community"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class SupportEpisodeRecorded(Payload):
    TYPE: ClassVar[str] = "support-episode-recorded"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    episode_id: str
    spell_key: str  # the hospital stay the support followed
    kind: SupportKind
    provider: str  # the provider's ODS code, or the directory's service id
    start: date
    planned_end: date | None = None
    end: date | None = None
    hours_at_start: float | None = None  # hours of care a week
    hours_at_end: float | None = None
    outcome: SupportOutcome | None = None
    at_91_days: WhereAt91Days | None = None
    referrer: Referrer = Referrer.HOSPITAL

    def __post_init__(self) -> None:
        check_identifier("episode_id", self.episode_id)
        if not self.spell_key.strip():
            raise InvalidInput("spell_key", "is required")
        if not self.provider.strip() or len(self.provider) > 60:
            raise InvalidInput("provider", "is required, at most 60 characters")
        for name in ("planned_end", "end"):
            value = getattr(self, name)
            if value is not None and value < self.start:
                raise InvalidInput(name, f"{value.isoformat()} is before the start")
        for name in ("hours_at_start", "hours_at_end"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= HOURS_IN_A_WEEK:
                raise InvalidInput(name, f"{value:g} is not from 0 to 168 hours a week")
        if self.outcome is not None and self.end is None:
            raise InvalidInput("outcome", "needs the end of the episode")
        if self.hours_at_end is not None and self.end is None:
            raise InvalidInput("hours_at_end", "needs the end of the episode")

    def identity(self) -> tuple[object, ...]:
        return (self.episode_id,)
