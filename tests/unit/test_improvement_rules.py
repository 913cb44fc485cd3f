"""The improvement programme's rules by hand: the actions tracker's lists, the smart list's
scores and segments, momentum, and the forms' refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import ActionStatus
from homeflow.domain.improvement.actions import TrackedAction, due_lists
from homeflow.domain.improvement.collaborative import (
    GatheringKind,
    GatheringRecorded,
    ProgressScored,
    ScoredBy,
    momentum,
)
from homeflow.domain.improvement.forms import pdsa_from_form, project_from_form
from homeflow.reports.smart_list import score_measure, segment_place
from homeflow.reports.spc import Better, spc_chart

TODAY = date(2026, 11, 16)


def action(
    action_id: str,
    due: date | None,
    status: ActionStatus = ActionStatus.OPEN,
    owner: str = "Ann",
    org: str = "RX1",
) -> TrackedAction:
    return TrackedAction("improvement", action_id, "Do it", owner, org, due, status, "")


def test_overdue_and_due_soon_lists_by_owner_and_organisation() -> None:
    lists = due_lists(
        [
            action("late", TODAY - timedelta(days=1)),
            action("today", TODAY, owner="Bo", org="RY1"),
            action("in-14", TODAY + timedelta(days=14)),
            action("in-15", TODAY + timedelta(days=15)),  # beyond "soon"
            action("done-late", TODAY - timedelta(days=9), ActionStatus.DONE),
            action("no-date", None),
        ],
        TODAY,
    )
    assert [a.action_id for a in lists.overdue] == ["late"]
    assert [a.action_id for a in lists.due_soon] == ["today", "in-14"]
    assert lists.by_owner == {"Ann": 2, "Bo": 1}
    assert lists.by_org == {"RX1": 2, "RY1": 1}


WEEKS = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(12)]


def test_a_steady_measure_on_target_scores_one() -> None:
    chart = spc_chart(WEEKS, [10.0, 12.0] * 6, Better.LOWER, 20.0)
    assert score_measure("m", chart, Better.LOWER, 20.0).score == 1


def test_a_measure_reliably_missing_its_target_and_worsening_scores_three() -> None:
    # Upper limit of the first eight weeks' mean is far below the target of 5, and the last
    # four weeks (14) are worse than the four before (11) by more than half a sigma.
    values = [10.0, 12.0] * 4 + [14.0, 14.0, 14.0, 14.0]
    chart = spc_chart(WEEKS, values, Better.LOWER, 5.0)
    scored = score_measure("m", chart, Better.LOWER, 5.0)
    assert scored.score == 3
    assert scored.reasons == (
        "m: the target (5) is reliably missed",
        "m: worse over the last 4 weeks (11 to 14)",
    )


def test_segments_round_the_mean_score_raised_by_overdue_actions_and_gaps() -> None:
    chart = spc_chart(WEEKS, [10.0, 12.0] * 6, Better.LOWER)
    one = score_measure("m", chart, Better.LOWER, None)
    assert segment_place("A", [one, one], 0, []).segment == 1
    raised = segment_place("A", [one], 6, ["Trusted assessors"])  # 1 + 1 (at most) + 0.5
    assert (raised.score, raised.segment) == (2.5, 3)
    assert raised.reasons[-2:] == (
        "6 overdue actions (+1)",
        "self-assessment: not yet established here: Trusted assessors (+0.5)",
    )


def test_momentum_is_people_taking_part_times_actions_and_interactions() -> None:
    period = GatheringRecorded(
        "QDE",
        "p1",
        GatheringKind.ACTION_PERIOD,
        "Period 1",
        date(2026, 1, 1),
        date(2026, 3, 31),
        ("Ann", "Bo"),
    )
    session = GatheringRecorded(
        "QDE",
        "ls",
        GatheringKind.LEARNING_SESSION,
        "Session",
        date(2026, 1, 10),
        date(2026, 1, 10),
        ("ann", "Cy", "Di"),
    )
    later = GatheringRecorded(
        "QDE", "p2", GatheringKind.ACTION_PERIOD, "Period 2", date(2026, 4, 1), date(2026, 6, 30)
    )
    found = momentum(
        [period, session, later], [date(2026, 2, 1), date(2026, 3, 31), date(2026, 4, 2)]
    )
    # Period 1: Ann, Bo, Cy, Di (Ann twice) = 4 people; 2 actions + 2 gatherings = 4.
    assert [(m.period.gathering_id, m.people, m.actions, m.momentum) for m in found] == [
        ("p1", 4, 4, 16),
        ("p2", 0, 2, 0),
    ]


@pytest.mark.parametrize(
    ("score", "ok"),
    [(0.5, True), (5.0, True), (3.5, True), (0.0, False), (3.2, False), (5.5, False)],
)
def test_progress_scores_are_half_points_from_half_to_five(score: float, ok: bool) -> None:
    if ok:
        assert ProgressScored("QDE", "Team", date(2026, 1, 1), score, ScoredBy.TEAM).score == score
    else:
        with pytest.raises(InvalidInput) as refused:
            ProgressScored("QDE", "Team", date(2026, 1, 1), score, ScoredBy.TEAM)
        assert refused.value.field == "score"


PROJECT = {
    "project_id": "p",
    "title": "T",
    "aim": "A",
    "aim_kpi": "nctr",
    "aim_level": "site",
    "aim_place": "RX101",
    "aim_target": "10",
    "aim_by": "2027-01-01",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"project_id": "Not An Id"}, "project_id"),
        ({"aim_target": "ten"}, "aim_target"),
        ({"aim_target": "nan"}, "aim_target"),
        ({"aim_by": "32/01/2027"}, "aim_by"),
        ({"aim_level": "county"}, "aim_level"),
        ({"drivers": "only one part"}, "drivers"),
        ({"measures": "outcome:nctr:site"}, "measures"),
        ({"measures": "sideways:nctr:site:RX101"}, "measures"),
    ],
)
def test_a_bad_project_form_names_the_field(change: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        project_from_form("QDE", {**PROJECT, **change})
    assert refused.value.field == field


def test_a_pdsa_form_reads_its_plan_and_later_its_act() -> None:
    planned = pdsa_from_form(
        "QDE",
        "p",
        {
            "pdsa_id": "c1",
            "change_idea": "Idea",
            "kpi": "nctr",
            "level": "site",
            "place": "RX101",
            "change_date": "2026-11-02",
            "prediction": "Falls",
            "predicted_value": "8",
        },
        None,
    )
    assert (planned.change_date, planned.predicted_value, planned.decision) == (
        date(2026, 11, 2),
        8.0,
        None,
    )
    acted = pdsa_from_form(
        "QDE",
        "p",
        {"decision": "adopt", "decision_notes": "It worked", "change_date": "ignored"},
        planned,
    )
    assert (acted.decision, acted.change_date, acted.prediction) == (
        "adopt",
        planned.change_date,
        "Falls",
    )
    with pytest.raises(InvalidInput) as refused:
        pdsa_from_form("QDE", "p", {"decision": "keep"}, planned)
    assert refused.value.field == "decision"
