"""The week in the capacity model's calibration: of the patients due on each weekday (to be
found ready, or to leave a bed they no longer need), the share who are, from when they were
(docs/simulation.md, "the week")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

MIN_WEEKDAY_EVENTS = 300  # fewer departures (or patients found ready) cannot tell the weekdays


def shares_by_weekday(went: Sequence[int], days: Sequence[int]) -> tuple[float, ...]:
    """Of those due on each weekday (Monday first), the share who go that day, from how many
    went on each weekday (`went`) over how many of that weekday there were (`days`).

    As many are taken to be due each day (the mean), and those kept are due again the next
    day, so a weekday's share is what went over what was due: its own and those kept the day
    before. Worked round the week until the days kept settle (the week is a circle). Too few
    went to tell: 1 every day."""
    per_day = [d / max(n, 1) for d, n in zip(went, days, strict=True)]
    due_each_day = sum(per_day) / 7
    if sum(went) < MIN_WEEKDAY_EVENTS:
        return (1.0,) * 7
    shares = [1.0] * 7
    kept = 0.0
    for _ in range(4):
        for w in range(7):
            due = due_each_day + kept
            shares[w] = min(1.0, max(per_day[w] / due, 0.05))
            kept = due * (1.0 - shares[w])
    return tuple(round(share, 3) for share in shares)


def kept_days(shares: Sequence[float]) -> float:
    """How many days on average a patient due to leave is kept by the weekday shares (those
    due on each weekday alike): what a wait fitted to departures already holds of them."""
    total = 0.0
    for w in range(7):
        still = 1.0
        for day in range(28):
            still *= 1.0 - shares[(w + day) % 7]
            total += still
    return total / 7


def by_weekday(
    at: pd.Series, first: date, last: date, what: str
) -> tuple[tuple[float, ...], float, str]:
    """The weekday shares of those due who `what` (at the times `at`, from first to last),
    the days the shares keep a patient on average, and a note."""
    local = at[at.notna()].dt.tz_convert("Europe/London")
    local = local[(local.dt.date >= first) & (local.dt.date <= last)]
    went = local.dt.weekday.value_counts()
    days = pd.date_range(first, last, freq="D").weekday.value_counts()
    shares = shares_by_weekday(
        [int(went.get(w, 0)) for w in range(7)], [int(days.get(w, 0)) for w in range(7)]
    )
    kept = kept_days(shares)
    note = (
        f"Of those due to {what}, the share who do on each weekday, Monday first: "
        f"{', '.join(f'{x:.2f}' for x in shares)} (kept {kept:.2f} days on average)."
    )
    return shares, kept, note
