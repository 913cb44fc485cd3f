"""Leaving community services, by hand from the definitions: check-in discharge closes by itself
unless the person comes back, a re-referral within 90 days counts, peer reviews fall due at
their milestones, an episode is seen by others only with its consent and for its purpose, and bad records are refused
naming their field. Plus a property: however a check-in goes, the episode has one status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeflow.domain.community.caseload import Caseloads, fold_caseloads
from homeflow.domain.community.forms import record_from_form
from homeflow.domain.community.leaving import (
    CheckInStarted,
    ClosureReason,
    DischargeChoice,
    DischargeDecisionRecorded,
    EpisodeClosed,
    EpisodeReopened,
)
from homeflow.domain.community.permissions import (
    EVERYTHING,
    PURPOSE_SHARES,
    Part,
    refusal,
    shared_with,
)
from homeflow.domain.community.records import (
    Achievement,
    CommunityRecord,
    ContactKind,
    ContactRecorded,
    EpisodeOpened,
    GoalRecorded,
    LifeArea,
    PeerReviewRecorded,
    PlanAgreed,
    TeamDefined,
)
from homeflow.domain.community.rules import check_record
from homeflow.domain.community.sharing import (
    ConsentPurpose,
    ConsentRecorded,
    ConsentStatus,
)
from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import DayColour, Event
from homeflow.domain.privacy import Role
from homeflow.reports.community import weekly

OPENED = date(2026, 3, 2)  # a Monday
TODAY = date(2026, 11, 16)
TEAM = TeamDefined("cmht-a", "A team", "RW1", (12,), True, True)


def opened(episode_id: str = "ep-1", nhs: str = "9434765919", on: date = OPENED) -> EpisodeOpened:
    return EpisodeOpened(
        episode_id, "cmht-a", nhs, "Ann", "Smith", date(1970, 1, 1), on - timedelta(days=7), on
    )


def fold(*records: CommunityRecord) -> Caseloads:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return fold_caseloads(
        Event(f"k{n}", "test", at, at, None, r) for n, r in enumerate((TEAM, *records))
    )


def check_in(last: date, days: int = 42, episode_id: str = "ep-1") -> CheckInStarted:
    return CheckInStarted(episode_id, last, last + timedelta(days=days))


def test_a_check_in_closes_the_episode_at_its_end_unless_the_person_comes_back() -> None:
    last = date(2026, 9, 1)
    quiet = fold(opened(), check_in(last))
    episode = quiet.episodes["ep-1"]
    assert episode.status(last + timedelta(days=42)) == "check-in"  # its last day
    assert episode.status(last + timedelta(days=43)) == "closed"
    assert episode.closed_on(TODAY) == last + timedelta(days=42)
    assert episode.through_check_in(TODAY)
    back = fold(opened(), check_in(last), EpisodeReopened("ep-1", last + timedelta(days=20), "x"))
    assert back.episodes["ep-1"].status(TODAY) == "open"
    assert back.episodes["ep-1"].closed_on(TODAY) is None
    # A second check-in after coming back closes at its own end.
    again = fold(
        opened(),
        check_in(last),
        EpisodeReopened("ep-1", last + timedelta(days=20), "x"),
        check_in(last + timedelta(days=40)),
    )
    assert again.episodes["ep-1"].closed_on(TODAY) is None  # its second check-in runs on
    assert again.episodes["ep-1"].closed_on(last + timedelta(days=83)) == last + timedelta(days=82)


def test_a_discharge_without_check_in_is_not_counted_as_through_check_in() -> None:
    found = fold(opened(), EpisodeClosed("ep-1", date(2026, 6, 1), ClosureReason.DISCHARGED))
    episode = found.episodes["ep-1"]
    assert episode.status(TODAY) == "closed" and not episode.through_check_in(TODAY)


def test_a_referral_within_90_days_of_closing_counts_and_one_after_does_not() -> None:
    closed = date(2026, 6, 1)
    for days, counted in ((0, True), (90, True), (91, False)):
        found = fold(
            opened(),
            EpisodeClosed("ep-1", closed, ClosureReason.DISCHARGED),
            opened("ep-2", on=closed + timedelta(days=days + 7)),
        )
        again = found.re_referred(found.episodes["ep-1"], TODAY)
        assert (again is not None) is counted, days
    other_person = fold(
        opened(),
        EpisodeClosed("ep-1", closed, ClosureReason.DISCHARGED),
        opened("ep-2", nhs="9434765870", on=closed + timedelta(days=14)),
    )
    assert other_person.re_referred(other_person.episodes["ep-1"], TODAY) is None


def goal(goal_id: str, target: date, on: date = OPENED) -> GoalRecorded:
    return GoalRecorded(
        "ep-1", goal_id, "Walk daily", LifeArea.PHYSICAL_HEALTH, "30 minutes", target, on
    )


def test_peer_reviews_fall_due_at_12_weeks_each_target_and_before_discharge() -> None:
    target = date(2026, 7, 1)
    decided = date(2026, 8, 3)
    found = fold(
        opened(),
        goal("g1", target),
        PeerReviewRecorded(
            "ep-1", "week-12", OPENED + timedelta(weeks=12, days=3), "c", "o", ("A",)
        ),
        DischargeDecisionRecorded(
            "ep-1", decided, DischargeChoice.CHECK_IN, "g", "r", "s", "gp", "c", "v"
        ),
    )
    episode = found.episodes["ep-1"]
    dues = {r.milestone: r for r in found.reviews_due(episode, TODAY)}
    assert set(dues) == {"week-12", "goal-g1", "before-discharge"}
    assert dues["week-12"].due == OPENED + timedelta(weeks=12)
    assert dues["week-12"].held is not None and not dues["week-12"].on_time  # three days late
    assert dues["goal-g1"].due == target and dues["goal-g1"].overdue(TODAY)
    assert dues["before-discharge"].due == decided
    assert [r.milestone for _, r in found.overdue_reviews([episode], TODAY)] == [
        "goal-g1",
        "before-discharge",
    ]


def consent(
    org: str, status: ConsentStatus, on: date = OPENED, episode_id: str = "ep-1", **kw: str
) -> ConsentRecorded:
    purpose = ConsentPurpose(kw.get("purpose", "direct-care"))
    return ConsentRecorded(org, purpose, status, on, episode_id, kw.get("nhs_number", ""))


def test_an_episode_is_seen_by_another_organisation_only_while_its_consent_stands() -> None:
    given_, withdrawn = (
        consent("LAR01", ConsentStatus.GIVEN),
        consent("LAR01", ConsentStatus.WITHDRAWN, TODAY),
    )
    none = fold(opened())
    assert shared_with("RW1", none.episodes["ep-1"]) == EVERYTHING  # the holding trust
    assert not shared_with("LAR01", none.episodes["ep-1"])
    yes = fold(opened(), given_)
    assert shared_with("LAR01", yes.episodes["ep-1"]) == PURPOSE_SHARES[ConsentPurpose.DIRECT_CARE]
    assert Part.CONSENTS not in shared_with("LAR01", yes.episodes["ep-1"])
    assert not shared_with("RX1", yes.episodes["ep-1"])  # consent names the council only
    no = fold(opened(), given_, withdrawn)
    assert not shared_with("LAR01", no.episodes["ep-1"])


def test_a_consent_shares_its_own_episode_for_its_purpose_only() -> None:
    """Finding 5 of issue 27: RY1 opened the person's first episode, RW1 a second with a plan;
    RY1's consents share RY1's episode, never RW1's, and carer support is not the plan."""
    ry1_team = TeamDefined("ry1-team", "RY1 team", "RY1")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    ry1_episode = EpisodeOpened(
        "ep-ry1", "ry1-team", "9434765919", "Ann", "Smith", date(1970, 1, 1), OPENED, OPENED
    )
    records = (
        ry1_team, ry1_episode, opened(),
        consent("RY1", ConsentStatus.GIVEN, episode_id="ep-ry1"),
        consent("LAR01", ConsentStatus.GIVEN, episode_id="ep-ry1", purpose="carer-support"),
    )  # fmt: skip
    found = fold_caseloads(
        Event(f"k{n}", "t", at, at, None, r) for n, r in enumerate((TEAM, *records))
    )
    rw1 = found.episodes["ep-1"]
    assert not shared_with("RY1", rw1) and not shared_with("LAR01", rw1)
    carer = shared_with("LAR01", found.episodes["ep-ry1"])
    assert carer == PURPOSE_SHARES[ConsentPurpose.CARER_SUPPORT]
    assert Part.PLAN not in carer and Part.CONTACTS not in carer and Part.CARERS in carer
    # Only the holding organisation's care roles record or withdraw consent, on its own episode.
    withdraw = consent("LAR01", ConsentStatus.WITHDRAWN, TODAY, "ep-ry1", purpose="carer-support")
    assert refusal("RY1", Role.DISCHARGE_TEAM, found, withdraw) is None
    assert refusal("RW1", Role.DISCHARGE_TEAM, found, withdraw) is not None
    assert refusal("LAR01", Role.DISCHARGE_TEAM, found, withdraw) is not None
    assert refusal("RY1", Role.ANALYST, found, withdraw) is not None
    on_rw1 = consent("RY1", ConsentStatus.GIVEN, TODAY, "ep-1")
    assert refusal("RY1", Role.DISCHARGE_TEAM, found, on_rw1) is not None
    assert refusal("RW1", Role.WARD_STAFF, found, on_rw1) is None


def test_an_early_consent_naming_the_person_is_held_by_their_first_episode() -> None:
    """A consent stored before consent belonged to an episode reads as its first episode's:
    the one whose organisation alone could record it then. A new one may not name a person."""
    early = consent("LAR01", ConsentStatus.GIVEN, episode_id="", nhs_number="9434765919")
    found = fold(opened(), opened("ep-2", on=OPENED + timedelta(days=1)), early)
    assert shared_with("LAR01", found.episodes["ep-1"])
    assert not shared_with("LAR01", found.episodes["ep-2"])
    with pytest.raises(InvalidInput) as refused:
        check_record(found, consent("LAR01", ConsentStatus.GIVEN, nhs_number="9434765919"), TODAY)
    assert refused.value.field == "nhs_number"
    with pytest.raises(InvalidInput) as own:
        check_record(found, consent("RW1", ConsentStatus.GIVEN), TODAY)
    assert own.value.field == "org_code"


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (lambda: goal("g1", OPENED - timedelta(days=1)), "target_date"),
        (lambda: goal("g1", TODAY, on=TODAY + timedelta(days=1)), "recorded_on"),
        (lambda: PlanAgreed("ep-9", OPENED, "Ann"), "episode_id"),
        (
            lambda: ContactRecorded(
                "ep-1", "k1", OPENED - timedelta(days=1), ContactKind.CALL, DayColour.GREEN
            ),
            "on",
        ),
        (lambda: EpisodeReopened("ep-1", OPENED, "x"), "episode_id"),  # not in check-in
        (lambda: opened("ep-1", nhs="9434765870"), "episode_id"),  # another person's id
    ],
)
def test_records_that_do_not_fit_the_episode_are_refused_naming_the_field(
    record: object, field: str
) -> None:
    found = fold(opened())
    with pytest.raises(InvalidInput) as refused:
        check_record(found, record(), TODAY)  # type: ignore[operator]
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("kind", "fields", "field"),
    [
        ("goal", {"life_area": "housing", "success_criteria": "x", "target_date": "2026-12-01", "recorded_on": "2026-11-01"}, "description"),
        ("goal", {"description": " ", "life_area": "housing", "success_criteria": "x", "target_date": "2026-12-01", "recorded_on": "2026-11-01"}, "description"),
        ("goal", {"description": "x", "life_area": "garden", "success_criteria": "x", "target_date": "2026-12-01", "recorded_on": "2026-11-01"}, "life_area"),
        ("goal", {"description": "x", "life_area": "housing", "success_criteria": "x", "target_date": "31/11/2026", "recorded_on": "2026-11-01"}, "target_date"),
        ("contact", {"on": "2026-11-01", "kind": "call", "colour": "red"}, "red_reason"),
        ("contact", {"on": "2026-11-01", "kind": "call", "colour": "green", "dialog": "1,2,3"}, "dialog"),
        ("contact", {"on": "2026-11-01", "kind": "call", "colour": "green", "dialog": "1,2,3,4,5,6,7,8,1,2,3"}, "dialog"),
        ("peer-review", {"milestone": "week-12", "held_on": "2026-11-01", "challenge": "c", "outcome": "o", "participants": "\n"}, "participants"),
        ("consent", {"org_code": "lar01", "purpose": "direct-care", "status": "given", "on": "2026-11-01"}, "org_code"),
        ("check-in-started", {"last_routine_on": "2026-11-01", "ends_on": "2026-11-01"}, "ends_on"),
        ("nonsense", {}, "form"),
    ],
)  # fmt: skip
def test_forms_refuse_bad_fields_by_name(kind: str, fields: dict[str, str], field: str) -> None:
    fixed = {"episode_id": "ep-1"}
    if kind in ("goal", "contact"):
        fixed[{"goal": "goal_id", "contact": "contact_id"}[kind]] = "x1"
    with pytest.raises(InvalidInput) as refused:
        record_from_form(kind, fields, fixed)
    assert refused.value.field == field


def test_a_form_reads_lists_ticks_and_dates_by_the_records_types() -> None:
    contact = record_from_form(
        "contact",
        {"on": "2026-11-02", "kind": "call", "colour": "green", "dialog": "1, 2,3,4,5,6,7,1,2,3,4", "more_help": "2,11", "routine": "true"},
        {"episode_id": "ep-1", "contact_id": "k1"},
    )  # fmt: skip
    assert isinstance(contact, ContactRecorded)
    assert contact.dialog == (1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4) and contact.more_help == (2, 11)
    assert contact.routine and contact.on == date(2026, 11, 2)
    untucked = record_from_form(
        "contact", {"on": "2026-11-02", "kind": "call", "colour": "green"}, {"episode_id": "ep-1", "contact_id": "k2"}
    )  # fmt: skip
    assert isinstance(untucked, ContactRecorded) and not untucked.routine


def test_weekly_red_contacts_count_each_contact_and_list_each_one() -> None:
    monday = date(2026, 11, 2)
    found = fold(
        opened(),
        *(
            ContactRecorded(
                "ep-1", f"k{n}", monday + timedelta(days=n), ContactKind.CALL,
                DayColour.RED if n < 2 else DayColour.GREEN, "no purpose" if n < 2 else "",
            )
            for n in range(4)
        ),
    )  # fmt: skip
    (week,) = weekly(
        found,
        list(found.episodes.values()),
        "community-red-contacts-pct",
        monday,
        monday + timedelta(days=6),
        TODAY,
    )
    assert week.value == 50.0 and (week.numerator, week.denominator) == (2, 4)
    assert len(week.counted) == 2


@given(
    reopen_after=st.one_of(st.none(), st.integers(0, 42)),
    days_later=st.integers(0, 200),
    closes_early=st.booleans(),
)
def test_an_episode_has_exactly_one_status_and_closes_no_earlier_than_its_last_routine(
    reopen_after: int | None, days_later: int, closes_early: bool
) -> None:
    last = date(2026, 6, 1)
    records: list[CommunityRecord] = [opened(), check_in(last)]
    if reopen_after is not None:
        records.append(EpisodeReopened("ep-1", last + timedelta(days=reopen_after), "back"))
    if closes_early:
        records.append(EpisodeClosed("ep-1", last + timedelta(days=10), ClosureReason.TRANSFERRED))
    episode = fold(*records).episodes["ep-1"]
    today = last + timedelta(days=days_later)
    status = episode.status(today)
    closed = episode.closed_on(today)
    assert status in ("open", "check-in", "closed")
    assert (status == "closed") == (closed is not None)
    if closed is not None:
        assert last <= closed <= today
    if not closes_early and reopen_after is None:
        assert status == ("closed" if days_later > 42 else "check-in")
    if reopen_after is not None and not closes_early:
        assert status == "open"


def test_a_plan_begins_with_its_first_goal_or_its_agreement() -> None:
    written = date(2026, 4, 1)
    found = fold(opened(), goal("g1", TODAY, on=written))
    episode = found.episodes["ep-1"]
    assert episode.plan_began() == written
    early = goal("g2", written - timedelta(days=1), on=TODAY)
    with pytest.raises(InvalidInput) as refused:
        check_record(found, early, TODAY)
    assert refused.value.reason == "31/03/2026 is before the plan began (01/04/2026)"
    check_record(found, goal("g2", written, on=TODAY), TODAY)  # on the day it began
    agreed_first = fold(
        opened(), PlanAgreed("ep-1", date(2026, 3, 20), "Ann"), goal("g1", TODAY, on=written)
    )
    assert agreed_first.episodes["ep-1"].plan_began() == date(2026, 3, 20)
    assert fold(opened()).episodes["ep-1"].plan_began() == OPENED  # nothing written yet


def test_goal_achievement_over_time_keeps_every_version() -> None:
    found = fold(
        opened(),
        goal("g1", TODAY),
        GoalRecorded(
            "ep-1", "g1", "Walk daily", LifeArea.PHYSICAL_HEALTH, "30 minutes", TODAY,
            date(2026, 5, 1), achievement=Achievement.ACHIEVED,
        ),
    )  # fmt: skip
    versions = found.episodes["ep-1"].goals["g1"]
    assert [v.achievement for v in versions] == [Achievement.IN_PROGRESS, Achievement.ACHIEVED]
    assert found.episodes["ep-1"].achieved_goals() == [versions[-1]]
