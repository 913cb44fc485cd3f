"""How far a service's NCTR moves from one four weeks to the next: the capacity model's wait
spread (`Service.wait_spread`), from the event history.

A model fitted to the recent weeks carries their level of NCTR forward. What then happens runs
above or below it by more than the days' own chance: waits shorten as a team catches up,
lengthen as a care market tightens. The history says by how much: at each day with four weeks
before and after it, the after's mean NCTR over the before's. The root mean square of their
logarithms is how far a level moves in four weeks (docs/simulation.md, "Calibration")."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

SPAN_DAYS = 28  # the four weeks compared on each side of a day
MIN_ORIGINS = 28  # fewer days with four weeks each side cannot tell a spread


def nctr_by_day(ready_at: pd.Series, left_at: pd.Series, first: date, last: date) -> np.ndarray:
    """Patients in a bed at each midnight from the end of `first` to the end of `last` after
    the day they were ready: a stay ready on day r and leaving on day l is counted on days r to
    l - 1 (every day to `last` if it has not left). Stays never ready count on none."""
    ready, gone = (
        # Local days as naive dates, so that days across a change of the clocks are whole.
        pd.to_datetime(at, utc=True).dt.tz_convert("Europe/London").dt.tz_localize(None)
        for at in (ready_at, left_at)
    )
    ready, gone = ready.dt.normalize(), gone.dt.normalize()
    origin = pd.Timestamp(first)
    n_days = (last - first).days + 1
    counted = ready.notna().to_numpy()
    start = np.clip((ready[counted] - origin).dt.days.to_numpy(), 0, None)
    end = np.clip((gone[counted] - origin).dt.days.fillna(n_days).to_numpy(), None, n_days)
    start, end = start[start < end].astype(int), end[start < end].astype(int)
    change = np.zeros(n_days + 1)
    np.add.at(change, start, 1)
    np.add.at(change, end, -1)
    return np.cumsum(change)[:n_days]


def level_spread(counts: np.ndarray) -> float:
    """How far the four weeks after a day run from the four weeks before it, over every day
    with four weeks of `counts` on each side: the root mean square of the logarithms of their
    means' ratio, as the coefficient of variation of a lognormal factor with that spread. 0 when
    fewer than MIN_ORIGINS days can be compared or a four weeks had no NCTR at all."""
    counts = np.asarray(counts, dtype=float)
    origins = range(SPAN_DAYS, len(counts) - SPAN_DAYS + 1)
    if len(origins) < MIN_ORIGINS:
        return 0.0
    # window[i]: the mean of the four weeks from day i; before day o is window[o - SPAN_DAYS].
    window = np.convolve(counts, np.ones(SPAN_DAYS) / SPAN_DAYS, mode="valid")
    before, after = window[: len(origins)], window[SPAN_DAYS:]
    if (before <= 0).any() or (after <= 0).any():
        return 0.0
    rms = float(np.sqrt(np.mean(np.log(after / before) ** 2)))
    return float(np.sqrt(np.expm1(rms**2)))


def wait_spread(stays: pd.DataFrame, first: date, last: date) -> float:
    """A service's wait spread from its stays (columns ready_at and discharged_at) in the
    history `first` to `last`: those still in a bed after `last` count as not yet left."""
    end = pd.Timestamp(last + timedelta(days=1), tz="Europe/London")
    left_at = stays.discharged_at.where(stays.discharged_at < end)
    return level_spread(nctr_by_day(stays.ready_at, left_at, first, last))
