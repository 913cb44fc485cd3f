"""The Study of a PDSA cycle, computed from the measure's chart.

The points from the change date on are judged against the limits of the points before it (the
baseline), with Making Data Count's rules: a point beyond a baseline limit, or a run of seven
on one side of the baseline mean, is special cause. On the measure's good side it is
improvement; on the other, deterioration. Without either, there is no signal yet, and the
study says how many more points a shift would need. The chart itself is rebased at the change
date, so its new mean and limits show where the process now sits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from statistics import fmean

from homeflow.domain.errors import InvalidInput
from homeflow.reports.spc import MINIMUM_POINTS, RUN_LENGTH, Better, SpcChart, spc_chart, xmr_limits


class Verdict(StrEnum):
    IMPROVEMENT = "special-cause improvement"
    NO_SIGNAL = "no signal yet"
    DETERIORATION = "deterioration"
    NOT_ENOUGH_BASELINE = "not enough points before the change"


@dataclass(frozen=True, slots=True)
class Study:
    verdict: Verdict
    baseline_mean: float | None
    after_mean: float | None
    points_before: int
    points_after: int
    points_needed: int  # more points a shift would need; 0 once there is a signal
    prediction_held: bool | None  # None: no predicted value, or no points after the change
    reasons: tuple[str, ...]
    chart: SpcChart | None


def study(
    days: Sequence[date],
    values: Sequence[float],
    change_date: date,
    better: Better,
    predicted_value: float | None = None,
    minimum_baseline: int = MINIMUM_POINTS,
) -> Study:
    if len(days) != len(values):
        raise InvalidInput("value", "every date needs exactly one value")
    before = [v for d, v in zip(days, values, strict=True) if d < change_date]
    after = [v for d, v in zip(days, values, strict=True) if d >= change_date]
    chart = spc_chart(days, values, better, None, [change_date]) if len(values) >= 2 else None
    after_mean = fmean(after) if after else None
    if len(before) < minimum_baseline:
        return Study(
            Verdict.NOT_ENOUGH_BASELINE,
            fmean(before) if before else None,
            after_mean,
            len(before),
            len(after),
            0,
            None,
            (f"{len(before)} points before the change; the baseline needs {minimum_baseline}",),
            chart,
        )
    mean, lower, upper = xmr_limits(before)
    good = 1 if better is Better.HIGHER else -1
    reasons: list[str] = []
    sides: set[int] = set()
    for d, v in zip(days, values, strict=True):
        if d >= change_date and (v > upper or v < lower):
            side = 1 if v > upper else -1
            sides.add(side)
            reasons.append(
                f"{d:%d/%m/%Y}: {v:g} is beyond the baseline's {'upper' if side > 0 else 'lower'} limit ({upper if side > 0 else lower:.3g})"
            )
    run, run_side = _longest_run(after, mean)
    if run >= RUN_LENGTH:
        sides.add(run_side)
        reasons.append(
            f"{run} points in a row {'above' if run_side > 0 else 'below'} the baseline mean ({mean:.3g})"
        )
    if good in sides:
        verdict = Verdict.IMPROVEMENT
    elif -good in sides:
        verdict = Verdict.DETERIORATION
    else:
        verdict = Verdict.NO_SIGNAL
    needed = 0 if verdict is not Verdict.NO_SIGNAL else RUN_LENGTH - _current_run(after, mean, good)
    held = None
    if predicted_value is not None and after_mean is not None:
        held = verdict is Verdict.IMPROVEMENT and (after_mean - predicted_value) * good >= 0
    return Study(
        verdict, mean, after_mean, len(before), len(after), needed, held, tuple(reasons), chart
    )


def _longest_run(values: Sequence[float], mean: float) -> tuple[int, int]:
    """The longest run of points on one side of the mean, and its side (a point on the mean
    breaks a run)."""
    best, best_side, run, side = 0, 0, 0, 0
    for v in values:
        here = 1 if v > mean else -1 if v < mean else 0
        run = run + 1 if here == side and here != 0 else (1 if here != 0 else 0)
        side = here
        if run > best:
            best, best_side = run, side
    return best, best_side


def _current_run(values: Sequence[float], mean: float, good: int) -> int:
    """How many of the latest points in a row sit on the good side of the mean."""
    run = 0
    for v in reversed(values):
        if (v - mean) * good > 0:
            run += 1
        else:
            break
    return run
