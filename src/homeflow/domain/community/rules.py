"""What a community record must agree with before it is stored: the episode it belongs to,
the plan's dates, the team, and no day after today."""

from __future__ import annotations

from datetime import date

from homeflow.domain.clock import format_day
from homeflow.domain.community.caseload import Caseloads, Episode
from homeflow.domain.community.leaving import (
    ArbitrationRecorded,
    CheckInStarted,
    DischargeDecisionRecorded,
    EpisodeClosed,
    EpisodeReopened,
)
from homeflow.domain.community.records import (
    CarerRecorded,
    CommunityRecord,
    ContactRecorded,
    EpisodeOpened,
    GoalRecorded,
    PeerReviewRecorded,
    PlanAgreed,
    TeamDefined,
)
from homeflow.domain.community.sharing import (
    ConsentRecorded,
    DirectoryServiceRecorded,
    SignpostRecorded,
)
from homeflow.domain.errors import InvalidInput

# The day each kind of record says something happened on (target and due dates may be ahead).
HAPPENED_ON = {
    EpisodeOpened: "opened_on",
    ContactRecorded: "on",
    GoalRecorded: "recorded_on",
    PlanAgreed: "agreed_on",
    CarerRecorded: "recorded_on",
    PeerReviewRecorded: "held_on",
    DischargeDecisionRecorded: "decided_on",
    CheckInStarted: "last_routine_on",
    EpisodeReopened: "reopened_on",
    EpisodeClosed: "closed_on",
    ArbitrationRecorded: "referred_on",
    ConsentRecorded: "on",
    SignpostRecorded: "on",
}


def check_record(caseloads: Caseloads, record: CommunityRecord, today: date) -> None:
    """Refuse a record that does not fit what is already known, naming the field."""
    day_field = HAPPENED_ON.get(type(record))
    if day_field is not None and getattr(record, day_field) > today:
        raise InvalidInput(day_field, f"{format_day(getattr(record, day_field))} is in the future")
    if isinstance(record, TeamDefined):
        _check_team(caseloads, record)
        return
    if isinstance(record, DirectoryServiceRecorded):
        return
    if isinstance(record, EpisodeOpened):
        _check_opened(caseloads, record)
        return
    episode = caseloads.episodes.get(getattr(record, "episode_id", ""))
    if episode is None:
        raise InvalidInput("episode_id", f"{getattr(record, 'episode_id', '')!r} is not an episode")
    assert day_field is not None
    if getattr(record, day_field) < episode.opened.opened_on:
        raise InvalidInput(
            day_field, f"is before the episode began ({format_day(episode.opened.opened_on)})"
        )
    closed = episode.closed_on(today)
    # Consent may be withdrawn (or given) whenever: the person's own team can always record it.
    exempt = isinstance(
        record, ArbitrationRecorded | EpisodeClosed | EpisodeReopened | ConsentRecorded
    )
    if closed is not None and getattr(record, day_field) > closed and not exempt:
        raise InvalidInput(day_field, f"is after the episode closed ({format_day(closed)})")
    _check_in_episode(episode, record, today)


def _check_team(caseloads: Caseloads, record: TeamDefined) -> None:
    existing = caseloads.teams.get(record.team_code)
    if existing is not None and existing.org_code != record.org_code:
        raise InvalidInput("org_code", f"the team belongs to {existing.org_code}")


def _check_consent(episode: Episode, record: ConsentRecorded) -> None:
    if record.nhs_number:
        raise InvalidInput("nhs_number", "a consent names the episode that holds it, not a person")
    if record.org_code == episode.org_code:
        raise InvalidInput(
            "org_code", "is the organisation holding this episode: it sees it already"
        )


def _check_opened(caseloads: Caseloads, record: EpisodeOpened) -> None:
    if record.team_code not in caseloads.teams:
        raise InvalidInput("team_code", f"{record.team_code!r} is not a community team")
    existing = caseloads.episodes.get(record.episode_id)
    if existing is not None and existing.opened.nhs_number != record.nhs_number:
        raise InvalidInput("episode_id", f"{record.episode_id!r} is another person's episode")


def _check_in_episode(episode: Episode, record: CommunityRecord, today: date) -> None:
    if isinstance(record, ConsentRecorded):
        _check_consent(episode, record)
    if isinstance(record, GoalRecorded) and record.target_date < episode.plan_began(record):
        raise InvalidInput(
            "target_date",
            f"{format_day(record.target_date)} is before the plan began "
            f"({format_day(episode.plan_began(record))})",
        )
    if isinstance(record, CheckInStarted) and episode.status(today) != "open":
        raise InvalidInput("episode_id", f"the episode is {episode.status(today)}, not open")
    if isinstance(record, EpisodeReopened):
        check_in = episode.check_in()
        if check_in is None or episode.closure is not None:
            raise InvalidInput("episode_id", "only an episode in its check-in period re-opens")
        if not check_in.last_routine_on <= record.reopened_on <= check_in.ends_on:
            raise InvalidInput(
                "reopened_on",
                f"is outside the check-in period ({format_day(check_in.last_routine_on)} to "
                f"{format_day(check_in.ends_on)})",
            )
    if (
        isinstance(record, EpisodeClosed)
        and episode.closure is not None
        and episode.closure.identity() == record.identity()
        and (episode.closure.closed_on, episode.closure.reason) != (record.closed_on, record.reason)
    ):
        raise InvalidInput("episode_id", "the episode is already closed")
    if isinstance(record, PeerReviewRecorded):
        known = {r.milestone for r in episode.reviews.values()}
        if record.milestone not in known and not _milestone_ok(episode, record.milestone):
            raise InvalidInput(
                "milestone", f"{record.milestone!r} is not week-N, goal-ID or before-discharge"
            )


def _milestone_ok(episode: Episode, milestone: str) -> bool:
    if milestone == "before-discharge":
        return True
    if milestone.startswith("week-"):
        return milestone[5:].isdigit()
    return milestone.startswith("goal-") and milestone[5:] in episode.goals
