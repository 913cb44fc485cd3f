"""The improvement collaborative (the IHI Breakthrough Series, as London ran it): learning
sessions, three-month action periods and peer visits with who took part; each team's monthly
progress score, by the team and by the faculty; and momentum, people taking part times the
actions and interactions recorded, per action period."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import Event, Payload
from homeflow.domain.improvement.records import check_length, require


class GatheringKind(StrEnum):
    LEARNING_SESSION = "learning-session"
    ACTION_PERIOD = "action-period"
    PEER_VISIT = "peer-visit"


class ScoredBy(StrEnum):
    TEAM = "team"
    FACULTY = "faculty"


# The IHI collaborative progress score, 0.5 to 5 in half points.
PROGRESS_SCORES: dict[float, str] = {
    0.5: "Intent to participate",
    1.0: "Forming team",
    1.5: "Planning for the project has begun",
    2.0: "Activity, but no changes",
    2.5: "Changes tested, but no improvement",
    3.0: "Modest improvement",
    3.5: "Improvement",
    4.0: "Significant improvement",
    4.5: "Sustainable improvement",
    5.0: "Outstanding sustainable results",
}


@dataclass(frozen=True, slots=True)
class GatheringRecorded(Payload):
    """A learning session, an action period or a peer visit, with who took part. A peer visit
    names the team visited, its findings and the actions agreed. The same id again edits it."""

    TYPE: ClassVar[str] = "collaborative-gathering-recorded"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    system: str
    gathering_id: str
    kind: GatheringKind
    title: str
    starts: date
    ends: date
    participants: tuple[str, ...] = ()
    visited: str = ""
    findings: str = ""
    agreed_actions: str = ""

    def __post_init__(self) -> None:
        for name in ("system", "gathering_id", "title"):
            require(name, getattr(self, name))
        if self.ends < self.starts:
            raise InvalidInput("ends", "cannot be before it starts")
        for name in ("findings", "agreed_actions"):
            check_length(name, getattr(self, name))


@dataclass(frozen=True, slots=True)
class ProgressScored(Payload):
    """A team's progress score for a month, by the team itself or by the faculty."""

    TYPE: ClassVar[str] = "progress-scored"
    PROGRAMME_LEVEL: ClassVar[bool] = True
    system: str
    team: str
    month: date  # the first of the month
    score: float
    scored_by: ScoredBy
    notes: str = ""

    def __post_init__(self) -> None:
        require("team", self.team)
        if self.month.day != 1:
            raise InvalidInput("month", "must be the first day of a month")
        if self.score not in PROGRESS_SCORES:
            raise InvalidInput(
                "score", f"{self.score:g} is not a progress score (0.5 to 5 in halves)"
            )
        check_length("notes", self.notes)


COLLABORATIVE_PAYLOADS: tuple[type[Payload], ...] = (GatheringRecorded, ProgressScored)


@dataclass(frozen=True, slots=True)
class Momentum:
    period: GatheringRecorded
    people: int  # everyone who took part in a gathering within the period
    actions: int  # actions, PDSAs and scores recorded, and gatherings held, within it

    @property
    def momentum(self) -> int:
        return self.people * self.actions


def latest(
    events: Iterable[Event], kind: type[Payload]
) -> dict[tuple[str, ...], tuple[Event, Payload]]:
    """Each record's latest version: gatherings by system and id, scores by system, team,
    month and scorer."""
    found: dict[tuple[str, ...], tuple[Event, Payload]] = {}
    for event in sorted(events, key=lambda e: e.fold_order):
        record = event.payload
        if isinstance(record, GatheringRecorded) and kind is GatheringRecorded:
            found[(record.system, record.gathering_id)] = (event, record)
        elif isinstance(record, ProgressScored) and kind is ProgressScored:
            # Each system scores its own teams: another's score for a team of the same name is
            # its own record, never a newer version of this one.
            key = (record.system, record.team, record.month.isoformat(), record.scored_by.value)
            found[key] = (event, record)
    return found


def momentum(
    gatherings: Iterable[GatheringRecorded], activity: Iterable[datetime | date]
) -> list[Momentum]:
    """Momentum per action period: people taking part in the period's gatherings times the
    actions and interactions recorded in it (each gathering counts as one)."""
    gathered = list(gatherings)
    days = [a.date() if isinstance(a, datetime) else a for a in activity]
    found = []
    for period in sorted(
        (g for g in gathered if g.kind is GatheringKind.ACTION_PERIOD), key=lambda g: g.starts
    ):
        within = [g for g in gathered if period.starts <= g.starts <= period.ends]
        people = {p.strip().lower() for g in within for p in g.participants if p.strip()}
        actions = sum(period.starts <= d <= period.ends for d in days) + len(within)
        found.append(Momentum(period, len(people), actions))
    return found
