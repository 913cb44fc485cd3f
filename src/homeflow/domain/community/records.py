"""A community team's work with the people on its caseload, as events: teams, episodes of
care, contacts rated red or green, recovery plans and their goals, carers, peer reviews, the
discharge decision, check-in discharge, arbitration, consent and signposting.

Each belongs to an episode (or a team, or a person's consent), never to a bed stay, so none
carries a spell key. The same id again is an edit: every version stays, with who made it.
The shapes follow FHIR R4 (EpisodeOfCare, CarePlan, Goal, CareTeam, Consent) and the dates the
Mental Health Services Data Set already asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar

from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import DayColour, Payload
from homeflow.domain.improvement.records import check_length, require
from homeflow.domain.organisations import check_ods_code, normalise_nhs_number

# DIALOG: eleven areas, each rated 1 (totally dissatisfied) to 7 (totally satisfied).
DIALOG_ITEMS = (
    "Mental health",
    "Physical health",
    "Job situation",
    "Accommodation",
    "Leisure activities",
    "Relationship with partner or family",
    "Friendships",
    "Personal safety",
    "Medication",
    "Practical help received",
    "Meetings with mental health professionals",
)


class LifeArea(StrEnum):
    """The areas of life a recovery plan covers, health and beyond it (PRSB care plan)."""

    MENTAL_HEALTH = "mental-health"
    PHYSICAL_HEALTH = "physical-health"
    HOUSING = "housing"
    WORK = "work"
    MONEY = "money"
    RELATIONSHIPS = "relationships"
    DAILY_LIVING = "daily-living"
    SAFETY = "safety"


class Achievement(StrEnum):
    """FHIR Goal.achievementStatus, the codes a recovery plan needs."""

    IN_PROGRESS = "in-progress"
    IMPROVING = "improving"
    WORSENING = "worsening"
    NO_PROGRESS = "no-progress"
    ACHIEVED = "achieved"
    NOT_ATTAINABLE = "not-attainable"


class ContactKind(StrEnum):
    APPOINTMENT = "appointment"
    CALL = "call"
    HOME_VISIT = "home-visit"
    CHECK_IN = "check-in"


class CarerAssessment(StrEnum):
    NOT_OFFERED = "not-offered"
    OFFERED = "offered"
    DONE = "done"
    DECLINED = "declined"


def check_text(field: str, value: str, required: bool = False) -> None:
    if required:
        require(field, value)
    check_length(field, value)


def check_telephone(field: str, value: str) -> None:
    """A telephone number as people write it: digits, spaces and + ( ) -, 10 to 15 digits."""
    digits = sum(c.isdigit() for c in value)
    if value and (not 10 <= digits <= 15 or not all(c.isdigit() or c in " +()-" for c in value)):
        raise InvalidInput(field, f"{value!r} is not a telephone number (10 to 15 digits)")


def check_code(field: str, value: str) -> None:
    """Ids that reach an address: letters, digits, - and _, up to 40."""
    if not value or len(value) > 40 or not all(c.isalnum() or c in "-_" for c in value):
        raise InvalidInput(field, f"{value!r} is not an id (letters, digits, - and _, up to 40)")


@dataclass(frozen=True, slots=True)
class CommunityRecord(Payload):
    PROGRAMME_LEVEL: ClassVar[bool] = True
    # The fields that name what a record is about: a record with the same values is a new
    # version of it.
    IDENTITY: ClassVar[tuple[str, ...]] = ()

    def identity(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.IDENTITY)


@dataclass(frozen=True, slots=True)
class TeamDefined(CommunityRecord):
    """A community team under its trust, and when its peer reviews fall due: weeks into an
    episode, at each goal's target date, and before discharge."""

    TYPE: ClassVar[str] = "community-team-defined"
    IDENTITY: ClassVar[tuple[str, ...]] = ("team_code",)
    team_code: str
    name: str
    org_code: str
    review_weeks: tuple[int, ...] = (12,)
    review_at_targets: bool = True
    review_before_discharge: bool = True
    telephone: str = ""  # where the people it cares for, their carers and GPs reach it

    def __post_init__(self) -> None:
        check_code("team_code", self.team_code)
        check_text("name", self.name, True)
        check_ods_code("org_code", self.org_code)
        check_telephone("telephone", self.telephone)
        for weeks in self.review_weeks:
            if not 1 <= weeks <= 520:
                raise InvalidInput("review_weeks", f"{weeks} is not between 1 and 520 weeks")


@dataclass(frozen=True, slots=True)
class EpisodeOpened(CommunityRecord):
    """A person taken onto a team's caseload (FHIR EpisodeOfCare; MHSDS referral received)."""

    TYPE: ClassVar[str] = "community-episode-opened"
    IDENTITY: ClassVar[tuple[str, ...]] = ("episode_id",)
    episode_id: str
    team_code: str
    nhs_number: str
    given_name: str
    family_name: str
    birth_date: date
    referral_received: date
    opened_on: date
    lead_professional: str = ""  # the care coordinator
    referred_by: str = ""
    gp_practice: str = ""  # the practice the person is registered with, as the referral names it

    def __post_init__(self) -> None:
        check_code("episode_id", self.episode_id)
        check_code("team_code", self.team_code)
        object.__setattr__(self, "nhs_number", normalise_nhs_number(self.nhs_number))
        check_text("given_name", self.given_name, True)
        check_text("family_name", self.family_name, True)
        check_text("lead_professional", self.lead_professional)
        check_text("referred_by", self.referred_by)
        check_text("gp_practice", self.gp_practice)
        if self.opened_on < self.referral_received:
            raise InvalidInput("opened_on", "is before the referral was received")
        if self.birth_date > self.referral_received:
            raise InvalidInput("birth_date", "is after the referral was received")


@dataclass(frozen=True, slots=True)
class ContactRecorded(CommunityRecord):
    """An appointment, call or visit, rated red (not purposeful or value-adding, with the
    reason) or green; DIALOG ratings optionally, eleven of 1-7 and the items wanting more help."""

    TYPE: ClassVar[str] = "community-contact-recorded"
    IDENTITY: ClassVar[tuple[str, ...]] = ("episode_id", "contact_id")
    episode_id: str
    contact_id: str
    on: date
    kind: ContactKind
    colour: DayColour
    red_reason: str = ""
    with_whom: str = ""
    note: str = ""
    dialog: tuple[int, ...] = ()
    more_help: tuple[int, ...] = ()
    routine: bool = True

    def __post_init__(self) -> None:
        check_code("episode_id", self.episode_id)
        check_code("contact_id", self.contact_id)
        check_text("note", self.note)
        check_text("with_whom", self.with_whom)
        if self.colour is DayColour.RED:
            check_text("red_reason", self.red_reason, True)
        if self.dialog and len(self.dialog) != len(DIALOG_ITEMS):
            raise InvalidInput("dialog", f"needs all {len(DIALOG_ITEMS)} ratings or none")
        if any(not 1 <= r <= 7 for r in self.dialog):
            raise InvalidInput("dialog", "each rating is from 1 to 7")
        if any(not 1 <= i <= len(DIALOG_ITEMS) for i in self.more_help):
            raise InvalidInput("more_help", f"items are numbered 1 to {len(DIALOG_ITEMS)}")


@dataclass(frozen=True, slots=True)
class GoalRecorded(CommunityRecord):
    """A recovery-plan goal in the person's words (FHIR Goal, expressedBy the person), with the
    jointly agreed success criteria, target date, who helps and how it is going."""

    TYPE: ClassVar[str] = "community-goal-recorded"
    IDENTITY: ClassVar[tuple[str, ...]] = ("episode_id", "goal_id")
    episode_id: str
    goal_id: str
    description: str
    life_area: LifeArea
    success_criteria: str
    target_date: date
    recorded_on: date
    who_helps: str = ""
    achievement: Achievement = Achievement.IN_PROGRESS
    progress_note: str = ""

    def __post_init__(self) -> None:
        check_code("episode_id", self.episode_id)
        check_code("goal_id", self.goal_id)
        check_text("description", self.description, True)
        check_text("success_criteria", self.success_criteria, True)
        check_text("who_helps", self.who_helps)
        check_text("progress_note", self.progress_note)


@dataclass(frozen=True, slots=True)
class PlanAgreed(CommunityRecord):
    """The recovery plan agreed (MHSDS care plan agreed by and when)."""

    TYPE: ClassVar[str] = "community-plan-agreed"
    IDENTITY: ClassVar[tuple[str, ...]] = ("episode_id",)
    episode_id: str
    agreed_on: date
    agreed_by: str
    owned_by_person: bool = True
    crisis_plan: str = ""

    def __post_init__(self) -> None:
        check_code("episode_id", self.episode_id)
        check_text("agreed_by", self.agreed_by, True)
        check_text("crisis_plan", self.crisis_plan)


@dataclass(frozen=True, slots=True)
class CarerRecorded(CommunityRecord):
    """A carer, and their carer's assessment (offered, done or declined, by the council)."""

    TYPE: ClassVar[str] = "community-carer-recorded"
    IDENTITY: ClassVar[tuple[str, ...]] = ("episode_id", "carer_id")
    episode_id: str
    carer_id: str
    name: str
    relationship: str
    assessment: CarerAssessment
    recorded_on: date
    local_authority: str = ""
    support: str = ""
    at_discharge: bool = False

    def __post_init__(self) -> None:
        check_code("episode_id", self.episode_id)
        check_code("carer_id", self.carer_id)
        check_text("name", self.name, True)
        check_text("relationship", self.relationship, True)
        check_text("support", self.support)
        if self.assessment in (CarerAssessment.DONE, CarerAssessment.OFFERED):
            check_text("local_authority", self.local_authority, True)


@dataclass(frozen=True, slots=True)
class PeerReviewRecorded(CommunityRecord):
    """A peer review at a milestone: the critical friend's challenge, the outcome, who took
    part. `milestone` is `week-N`, `goal-ID` or `before-discharge`."""

    TYPE: ClassVar[str] = "community-peer-review-recorded"
    IDENTITY: ClassVar[tuple[str, ...]] = ("episode_id", "milestone")
    episode_id: str
    milestone: str
    held_on: date
    challenge: str
    outcome: str
    participants: tuple[str, ...]

    def __post_init__(self) -> None:
        check_code("episode_id", self.episode_id)
        check_code("milestone", self.milestone)
        check_text("challenge", self.challenge, True)
        check_text("outcome", self.outcome, True)
        if not [p for p in self.participants if p.strip()]:
            raise InvalidInput("participants", "name at least one person who took part")
