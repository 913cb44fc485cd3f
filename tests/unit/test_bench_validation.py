"""The validation benchmark's dates: spread evenly over the window, both ends kept."""

from __future__ import annotations

from datetime import date

import pytest
from bench.bench_validation import dates_between, median_by_service

FIRST = date(2026, 7, 5)


def test_dates_are_spread_evenly_from_the_first_to_the_last() -> None:
    assert dates_between(FIRST, date(2026, 7, 17), 4) == [
        FIRST,
        date(2026, 7, 9),
        date(2026, 7, 13),
        date(2026, 7, 17),
    ]


def test_one_date_is_the_last_and_a_window_of_one_day_is_that_day() -> None:
    assert dates_between(FIRST, date(2026, 11, 1), 1) == [date(2026, 11, 1)]
    assert dates_between(FIRST, FIRST, 7) == [FIRST]


def test_more_dates_than_days_give_each_day_once() -> None:
    assert dates_between(FIRST, date(2026, 7, 7), 5) == [FIRST, date(2026, 7, 6), date(2026, 7, 7)]


def test_a_services_median_bias_is_the_middle_of_its_dates_or_the_mean_of_the_two() -> None:
    biases = [
        ("RX101", "nctr", FIRST, 0.30),
        ("RX101", "nctr", date(2026, 7, 6), -0.02),
        ("RX101", "nctr", date(2026, 7, 7), 0.01),
        ("RX101", "occupancy", FIRST, 0.04),
        ("RX101", "occupancy", date(2026, 7, 6), -0.10),
    ]
    assert median_by_service(biases) == {
        ("RX101", "nctr"): 0.01,
        ("RX101", "occupancy"): pytest.approx(-0.03),
    }
