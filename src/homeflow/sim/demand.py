"""Fitting a service's arrivals to the admissions in the event history: a day, by weekday,
by month when the history covers a year, and set at demand's level now when it does not."""

from __future__ import annotations

from datetime import date

import pandas as pd

from homeflow.domain.clock import local_date
from homeflow.sim.model import Arrivals

# Without a year of history there are no monthly factors, so demand is set at its level of
# these last days (whole weeks, so every weekday counts alike), taken over the whole system's
# admissions: a small service's few arrivals would make its own level noise.
DEMAND_NOW_DAYS = 28


def _daily_counts(admitted: pd.Series, first: date, last: date) -> pd.Series:
    days = pd.date_range(first, last, freq="D")
    counts = admitted.map(local_date).value_counts()
    return pd.Series([counts.get(d.date(), 0) for d in days], index=days, dtype=float)


def demand_now(admitted: pd.Series, first: date, last: date) -> tuple[float, str]:
    """How the admissions a day of the last DEMAND_NOW_DAYS compare with the whole window's,
    and a note; 1 with a year of history (the monthly factors hold the season then) or too
    short a window to tell a level from it."""
    per_day = _daily_counts(admitted, first, last)
    if len(per_day) >= 365 or len(per_day) < 2 * DEMAND_NOW_DAYS or per_day.mean() == 0:
        return 1.0, ""
    level = float(per_day.iloc[-DEMAND_NOW_DAYS:].mean() / per_day.mean())
    return level, (
        f"Demand now: the system's admissions a day in the last {DEMAND_NOW_DAYS} days were"
        f" {level:.1%} of the window's average; without a year of history to give each month"
        " its factor, every arrival rate is set at that level."
    )


def arrivals(
    admitted: pd.Series, first: date, last: date, level: float = 1.0
) -> tuple[Arrivals, str]:
    """A service's admissions a day, by weekday and (with a year of history) month, set at
    demand's `level` now (`demand_now`)."""
    per_day = _daily_counts(admitted, first, last)
    mean = per_day.mean()
    if mean == 0:
        return Arrivals(0.0), "no admissions"
    weekday = tuple(per_day[per_day.index.weekday == w].mean() / mean for w in range(7))
    month: tuple[float, ...] = (1.0,) * 12
    note = f"{per_day.sum():.0f} admissions in {len(per_day)} days"
    if len(per_day) >= 365:
        by_month = per_day.groupby(per_day.index.month).mean()
        month = tuple(by_month.get(m, mean) / mean for m in range(1, 13))
    else:
        note += "; monthly factors need a year of history, so they are left at 1"
    if level != 1.0:
        note += f"; {mean:.2f} a day over the window, {mean * level:.2f} at demand's level now"
    return Arrivals(mean * level, weekday, month), note
