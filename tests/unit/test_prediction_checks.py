"""The arithmetic of discharge predictions, on cases worked by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeflow.reports.prediction_checks import (
    auroc,
    calibration_error,
    count_distribution,
    count_range,
    mean_absolute_error,
    quantile,
    reliability,
)


def test_two_patients_counts_are_worked_by_hand() -> None:
    # p = 0.5 and 0.2: none 0.5*0.8 = 0.4; one 0.5*0.8 + 0.5*0.2 = 0.5; both 0.5*0.2 = 0.1.
    assert count_distribution([0.5, 0.2]) == pytest.approx([0.4, 0.5, 0.1])
    found = count_range([0.5, 0.2])
    assert found.expected == pytest.approx(0.7)
    # Cumulative 0.4, 0.9, 1.0: the 10th centile is 0, the 90th is 1.
    assert (found.low, found.high) == (0, 1)


def test_no_patients_count_none_and_a_certain_one_counts_one() -> None:
    assert count_distribution([]) == [1.0]
    assert count_distribution([1.0, 0.0]) == [0.0, 1.0, 0.0]
    assert quantile([0.0, 1.0, 0.0], 0.1) == 1


def test_a_probability_outside_0_to_1_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        count_distribution([1.2])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 1), max_size=12))
def test_the_distribution_sums_to_one_and_its_mean_is_the_expected_count(ps: list[float]) -> None:
    dist = count_distribution(ps)
    assert math.isclose(sum(dist), 1.0, abs_tol=1e-9)
    assert math.isclose(sum(k * m for k, m in enumerate(dist)), sum(ps), abs_tol=1e-9)


def test_auroc_by_hand() -> None:
    # Leavers scored 0.9 and 0.4, stayers 0.5 and 0.1: of the 4 pairs, 3 put the leaver above.
    assert auroc([0.9, 0.4, 0.5, 0.1], [True, True, False, False]) == pytest.approx(0.75)
    # A tie between a leaver and a stayer counts half: pairs (0.5 vs 0.5) = 0.5, (0.5 vs 0.1) = 1.
    assert auroc([0.5, 0.5, 0.1], [True, False, False]) == pytest.approx(0.75)
    assert auroc([0.1, 0.9], [True, False]) == 0.0
    with pytest.raises(ValueError, match="both outcomes"):
        auroc([0.3, 0.4], [True, True])


def test_mean_absolute_error_by_hand() -> None:
    assert mean_absolute_error([1.5, 3.0, 0.0], [1.0, 5.0, 0.0]) == pytest.approx(2.5 / 3)
    with pytest.raises(ValueError):
        mean_absolute_error([], [])


def test_reliability_bins_by_hand() -> None:
    scores = [0.05, 0.08, 0.15, 0.95, 1.0]
    left = [False, True, False, True, True]
    found = reliability(scores, left, bins=10)
    assert [(b.low, b.patients) for b in found] == [(0.0, 2), (0.1, 1), (0.9, 2)]
    assert found[0].mean_predicted == pytest.approx(0.065) and found[0].observed == 0.5
    assert found[2].mean_predicted == pytest.approx(0.975) and found[2].observed == 1.0


def test_calibration_error_weights_each_bins_gap_by_its_patients() -> None:
    # Bins 0.0-0.1 (2 patients: mean 0.065, half left: gap 0.435), 0.1-0.2 (1: 0.15 against
    # none: 0.15) and 0.9-1.0 (2: 0.975 against all: 0.025); (0.87 + 0.15 + 0.05) / 5.
    found = reliability([0.05, 0.08, 0.15, 0.95, 1.0], [False, True, False, True, True])
    assert calibration_error(found) == pytest.approx(1.07 / 5)
    with pytest.raises(ValueError):
        calibration_error([])
