"""SPC: limits against hand computation, and each rule on series built to break it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeflow.domain.errors import InvalidInput
from homeflow.reports.spc import Assurance, Better, Variation, spc_chart, xmr_limits

START = date(2026, 1, 1)


def days(n: int) -> list[date]:
    return [START + timedelta(days=i) for i in range(n)]


def flagged(values: list[float], rule: str, **options: object) -> list[int]:
    chart = spc_chart(days(len(values)), values, **options)  # type: ignore[arg-type]
    return [i for i, p in enumerate(chart.points) if rule in p.rules]


def test_limits_match_hand_computation() -> None:
    # mean = 50/5 = 10; moving ranges 2, 4, 2, 0 -> mean 2; limits 10 +- 2.66 * 2.
    mean, lpl, upl = xmr_limits([10, 12, 8, 10, 10])
    assert mean == 10
    assert lpl == pytest.approx(10 - 5.32)
    assert upl == pytest.approx(10 + 5.32)


STABLE = [10.0, 11.0, 9.0, 10.0, 11.0, 9.0, 10.0, 11.0, 9.0, 10.0, 11.0, 9.0, 10.0, 11.0, 9.0]


def test_a_stable_process_shows_common_cause_only() -> None:
    chart = spc_chart(days(len(STABLE)), STABLE, Better.LOWER)
    assert all(not p.special_cause for p in chart.points)
    assert chart.latest.variation is Variation.COMMON_CAUSE
    assert chart.warnings == ()


def test_a_point_beyond_the_upper_limit_is_flagged() -> None:
    values = [*STABLE, 30.0]
    assert flagged(values, "beyond limit") == [15]
    chart = spc_chart(days(len(values)), values, Better.LOWER)
    assert chart.latest.variation is Variation.CONCERN_HIGH


def test_seven_points_above_the_mean_are_a_shift_and_six_are_not() -> None:
    base = [12.0, 10.0] * 6  # ends below the mean, so a run starts after it
    six = [*base, 11.5, 11.5, 11.5, 11.5, 11.5, 11.5, 9.0]
    assert flagged(six, "shift") == []
    seven = [*base, 11.5, 11.5, 11.5, 11.5, 11.5, 11.5, 11.5]
    assert flagged(seven, "shift") == list(range(12, 19))


def test_seven_rising_points_are_a_trend() -> None:
    values = [10.0, 12.0] * 6 + [9.0, 9.5, 10.0, 10.5, 11.0, 11.5, 12.0]
    assert flagged(values, "trend") == list(range(12, 19))
    assert flagged(values[:-1], "trend") == []
    chart = spc_chart(days(len(values)), values, Better.HIGHER)
    assert chart.latest.variation is Variation.IMPROVEMENT_HIGH


def test_two_of_three_beyond_two_sigma_on_the_same_side() -> None:
    # By hand: mean 219/19 = 11.53; moving ranges fifteen 2s, then 4, 5, 5 -> 44/18 = 2.44;
    # the two-sigma line is 11.53 + 1.773 * 2.44 = 15.86 and the upper limit 18.03.
    base = [10.0, 12.0] * 8
    values = [*base, 16.0, 11.0, 16.0]
    assert flagged(values, "two of three beyond two sigma") == [16, 18]
    assert flagged(values, "beyond limit") == []
    one_only = [*base, 16.0, 11.0, 11.0]
    assert flagged(one_only, "two of three beyond two sigma") == []


def test_rebasing_gives_each_phase_its_own_limits() -> None:
    before, after = [20.0, 22.0] * 8, [10.0, 12.0] * 8
    chart = spc_chart(days(32), before + after, Better.LOWER, rebase=[START + timedelta(days=16)])
    assert {p.phase for p in chart.points} == {0, 1}
    assert chart.points[0].mean == 21 and chart.points[-1].mean == 11
    unbased = spc_chart(days(32), before + after, Better.LOWER)
    assert unbased.latest.variation is Variation.IMPROVEMENT_LOW


def test_few_points_carry_a_warning() -> None:
    chart = spc_chart(days(12), STABLE[:12])
    assert chart.warnings and "12 points" in chart.warnings[0]


@pytest.mark.parametrize(
    ("better", "target", "expected"),
    [
        (Better.LOWER, 40.0, Assurance.PASS),
        (Better.LOWER, 1.0, Assurance.FAIL),
        (Better.LOWER, 10.0, Assurance.HIT_AND_MISS),
        (Better.HIGHER, 1.0, Assurance.PASS),
        (None, 1.0, Assurance.NONE),
    ],
)
def test_assurance_compares_the_target_with_the_limits(
    better: Better | None, target: float, expected: Assurance
) -> None:
    assert spc_chart(days(len(STABLE)), STABLE, better, target).assurance is expected


def test_bad_input_names_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        spc_chart([START, START], [1.0, 2.0])
    assert caught.value.field == "date"
    with pytest.raises(InvalidInput):
        spc_chart([], [])


@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=60), st.floats(-1e3, 1e3)
)
def test_limits_move_with_the_data_and_points_beyond_them_are_flagged(
    values: list[float], shift: float
) -> None:
    chart = spc_chart(days(len(values)), values)
    moved = spc_chart(days(len(values)), [v + shift for v in values])
    for a, b in zip(chart.points, moved.points, strict=True):
        assert b.mean == pytest.approx(a.mean + shift, abs=1e-6)
        assert (b.upl - b.mean) == pytest.approx(a.upl - a.mean, abs=1e-6)
    for p in chart.points:
        if p.value > p.upl + 1e-9 or p.value < p.lpl - 1e-9:
            assert "beyond limit" in p.rules
