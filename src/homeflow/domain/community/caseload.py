"""A team's caseload folded from its events: each episode of care as it stands on a day, with
its plan, contacts, carers, reviews, decision, check-in and arbitration.

The fold takes the day it is read on because a check-in discharge closes by itself: when the
check-in period ends with no re-access, the episode ends that day without anyone recording it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from homeflow.domain.community.leaving import (
    ArbitrationRecorded,
    CheckInStarted,
    ClosureReason,
    DischargeChoice,
    DischargeDecisionRecorded,
    EpisodeClosed,
    EpisodeReopened,
)
from homeflow.domain.community.records import (
    Achievement,
    CarerRecorded,
    ContactRecorded,
    EpisodeOpened,
    GoalRecorded,
    PeerReviewRecorded,
    PlanAgreed,
    TeamDefined,
)
from homeflow.domain.community.sharing import (
    ConsentRecorded,
    SignpostRecorded,
)
from homeflow.domain.events import DayColour, Event

REACCESS_DAYS = 90
BEFORE_DISCHARGE = "before-discharge"


@dataclass
class Episode:
    opened: EpisodeOpened
    org_code: str
    contacts: dict[str, ContactRecorded] = field(default_factory=dict)
    goals: dict[str, list[GoalRecorded]] = field(default_factory=dict)
    plan: PlanAgreed | None = None
    carers: dict[str, CarerRecorded] = field(default_factory=dict)
    reviews: dict[str, PeerReviewRecorded] = field(default_factory=dict)
    decisions: list[DischargeDecisionRecorded] = field(default_factory=list)
    check_ins: list[CheckInStarted] = field(default_factory=list)
    reopened: list[EpisodeReopened] = field(default_factory=list)
    closure: EpisodeClosed | None = None
    arbitrations: dict[str, ArbitrationRecorded] = field(default_factory=dict)
    signposts: list[SignpostRecorded] = field(default_factory=list)
    # The latest word of each consent this episode holds, by organisation and purpose.
    consents: dict[tuple[str, str], ConsentRecorded] = field(default_factory=dict)

    @property
    def episode_id(self) -> str:
        return self.opened.episode_id

    def plan_began(self, goal: GoalRecorded | None = None) -> date:
        """When the recovery plan began: its first goal was written down or it was agreed,
        whichever came first (counting `goal`, about to be recorded)."""
        days = [versions[0].recorded_on for versions in self.goals.values()]
        days += [self.plan.agreed_on] if self.plan else []
        days += [goal.recorded_on] if goal else []
        return min(days, default=self.opened.opened_on)

    def current_goals(self) -> list[GoalRecorded]:
        return [versions[-1] for versions in self.goals.values()]

    def sorted_contacts(self) -> list[ContactRecorded]:
        return sorted(self.contacts.values(), key=lambda c: (c.on, c.contact_id))

    def check_in(self) -> CheckInStarted | None:
        """The check-in under way or last ended: the latest, unless re-access came after it."""
        if not self.check_ins:
            return None
        latest = self.check_ins[-1]
        if any(r.reopened_on >= latest.last_routine_on for r in self.reopened):
            return None
        return latest

    def closed_on(self, today: date) -> date | None:
        """The day the episode ended, as seen on `today` (a closure dated later has not yet
        happened; a check-in ends the day after its last day)."""
        if self.closure is not None and self.closure.closed_on <= today:
            return self.closure.closed_on
        check_in = self.check_in()
        if check_in is not None and check_in.ends_on < today:
            return check_in.ends_on
        return None

    def closure_reason(self, today: date) -> ClosureReason | None:
        if self.closure is not None and self.closure.closed_on <= today:
            return self.closure.reason
        return ClosureReason.CHECK_IN_ENDED if self.closed_on(today) else None

    def status(self, today: date) -> str:
        if self.closed_on(today) is not None:
            return "closed"
        return "check-in" if self.check_in() is not None else "open"

    def through_check_in(self, today: date) -> bool:
        """Closed at the end of a check-in period (staged discharge)."""
        closed = self.closed_on(today)
        check_in = self.check_in()
        return closed is not None and check_in is not None and closed >= check_in.ends_on

    def decision(self) -> DischargeDecisionRecorded | None:
        return self.decisions[-1] if self.decisions else None

    def plan_has_agreed_goals(self, on: date) -> bool:
        return (
            self.plan is not None
            and self.plan.agreed_on <= on
            and any(g[0].recorded_on <= on for g in self.goals.values())
        )

    def red_contacts(self) -> list[ContactRecorded]:
        return [c for c in self.contacts.values() if c.colour is DayColour.RED]

    def achieved_goals(self) -> list[GoalRecorded]:
        return [g for g in self.current_goals() if g.achievement is Achievement.ACHIEVED]


@dataclass(frozen=True, slots=True)
class ReviewDue:
    episode_id: str
    milestone: str
    due: date
    held: PeerReviewRecorded | None

    @property
    def on_time(self) -> bool:
        return self.held is not None and self.held.held_on <= self.due

    def overdue(self, today: date) -> bool:
        return self.held is None and self.due < today


@dataclass
class Caseloads:
    """Every team and episode (each with the consents it holds)."""

    teams: dict[str, TeamDefined] = field(default_factory=dict)
    episodes: dict[str, Episode] = field(default_factory=dict)

    def of_person(self, nhs_number: str) -> list[Episode]:
        return sorted(
            (e for e in self.episodes.values() if e.opened.nhs_number == nhs_number),
            key=lambda e: (e.opened.referral_received, e.episode_id),
        )

    def re_referred(self, episode: Episode, today: date) -> Episode | None:
        """The person's next referral within 90 days of this episode closing, if any."""
        closed = episode.closed_on(today)
        if closed is None:
            return None
        for later in self.of_person(episode.opened.nhs_number):
            received = later.opened.referral_received
            if later is not episode and closed <= received <= closed + timedelta(REACCESS_DAYS):
                return later
        return None

    def reviews_due(self, episode: Episode, today: date) -> list[ReviewDue]:
        team = self.teams.get(episode.opened.team_code)
        if team is None:
            return []
        dues: dict[str, date] = {
            f"week-{weeks}": episode.opened.opened_on + timedelta(weeks=weeks)
            for weeks in team.review_weeks
        }
        if team.review_at_targets:
            for goal in episode.current_goals():
                dues[f"goal-{goal.goal_id}"] = goal.target_date
        decision = episode.decision()
        leaving = (DischargeChoice.CHECK_IN, DischargeChoice.DISCHARGE)
        if team.review_before_discharge and decision is not None and decision.choice in leaving:
            dues[BEFORE_DISCHARGE] = decision.decided_on
        closed = episode.closed_on(today)
        return sorted(
            (
                ReviewDue(episode.episode_id, milestone, due, episode.reviews.get(milestone))
                for milestone, due in dues.items()
                if closed is None or due <= closed or milestone in episode.reviews
            ),
            key=lambda r: (r.due, r.milestone),
        )

    def overdue_reviews(
        self, episodes: Iterable[Episode], today: date
    ) -> list[tuple[Episode, ReviewDue]]:
        """Reviews past due and not held, for people still on the caseload (or in check-in)."""
        return sorted(
            (
                (e, r)
                for e in episodes
                if e.status(today) != "closed"
                for r in self.reviews_due(e, today)
                if r.overdue(today)
            ),
            key=lambda er: (er[1].due, er[0].episode_id),
        )


def fold_caseloads(events: Iterable[Event]) -> Caseloads:
    """Events in log order; a later version of a record replaces the earlier one."""
    out = Caseloads()
    for event in events:
        apply(out, event)
    return out


def apply(out: Caseloads, event: Event) -> None:
    """One event onto the caseloads, in place."""
    p = event.payload
    if isinstance(p, TeamDefined):
        out.teams[p.team_code] = p
        return
    if isinstance(p, ConsentRecorded):
        held_by = out.episodes.get(p.episode_id) if p.episode_id else _first_of(out, p.nhs_number)
        if held_by is not None:
            held_by.consents[(p.org_code, p.purpose.value)] = p
        return
    if isinstance(p, EpisodeOpened):
        team = out.teams.get(p.team_code)
        existing = out.episodes.get(p.episode_id)
        if existing is not None:
            existing.opened = p
        else:
            out.episodes[p.episode_id] = Episode(p, team.org_code if team else "")
        return
    episode = out.episodes.get(getattr(p, "episode_id", ""))
    if episode is None:
        return
    if isinstance(p, ContactRecorded):
        episode.contacts[p.contact_id] = p
    elif isinstance(p, GoalRecorded):
        episode.goals.setdefault(p.goal_id, []).append(p)
    elif isinstance(p, PlanAgreed):
        episode.plan = p
    elif isinstance(p, CarerRecorded):
        episode.carers[p.carer_id] = p
    elif isinstance(p, PeerReviewRecorded):
        episode.reviews[p.milestone] = p
    elif isinstance(p, DischargeDecisionRecorded):
        episode.decisions.append(p)
    elif isinstance(p, CheckInStarted):
        episode.check_ins.append(p)
    elif isinstance(p, EpisodeReopened):
        episode.reopened.append(p)
    elif isinstance(p, EpisodeClosed):
        episode.closure = p
    elif isinstance(p, ArbitrationRecorded):
        episode.arbitrations[p.case_id] = p
    elif isinstance(p, SignpostRecorded):
        episode.signposts.append(p)


def _first_of(out: Caseloads, nhs_number: str) -> Episode | None:
    """The person's first episode in the log: the one an early consent (naming the person, not
    an episode) was recorded on, as only its organisation could record it."""
    return next((e for e in out.episodes.values() if e.opened.nhs_number == nhs_number), None)
