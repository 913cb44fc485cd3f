"""The arithmetic of `homeflow validate` on series worked out by hand (sim/validation)."""

from __future__ import annotations

import numpy as np
import pytest

from homeflow.sim.validation import compare, interval_score, pooled

# Five replications of three days: day d's values are d*10 + 0..40 in steps of 10, so the
# percentiles (numpy's linear rule) are: 5th d*10+2, 25th d*10+10, median d*10+20,
# 75th d*10+30, 95th d*10+38.
REPLICATIONS = np.array([[d * 10 + r * 10 for d in range(3)] for r in range(5)], dtype=float)


def test_coverage_bias_mae_and_the_interval_score_by_hand() -> None:
    # Day 0: 20 (the median: inside both bands). Day 1: 42 (75th is 40, 95th 48: inside 90
    # only). Day 2: 60 (95th is 58: outside both, 2 above the 90% band).
    found = compare("ward", "occupancy", REPLICATIONS, np.array([20.0, 42.0, 60.0]), 25.0)
    assert found.days == 3
    assert found.inside_50 == pytest.approx(1 / 3)
    assert found.inside_90 == pytest.approx(2 / 3)
    # Medians 20, 30, 40 against 20, 42, 60: errors 0, -12, -20.
    assert found.bias == pytest.approx(-32 / 3)
    assert found.mae == pytest.approx(32 / 3)
    assert found.actual_mean == pytest.approx(122 / 3)
    assert found.bias_percent == pytest.approx((-32 / 3) / (122 / 3))
    # Each 90% band is 36 wide; day 2 adds 20 × 2 above it.
    assert found.interval_score == pytest.approx((36 * 3 + 40) / 3)


def test_the_reference_carries_the_start_forward_as_a_band_of_one_value() -> None:
    found = compare("ward", "nctr", REPLICATIONS, np.array([20.0, 42.0, 60.0]), 25.0)
    # 25 against 20, 42, 60: errors +5, -17, -35.
    assert found.reference_bias == pytest.approx(-47 / 3)
    assert found.reference_mae == pytest.approx(57 / 3)
    assert found.reference_interval_score == pytest.approx(20 * 57 / 3)


def test_the_interval_score_is_width_plus_twenty_times_the_miss() -> None:
    low, high = np.array([10.0, 10.0, 10.0]), np.array([20.0, 20.0, 20.0])
    scores = interval_score(low, high, np.array([15.0, 8.0, 23.0]))
    assert scores.tolist() == [10.0, 10.0 + 20 * 2, 10.0 + 20 * 3]


def test_pooled_services_weigh_each_by_its_days() -> None:
    a = compare("a", "occupancy", np.array([[1.0, 1.0], [3.0, 3.0]]), np.array([2.0, 9.0]), 2.0)
    b = compare("b", "occupancy", np.array([[5.0], [7.0]]), np.array([6.0]), 6.0)
    both = pooled("occupancy", [a, b])
    assert both.service == "all services" and both.days == 3
    # Inside the 90% band: a's day 0 and b's only day, so 2 of 3 site-days.
    assert both.inside_90 == pytest.approx(2 / 3)
    # Errors: a's medians 2, 2 against 2, 9 (0, -7); b's 6 against 6 (0). Bias -7/3.
    assert both.bias == pytest.approx(-7 / 3)
    assert both.actual_mean == pytest.approx(17 / 3)
    assert both.bias_percent == pytest.approx(-7 / 17)


def test_an_actual_mean_of_nothing_has_no_bias_share_and_mismatched_days_are_refused() -> None:
    found = compare("a", "nctr", np.zeros((4, 2)), np.zeros(2), 0.0)
    assert found.bias_percent is None and found.inside_90 == 1.0 and found.interval_score == 0.0
    with pytest.raises(ValueError):
        compare("a", "nctr", np.zeros((4, 2)), np.zeros(3), 0.0)
