"""A PDSA's Study, by hand from Making Data Count's rules: the points from the change date on,
judged against the mean and limits of the points before it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeflow.reports.spc import Better
from homeflow.reports.study import Verdict, study

START = date(2026, 1, 5)
# Twenty weeks alternating 10 and 12: mean 11, every moving range 2, so the limits are
# 11 ± 2.66 × 2 = 5.68 to 16.32.
BASELINE = [10.0, 12.0] * 10


def weeks(n: int) -> list[date]:
    return [START + timedelta(weeks=i) for i in range(n)]


def run(after: list[float], better: Better = Better.LOWER, predicted: float | None = None):  # type: ignore[no-untyped-def]
    values = BASELINE + after
    days = weeks(len(values))
    return study(days, values, days[len(BASELINE)], better, predicted, minimum_baseline=12)


def test_seven_points_below_the_baseline_mean_are_improvement_when_lower_is_better() -> None:
    found = run([10.5] * 7)
    assert found.verdict is Verdict.IMPROVEMENT
    assert found.baseline_mean == pytest.approx(11.0)
    assert found.after_mean == pytest.approx(10.5)
    assert found.points_needed == 0


def test_six_points_below_are_not_yet_a_signal_and_one_more_is_needed() -> None:
    found = run([10.5] * 6)
    assert found.verdict is Verdict.NO_SIGNAL
    assert found.points_needed == 1


def test_the_same_run_is_deterioration_when_higher_is_better() -> None:
    assert run([10.5] * 7, Better.HIGHER).verdict is Verdict.DETERIORATION


def test_one_point_beyond_the_lower_limit_is_a_signal() -> None:
    assert run([5.0], Better.LOWER).verdict is Verdict.IMPROVEMENT  # 5.0 < 5.68
    assert run([5.0], Better.HIGHER).verdict is Verdict.DETERIORATION
    assert run([6.0], Better.LOWER).verdict is Verdict.NO_SIGNAL  # inside the limits


def test_points_like_the_baseline_give_no_signal_and_a_full_run_still_needed() -> None:
    found = run([10.0, 12.0, 10.0, 12.0])
    assert found.verdict is Verdict.NO_SIGNAL
    assert found.points_needed == 7  # the latest point (12) is on the worse side


def test_the_prediction_holds_only_with_improvement_and_the_predicted_level_reached() -> None:
    assert run([9.0] * 7, predicted=9.5).prediction_held is True
    assert run([9.0] * 7, predicted=8.0).prediction_held is False
    assert run([11.5] * 3, predicted=11.9).prediction_held is False  # no signal
    assert run([9.0] * 7).prediction_held is None


def test_too_short_a_baseline_is_said_so() -> None:
    days = weeks(8)
    found = study(days, [1.0] * 8, days[5], Better.LOWER, minimum_baseline=12)
    assert found.verdict is Verdict.NOT_ENOUGH_BASELINE
    assert found.reasons == ("5 points before the change; the baseline needs 12",)


@given(st.lists(st.floats(min_value=0, max_value=100), min_size=12, max_size=12))
def test_a_change_with_nothing_after_it_has_no_signal(baseline: list[float]) -> None:
    days = weeks(12)
    found = study(days, baseline, days[-1] + timedelta(weeks=1), Better.LOWER, minimum_baseline=12)
    assert found.verdict is Verdict.NO_SIGNAL
    assert found.points_after == 0
