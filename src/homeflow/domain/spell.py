"""The spell fold: a spell's events, in the order they happened, become its state.

Late, duplicate and cancelled messages are handled here by the same code as normal ones:
the fold sorts by `Event.fold_order`, so any arrival order gives the same state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from homeflow.domain import events as ev
from homeflow.domain import mh_delays
from homeflow.domain.mh_delays import MhDelayPeriod


class SpellStatus(StrEnum):
    ORPHAN = "orphan"  # events have arrived but the admission has not (yet)
    ADMITTED = "admitted"
    DISCHARGED = "discharged"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class WardStay:
    ward_code: str
    bed: str | None
    start: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime | None

    def covers(self, instant: datetime) -> bool:
        return self.start <= instant and (self.end is None or instant < self.end)


@dataclass(frozen=True, slots=True)
class DelayReasonPeriod:
    start: datetime
    end: datetime | None
    reason: str | None
    dtoc_reason: str | None
    responsible_agency: str | None

    def covers(self, instant: datetime) -> bool:
        return self.start <= instant and (self.end is None or instant < self.end)


@dataclass(frozen=True, slots=True)
class DelayEpisode:
    """A stretch with no criteria to reside: from the discharge ready date to leaving it."""

    discharge_ready_date: date
    recorded_at: datetime
    end: datetime | None
    ended_by: str | None  # "meets criteria" or "discharged"


@dataclass(frozen=True, slots=True)
class Referral:
    referral_id: str
    service: str
    provider_org: str | None
    made_at: datetime
    status: str  # made, accepted, declined, completed
    accepted_at: datetime | None = None
    trusted_assessment: bool = False
    declined_at: datetime | None = None
    decline_reason: str | None = None
    completed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in ("made", "accepted")


@dataclass(frozen=True, slots=True)
class DayRating:
    day: date
    colour: str
    red_reason: str | None


@dataclass(frozen=True, slots=True)
class Action:
    action_id: str
    description: str
    owner: str
    owner_org: str | None
    due_date: date | None
    status: str  # open, done, cancelled
    recorded_at: datetime
    recorded_by: str | None
    escalation: bool = False

    def is_overdue(self, today: date) -> bool:
        return self.status == "open" and self.due_date is not None and self.due_date < today


@dataclass(frozen=True, slots=True)
class StrandedReview:
    reviewed_at: datetime
    reviewer: str | None  # who reviewed, as typed (else whoever recorded it)
    outcome: str
    actions: str
    recorded_by: str | None = None


@dataclass(frozen=True, slots=True)
class Anomaly:
    """An impossible sequence; the event that caused it is refused at the door."""

    event_key: str
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class SpellState:
    spell_key: str
    status: SpellStatus
    patient_id: str | None = None
    site_code: str | None = None
    admitted_at: datetime | None = None
    admission_method: str | None = None
    planned_for: date | None = None
    specialty: str | None = None
    discharged_at: datetime | None = None
    discharge_destination: str | None = None
    died: bool = False
    ward_stays: tuple[WardStay, ...] = ()
    leave: tuple[Period, ...] = ()
    expected_discharge_date: date | None = None
    clinical_criteria: str = ""
    last_senior_review_at: datetime | None = None
    meets_criteria: bool | None = None
    criteria: tuple[str, ...] = ()
    delay_episodes: tuple[DelayEpisode, ...] = ()
    delay_reasons: tuple[DelayReasonPeriod, ...] = ()
    pathway: str | None = None
    day_ratings: tuple[DayRating, ...] = ()
    referrals: tuple[Referral, ...] = ()
    chc_checklist: str | None = None
    chc_checklist_at: datetime | None = None
    chc_assessment_date: date | None = None
    chc_assessment_setting: str | None = None
    chc_decision_date: date | None = None
    chc_eligible: bool | None = None
    actions: tuple[Action, ...] = ()
    stranded_reviews: tuple[StrandedReview, ...] = ()
    mh_delays: tuple[MhDelayPeriod, ...] = ()
    anomalies: tuple[Anomaly, ...] = ()
    event_count: int = 0
    last_event_at: datetime | None = None

    @property
    def current_stay(self) -> WardStay | None:
        return self.ward_stays[-1] if self.ward_stays else None

    @property
    def discharge_ready_date(self) -> date | None:
        """The ready date of the open delay episode, if the patient is NCTR now."""
        if self.delay_episodes and self.delay_episodes[-1].end is None:
            return self.delay_episodes[-1].discharge_ready_date
        return None

    @property
    def current_delay_reason(self) -> DelayReasonPeriod | None:
        if self.delay_reasons and self.delay_reasons[-1].end is None:
            return self.delay_reasons[-1]
        return None


@dataclass
class _Movement:
    at: datetime
    ward_code: str
    bed: str | None
    is_transfer: bool
    specialty: str | None = None  # the team the patient moved under, when it changed


@dataclass
class _Fold:
    """Mutable scratch state, used only inside `SpellFold`."""

    status: SpellStatus = SpellStatus.ORPHAN
    # The other single-valued facts set so far, by SpellState field name. The state is built
    # from them once per `SpellFold.state()`: rebuilding a frozen 40-field state with every
    # event cost more than the rest of the fold (a backfill folds every event it loads).
    facts: dict[str, Any] = field(default_factory=dict)
    movements: list[_Movement] = field(default_factory=list)
    leave: list[Period] = field(default_factory=list)
    episodes: list[DelayEpisode] = field(default_factory=list)
    reasons: list[DelayReasonPeriod] = field(default_factory=list)
    ratings: dict[date, DayRating] = field(default_factory=dict)
    referrals: dict[str, Referral] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    reviews: list[StrandedReview] = field(default_factory=list)
    mh_delays: dict[str, MhDelayPeriod] = field(default_factory=dict)
    anomalies: list[Anomaly] = field(default_factory=list)
    before_admission: list[tuple[str, str, datetime]] = field(default_factory=list)

    def close_open_episode(self, at: datetime, ended_by: str) -> None:
        if self.episodes and self.episodes[-1].end is None:
            self.episodes[-1] = replace(self.episodes[-1], end=at, ended_by=ended_by)
        if self.reasons and self.reasons[-1].end is None:
            self.reasons[-1] = replace(self.reasons[-1], end=at)

    def copy(self) -> _Fold:
        return _Fold(
            status=self.status,
            facts=dict(self.facts),
            movements=list(self.movements),
            leave=list(self.leave),
            episodes=list(self.episodes),
            reasons=list(self.reasons),
            ratings=dict(self.ratings),
            referrals=dict(self.referrals),
            actions=dict(self.actions),
            reviews=list(self.reviews),
            mh_delays=dict(self.mh_delays),
            anomalies=list(self.anomalies),
            before_admission=list(self.before_admission),
        )


def fold_spell(spell_key: str, spell_events: Iterable[ev.Event]) -> SpellState:
    """The state of one spell from its events, whatever order they arrived in."""
    fold = SpellFold(spell_key).extended(spell_events)
    assert fold is not None  # an empty fold takes events in any order
    return fold.state()


class SpellFold:
    """A spell folded as far as the events so far. Later events extend it without refolding
    the earlier ones, since a feed sends most of a spell's events in order; one that sorts
    before those already folded needs `fold_spell` over them all."""

    __slots__ = ("_count", "_fold", "_last_event_at", "_last_order", "_state", "spell_key")

    def __init__(self, spell_key: str, fold: _Fold | None = None) -> None:
        self.spell_key = spell_key
        self._fold = fold if fold is not None else _Fold()
        self._last_order: tuple[datetime, int, str] | None = None
        self._count = 0
        self._last_event_at: datetime | None = None
        self._state: SpellState | None = None

    def extended(self, spell_events: Iterable[ev.Event]) -> SpellFold | None:
        """A new fold with these events applied too; None if one sorts before the last."""
        ordered = sorted(spell_events, key=lambda e: e.fold_order)
        if not ordered:
            return self
        if self._last_order is not None and ordered[0].fold_order <= self._last_order:
            return None
        extended = SpellFold(self.spell_key, self._fold.copy())
        for event in ordered:
            _apply(extended._fold, event)
        extended._last_order = ordered[-1].fold_order
        extended._count = self._count + len(ordered)
        extended._last_event_at = ordered[-1].occurred_at
        return extended

    def anomalies(self) -> tuple[Anomaly, ...]:
        """The impossible sequences so far (a writer checks these before it needs the state)."""
        f = self._fold
        anomalies = list(f.anomalies)
        if f.facts.get("admitted_at") is not None:
            for key, what, at in f.before_admission:
                anomalies.append(
                    Anomaly(
                        key, "occurred_at", f"{what} at {at.isoformat()} is before the admission"
                    )
                )
        return tuple(anomalies)

    def state(self) -> SpellState:
        if self._state is None:
            self._state = self._built_state()
        return self._state

    def _built_state(self) -> SpellState:
        f = self._fold
        discharged_at = f.facts.get("discharged_at")
        stays = _ward_stays(
            f.movements, discharged_at if f.status is SpellStatus.DISCHARGED else None
        )
        facts = f.facts
        # The team of the latest transfer that named one (a cancelled transfer is popped).
        moved_under = next((m.specialty for m in reversed(f.movements) if m.specialty), None)
        if moved_under is not None:
            facts = {**facts, "specialty": moved_under}
        return SpellState(
            spell_key=self.spell_key,
            status=f.status,
            **facts,
            ward_stays=stays,
            leave=tuple(f.leave),
            delay_episodes=tuple(f.episodes),
            delay_reasons=tuple(f.reasons),
            day_ratings=tuple(sorted(f.ratings.values(), key=lambda r: r.day)),
            referrals=tuple(f.referrals.values()),
            actions=tuple(f.actions.values()),
            stranded_reviews=tuple(f.reviews),
            mh_delays=tuple(sorted(f.mh_delays.values(), key=lambda p: p.start_date)),
            anomalies=self.anomalies(),
            event_count=self._count,
            last_event_at=self._last_event_at,
        )


def _ward_stays(movements: list[_Movement], discharged_at: datetime | None) -> tuple[WardStay, ...]:
    stays = []
    for i, m in enumerate(movements):
        end = movements[i + 1].at if i + 1 < len(movements) else discharged_at
        stays.append(WardStay(m.ward_code, m.bed, m.at, end))
    return tuple(stays)


def _apply(f: _Fold, event: ev.Event) -> None:
    p = event.payload
    at = event.occurred_at
    facts = f.facts
    in_hospital = f.status is SpellStatus.ADMITTED
    match p:
        case ev.Admitted():
            if f.status in (SpellStatus.ADMITTED, SpellStatus.DISCHARGED):
                f.anomalies.append(
                    Anomaly(event.key, "type", "the spell is already admitted; send an update")
                )
                return
            f.movements = [_Movement(at, p.ward_code, p.bed, is_transfer=False)]
            f.episodes.clear()
            f.reasons.clear()
            f.leave.clear()
            f.status = SpellStatus.ADMITTED
            facts.update(
                patient_id=p.patient_id,
                site_code=p.site_code,
                admitted_at=at,
                admission_method=p.admission_method.value,
                specialty=p.specialty,
                discharged_at=None,
            )
        case ev.AdmissionPlanned():
            facts["planned_for"] = p.planned_for
            facts["patient_id"] = facts.get("patient_id") or p.patient_id
        case ev.Transferred():
            if not in_hospital:
                _out_of_sequence(f, event, "transfer")
                return
            f.movements.append(_Movement(at, p.ward_code, p.bed, True, p.specialty or None))
        case ev.TransferCancelled():
            # A12 undoes the latest transfer before it; with none to undo it changes nothing.
            if in_hospital and f.movements and f.movements[-1].is_transfer:
                f.movements.pop()
        case ev.Discharged():
            if f.status is not SpellStatus.ADMITTED:
                _out_of_sequence(f, event, "discharge")
                return
            f.close_open_episode(at, "discharged")
            _close_leave(f, at)
            f.status = SpellStatus.DISCHARGED
            facts.update(discharged_at=at, discharge_destination=p.destination, died=p.died)
        case ev.DischargeCancelled():
            if f.status is SpellStatus.DISCHARGED:
                if f.episodes and f.episodes[-1].ended_by == "discharged":
                    f.episodes[-1] = replace(f.episodes[-1], end=None, ended_by=None)
                    if f.reasons and f.reasons[-1].end == facts.get("discharged_at"):
                        f.reasons[-1] = replace(f.reasons[-1], end=None)
                f.status = SpellStatus.ADMITTED
                facts.update(discharged_at=None, discharge_destination=None)
        case ev.AdmissionCancelled():
            if f.status is not SpellStatus.ORPHAN:
                f.movements.clear()
                f.status = SpellStatus.CANCELLED
                facts["discharged_at"] = None
        case ev.LeaveOfAbsenceStarted():
            if in_hospital and not (f.leave and f.leave[-1].end is None):
                f.leave.append(Period(at, None))
        case ev.LeaveOfAbsenceEnded():
            _close_leave(f, at)
        case ev.ExpectedDischargeDateSet():
            facts.update(
                expected_discharge_date=p.expected_discharge_date,
                clinical_criteria=p.clinical_criteria,
            )
        case ev.SeniorReviewRecorded():
            facts["last_senior_review_at"] = at
        case ev.CriteriaToResideAssessed():
            _assess_criteria(f, event, p)
        case ev.DelayReasonSet():
            if f.reasons and f.reasons[-1].end is None:
                f.reasons[-1] = replace(f.reasons[-1], end=at)
            f.reasons.append(
                DelayReasonPeriod(at, None, p.reason, p.dtoc_reason, p.responsible_agency)
            )
        case ev.DelayReasonCleared():
            if f.reasons and f.reasons[-1].end is None:
                f.reasons[-1] = replace(f.reasons[-1], end=at)
        case ev.PathwayAssigned():
            facts["pathway"] = p.pathway
        case ev.RedGreenDayRecorded():
            f.ratings[p.day] = DayRating(p.day, p.colour.value, p.red_reason)
        case ev.ReferralMade():
            f.referrals[p.referral_id] = Referral(
                p.referral_id, p.service.value, p.provider_org, at, "made"
            )
        case ev.ReferralAccepted():
            if (r := f.referrals.get(p.referral_id)) is not None:
                f.referrals[p.referral_id] = replace(
                    r, status="accepted", accepted_at=at, trusted_assessment=p.trusted_assessment
                )
        case ev.ReferralDeclined():
            if (r := f.referrals.get(p.referral_id)) is not None:
                f.referrals[p.referral_id] = replace(
                    r, status="declined", declined_at=at, decline_reason=p.reason
                )
        case ev.ReferralCompleted():
            if (r := f.referrals.get(p.referral_id)) is not None:
                f.referrals[p.referral_id] = replace(r, status="completed", completed_at=at)
        case ev.ChcChecklistCompleted():
            facts.update(chc_checklist=p.outcome.value, chc_checklist_at=at)
        case ev.ChcAssessmentRecorded():
            facts.update(
                chc_assessment_date=p.assessment_date,
                chc_assessment_setting=p.setting.value,
                chc_decision_date=p.decision_date,
                chc_eligible=p.eligible,
            )
        case ev.ActionRecorded():
            f.actions[p.action_id] = Action(
                p.action_id,
                p.description,
                p.owner,
                p.owner_org,
                p.due_date,
                p.status.value,
                at,
                event.recorded_by,
                p.escalation,
            )
        case ev.StrandedReviewRecorded():
            reviewer = p.reviewer or event.recorded_by
            f.reviews.append(
                StrandedReview(at, reviewer, p.outcome.value, p.actions, event.recorded_by)
            )
        case ev.MhDelayRecorded():
            mh_delays.recorded(f.mh_delays, p, at)
        case _:
            # Patient-level events (details, merges) belong to the patient fold.
            pass


def _assess_criteria(f: _Fold, event: ev.Event, p: ev.CriteriaToResideAssessed) -> None:
    at = event.occurred_at
    open_episode = bool(f.episodes) and f.episodes[-1].end is None
    if p.meets:
        if open_episode:
            f.close_open_episode(at, "meets criteria")
    elif f.status is not SpellStatus.DISCHARGED:
        assert p.discharge_ready_date is not None  # checked by the payload
        if not open_episode:
            f.episodes.append(DelayEpisode(p.discharge_ready_date, at, None, None))
        else:
            # Another ready date while the episode is open corrects it: the episode runs
            # from the date now given, as if it had been recorded so.
            f.episodes[-1] = replace(f.episodes[-1], discharge_ready_date=p.discharge_ready_date)
    f.facts.update(meets_criteria=p.meets, criteria=p.criteria)


def _close_leave(f: _Fold, at: datetime) -> None:
    if f.leave and f.leave[-1].end is None:
        f.leave[-1] = Period(f.leave[-1].start, at)


def _out_of_sequence(f: _Fold, event: ev.Event, what: str) -> None:
    if f.status is SpellStatus.ORPHAN:
        # Kept until the admission arrives; only then is it judged.
        f.before_admission.append((event.key, what, event.occurred_at))
    elif f.status is SpellStatus.DISCHARGED:
        discharged_at = f.facts["discharged_at"]
        f.anomalies.append(
            Anomaly(event.key, "occurred_at", f"{what} after the discharge at {discharged_at}")
        )
