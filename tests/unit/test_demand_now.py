"""Demand's level now (sim/demand.demand_now): with less than a year of history there are no
monthly factors, so every arrival rate is set at the level of the system's last four weeks of
admissions. Cases worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from homeflow.sim.demand import DEMAND_NOW_DAYS, arrivals, demand_now

LONDON = ZoneInfo("Europe/London")
FIRST = date(2026, 6, 1)


def admissions(per_day: list[int]) -> pd.Series:
    """`per_day[i]` admissions at noon on the i-th day from FIRST."""
    noon = datetime(FIRST.year, FIRST.month, FIRST.day, 12, tzinfo=LONDON)
    return pd.Series(
        [noon + timedelta(days=i) for i, n in enumerate(per_day) for _ in range(n)], dtype=object
    )


def test_the_last_four_weeks_set_the_level() -> None:
    # 112 days: 10 a day for 84 days, then 20 a day for the last 28. The window's average is
    # (84 x 10 + 28 x 20) / 112 = 12.5 a day, the last 28 days' 20: a level of 1.6.
    per_day = [10] * 84 + [20] * DEMAND_NOW_DAYS
    last = FIRST + timedelta(days=len(per_day) - 1)
    level, note = demand_now(admissions(per_day), FIRST, last)
    assert level == pytest.approx(1.6)
    assert "160.0%" in note
    # A site with 5 a day throughout arrives at 5 x 1.6 = 8 a day.
    fitted, said = arrivals(admissions([5] * len(per_day)), FIRST, last, level)
    assert fitted.per_day == pytest.approx(8.0)
    assert "5.00 a day over the window, 8.00 at demand's level now" in said


def test_a_year_of_history_leaves_the_season_to_the_monthly_factors() -> None:
    per_day = [10] * 337 + [20] * DEMAND_NOW_DAYS  # 365 days
    last = FIRST + timedelta(days=len(per_day) - 1)
    assert demand_now(admissions(per_day), FIRST, last) == (1.0, "")


@pytest.mark.parametrize(
    "per_day",
    [
        [10] * 27 + [20] * DEMAND_NOW_DAYS,  # 55 days: too short to tell a level from
        [0] * 100,  # no admissions
    ],
)
def test_too_little_history_leaves_demand_as_it_was(per_day: list[int]) -> None:
    last = FIRST + timedelta(days=len(per_day) - 1)
    assert demand_now(admissions(per_day), FIRST, last) == (1.0, "")
