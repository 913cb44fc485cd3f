"""The care transfer hub's rules, from their definitions: the NHS Continuing Healthcare 28-day
standard (National Framework: the eligibility decision within 28 calendar days of the positive
checklist being received, that day being day 0) and the time to a decision on a request."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from homeflow.domain.hub import (
    CHC_GROUPS,
    ChcCase,
    Request,
    chc_counts,
    chc_share_within,
    in_chc_group,
    median_days_to_decision,
    within_chc_standard,
)

CHECKLIST = date(2026, 3, 1)  # day 0
TODAY = date(2026, 6, 1)


def day(n: int) -> date:
    return CHECKLIST + timedelta(days=n)


def case(decided: int | None = None, eligible: bool | None = None) -> ChcCase:
    return ChcCase(
        "RX1:V1", CHECKLIST, None, None, None if decided is None else day(decided), eligible
    )


@pytest.mark.parametrize(
    ("decided_on_day", "within"),
    [(0, True), (27, True), (28, True), (29, False), (60, False)],
)
def test_a_decision_by_day_28_is_within_the_standard_and_day_29_is_a_breach(
    decided_on_day: int, within: bool
) -> None:
    assert within_chc_standard(CHECKLIST, day(decided_on_day)) is within
    assert case(decided_on_day, False).breached(TODAY) is not within
    assert case(decided_on_day).days(TODAY) == decided_on_day


def test_the_28_days_are_calendar_days_across_a_month_end() -> None:
    # 1 March + 28 days is 29 March: a Sunday decision still counts; 30 March does not.
    assert case().due_on == date(2026, 3, 29)
    assert within_chc_standard(CHECKLIST, date(2026, 3, 29))
    assert not within_chc_standard(CHECKLIST, date(2026, 3, 30))


@pytest.mark.parametrize(("today_is_day", "breached"), [(0, False), (28, False), (29, True)])
def test_a_case_still_waiting_breaches_once_past_day_28(today_is_day: int, breached: bool) -> None:
    waiting = case()
    assert waiting.breached(day(today_is_day)) is breached
    assert waiting.days(day(today_is_day)) == today_is_day
    assert in_chc_group(waiting, "breached-waiting", day(today_is_day)) is breached
    assert in_chc_group(waiting, "waiting", day(today_is_day)) is not breached


def test_every_case_is_counted_once_in_each_split() -> None:
    today = day(40)
    cases = [
        case(10, True),  # within, eligible
        case(28, False),  # within, on the last day
        case(29, False),  # decided late
        ChcCase("RX1:V2", day(0), day(5), True),  # waiting since day 0: 40 days, a breach
        ChcCase("RX1:V3", day(20), day(25), False),  # waiting 20 days: within
    ]
    counts = chc_counts(cases, today)
    assert counts["checklists"] == 5
    assert counts["assessed"] == 2 and counts["assessed-in-hospital"] == 1
    assert counts["decided"] == 3 and counts["eligible"] == 1 and counts["not-eligible"] == 2
    assert counts["within"] == 2
    assert counts["breached"] == 2 == counts["breached-decided"] + counts["breached-waiting"]
    assert counts["waiting"] == 1
    assert counts["decided"] == counts["within"] + counts["breached-decided"]
    assert (
        counts["checklists"] == counts["decided"] + counts["waiting"] + counts["breached-waiting"]
    )
    assert chc_share_within(counts) == pytest.approx(2 / 3)
    assert set(counts) == set(CHC_GROUPS)
    with pytest.raises(ValueError, match="not a CHC figure"):
        in_chc_group(cases[0], "nonsense", today)


def test_no_decisions_no_share() -> None:
    assert chc_share_within(chc_counts([case()], day(3))) is None


def test_time_to_decision_is_the_median_of_decided_requests_only() -> None:
    made = date(2026, 5, 1)
    requests = [
        Request("RX1:V1", "housing", made, made + timedelta(days=3), True),
        Request("RX1:V2", "housing", made, made + timedelta(days=9), False),
        Request("RX1:V3", "housing", made, made + timedelta(days=4), True),
        Request("RX1:V4", "housing", made),  # waiting: not in the median
    ]
    today = made + timedelta(days=30)
    assert median_days_to_decision(requests, today) == 4
    assert requests[3].days(today) == 30
    assert median_days_to_decision(requests[3:], today) is None
