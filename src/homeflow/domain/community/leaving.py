"""Leaving a community team: the discharge decision, check-in (staged) discharge, re-access,
the episode's end and a disputed discharge before the arbitration panel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar

from homeflow.domain.community.records import CommunityRecord, check_code, check_text
from homeflow.domain.errors import InvalidInput


class DischargeChoice(StrEnum):
    """What the discharge decision tool concluded."""

    CHECK_IN = "check-in"
    DISCHARGE = "discharge"
    CONTINUE = "continue"
    DISPUTED = "disputed"


class ClosureReason(StrEnum):
    DISCHARGED = "discharged"
    CHECK_IN_ENDED = "check-in-ended"
    TRANSFERRED = "transferred"
    DID_NOT_ENGAGE = "did-not-engage"
    DIED = "died"


@dataclass(frozen=True, slots=True)
class DischargeDecisionRecorded(CommunityRecord):
    """The discharge decision tool's answers and what it concluded."""

    TYPE: ClassVar[str] = "community-discharge-decision"
    IDENTITY: ClassVar[tuple[str, ...]] = ("episode_id", "decided_on")
    episode_id: str
    decided_on: date
    choice: DischargeChoice
    goals_met: str
    risks: str
    support_outside: str
    gp_arrangements: str
    crisis_and_reaccess: str
    person_view: str
    carer_view: str = ""
    decided_by: str = ""

    def __post_init__(self) -> None:
        check_code("episode_id", self.episode_id)
        for name in (
            "goals_met",
            "risks",
            "support_outside",
            "gp_arrangements",
            "crisis_and_reaccess",
            "person_view",
        ):
            check_text(name, getattr(self, name), True)
        check_text("carer_view", self.carer_view)
        check_text("decided_by", self.decided_by)


@dataclass(frozen=True, slots=True)
class CheckInStarted(CommunityRecord):
    """Staged discharge: after the last routine appointment, a check-in period with direct
    re-access; the episode closes at its end unless re-opened."""

    TYPE: ClassVar[str] = "community-check-in-started"
    IDENTITY: ClassVar[tuple[str, ...]] = ("episode_id", "last_routine_on")
    episode_id: str
    last_routine_on: date
    ends_on: date

    def __post_init__(self) -> None:
        check_code("episode_id", self.episode_id)
        if self.ends_on <= self.last_routine_on:
            raise InvalidInput("ends_on", "must be after the last routine appointment")


@dataclass(frozen=True, slots=True)
class EpisodeReopened(CommunityRecord):
    """Direct re-access during check-in: routine care again, no new referral."""

    TYPE: ClassVar[str] = "community-episode-reopened"
    IDENTITY: ClassVar[tuple[str, ...]] = ("episode_id", "reopened_on")
    episode_id: str
    reopened_on: date
    reason: str

    def __post_init__(self) -> None:
        check_code("episode_id", self.episode_id)
        check_text("reason", self.reason, True)


@dataclass(frozen=True, slots=True)
class EpisodeClosed(CommunityRecord):
    """The end of the episode (MHSDS service discharge date), and when the letter went."""

    TYPE: ClassVar[str] = "community-episode-closed"
    IDENTITY: ClassVar[tuple[str, ...]] = ("episode_id",)
    episode_id: str
    closed_on: date
    reason: ClosureReason
    letter_issued_on: date | None = None

    def __post_init__(self) -> None:
        check_code("episode_id", self.episode_id)


@dataclass(frozen=True, slots=True)
class ArbitrationRecorded(CommunityRecord):
    """A disputed discharge before the arbitration panel: the question, the members (each
    `role: name`), the hearing and its due date, the decision and the way forward."""

    TYPE: ClassVar[str] = "community-arbitration-recorded"
    IDENTITY: ClassVar[tuple[str, ...]] = ("episode_id", "case_id")
    episode_id: str
    case_id: str
    referred_on: date
    question: str
    members: tuple[str, ...]
    hearing_due: date
    hearing_on: date | None = None
    decision: str = ""
    way_forward: str = ""
    way_forward_due: date | None = None
    way_forward_done: bool = False

    def __post_init__(self) -> None:
        check_code("episode_id", self.episode_id)
        check_code("case_id", self.case_id)
        check_text("question", self.question, True)
        if not [m for m in self.members if m.strip()]:
            raise InvalidInput("members", "name the panel's members")
        if self.hearing_due < self.referred_on:
            raise InvalidInput("hearing_due", "is before the referral to the panel")
        if self.hearing_on is not None:
            if self.hearing_on < self.referred_on:
                raise InvalidInput("hearing_on", "is before the referral to the panel")
            check_text("decision", self.decision, True)
        check_text("way_forward", self.way_forward)
