"""Statistical process control the NHS way (NHS England's Making Data Count).

XmR charts: the centre line is the mean, the process limits sit at ±2.66 × the mean moving
range. Four special-cause rules: a point beyond a limit; a run of 7 points above or below the
mean (a shift); a run of 7 points each rising, or each falling (a trend); two of three points
beyond the two-sigma line on the same side. A signal is improvement or concern by the
measure's good direction. Limits can be rebased at the date a change was made; each phase
gets its own mean and limits. Pure functions: no I/O.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from homeflow.domain.errors import InvalidInput

LIMIT_FACTOR = 2.66  # 3 / d2, with d2 = 1.128 for moving ranges of two points
TWO_SIGMA_FACTOR = LIMIT_FACTOR * 2 / 3
RUN_LENGTH = 7
MINIMUM_POINTS = 13


class Better(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class Variation(StrEnum):
    COMMON_CAUSE = "common cause"
    IMPROVEMENT_HIGH = "special cause improvement (high)"
    IMPROVEMENT_LOW = "special cause improvement (low)"
    CONCERN_HIGH = "special cause concern (high)"
    CONCERN_LOW = "special cause concern (low)"
    NEITHER_HIGH = "special cause (high)"
    NEITHER_LOW = "special cause (low)"


class Assurance(StrEnum):
    PASS = "target reliably met"
    FAIL = "target reliably missed"
    HIT_AND_MISS = "target sometimes met"
    NONE = "no target"


@dataclass(frozen=True, slots=True)
class SpcPoint:
    day: date
    value: float
    phase: int
    mean: float
    lpl: float
    upl: float
    rules: tuple[str, ...]
    variation: Variation

    @property
    def special_cause(self) -> bool:
        return bool(self.rules)


@dataclass(frozen=True, slots=True)
class SpcChart:
    points: tuple[SpcPoint, ...]
    assurance: Assurance
    warnings: tuple[str, ...]

    @property
    def latest(self) -> SpcPoint:
        return self.points[-1]

    def rows(self) -> list[dict[str, object]]:
        """The points as the `homeflow spc` output has them, one dict a point."""
        return [
            {
                "date": p.day.isoformat(),
                "value": p.value,
                "mean": round(p.mean, 6),
                "lpl": round(p.lpl, 6),
                "upl": round(p.upl, 6),
                "special_cause": ";".join(p.rules),
                "variation": p.variation.value,
                "assurance": self.assurance.value,
            }
            for p in self.points
        ]


def xmr_limits(values: Sequence[float]) -> tuple[float, float, float]:
    """(mean, lower process limit, upper process limit) of one phase."""
    mean = sum(values) / len(values)
    ranges = [abs(b - a) for a, b in itertools.pairwise(values)]
    mean_range = sum(ranges) / len(ranges) if ranges else 0.0
    return mean, mean - LIMIT_FACTOR * mean_range, mean + LIMIT_FACTOR * mean_range


def spc_chart(
    days: Sequence[date],
    values: Sequence[float],
    better: Better | None = None,
    target: float | None = None,
    rebase: Sequence[date] = (),
) -> SpcChart:
    """An XmR chart with Making Data Count's rules, variation and assurance."""
    if len(days) != len(values):
        raise InvalidInput("value", "every date needs exactly one value")
    if not values:
        raise InvalidInput("value", "no points to chart")
    if list(days) != sorted(days) or len(set(days)) != len(days):
        raise InvalidInput("date", "dates must be distinct and in order")
    starts = {0}
    for change in rebase:
        first = next((i for i, d in enumerate(days) if d >= change), None)
        if first:
            starts.add(first)
    bounds = [*sorted(starts), len(values)]
    points: list[SpcPoint] = []
    warnings: list[str] = []
    for phase, (start, end) in enumerate(itertools.pairwise(bounds)):
        phase_values = list(values[start:end])
        mean, lpl, upl = xmr_limits(phase_values)
        if len(phase_values) < MINIMUM_POINTS:
            warnings.append(
                f"phase from {days[start]:%d/%m/%Y}: limits rest on {len(phase_values)} points "
                f"(fewer than {MINIMUM_POINTS}); treat signals with care"
            )
        flags = _rules(phase_values, mean, lpl, upl)
        for offset, value in enumerate(phase_values):
            rules, side = flags[offset]
            points.append(
                SpcPoint(
                    days[start + offset],
                    value,
                    phase,
                    mean,
                    lpl,
                    upl,
                    tuple(rules),
                    _variation(rules, side, better),
                )
            )
    last = points[-1]
    return SpcChart(tuple(points), _assurance(last.lpl, last.upl, better, target), tuple(warnings))


def _rules(values: list[float], mean: float, lpl: float, upl: float) -> list[tuple[list[str], int]]:
    """For each point, the rules it breaks and the side (+1 high, -1 low, 0 none)."""
    n = len(values)
    found: list[tuple[list[str], int]] = [([], 0) for _ in range(n)]

    def flag(i: int, rule: str, side: int) -> None:
        rules, current = found[i]
        if rule not in rules:
            rules.append(rule)
        found[i] = (rules, current or side)

    mean_range = (upl - mean) / LIMIT_FACTOR
    for i, v in enumerate(values):
        if v > upl:
            flag(i, "beyond limit", 1)
        elif v < lpl:
            flag(i, "beyond limit", -1)
    for side in (1, -1):
        run: list[int] = []
        for i, v in enumerate(values):
            run = [*run, i] if (v - mean) * side > 0 else []
            if len(run) >= RUN_LENGTH:
                for j in run:
                    flag(j, "shift", side)
        run = [0]
        for i in range(1, n):
            run = [*run, i] if (values[i] - values[i - 1]) * side > 0 else [i]
            if len(run) >= RUN_LENGTH:
                for j in run:
                    flag(j, "trend", side)
    two_sigma = TWO_SIGMA_FACTOR * mean_range
    if two_sigma > 0:
        for side in (1, -1):
            beyond = [(v - mean) * side > two_sigma for v in values]
            for i in range(n - 2):
                window = [i, i + 1, i + 2]
                hits = [j for j in window if beyond[j]]
                if len(hits) >= 2:
                    for j in hits:
                        flag(j, "two of three beyond two sigma", side)
    return found


def _variation(rules: list[str], side: int, better: Better | None) -> Variation:
    if not rules:
        return Variation.COMMON_CAUSE
    if better is None:
        return Variation.NEITHER_HIGH if side > 0 else Variation.NEITHER_LOW
    good = (side > 0) == (better is Better.HIGHER)
    if good:
        return Variation.IMPROVEMENT_HIGH if side > 0 else Variation.IMPROVEMENT_LOW
    return Variation.CONCERN_HIGH if side > 0 else Variation.CONCERN_LOW


def _assurance(lpl: float, upl: float, better: Better | None, target: float | None) -> Assurance:
    """Whether the current process limits say the target is met every time, never, or sometimes."""
    if target is None or better is None:
        return Assurance.NONE
    if lpl <= target <= upl:
        return Assurance.HIT_AND_MISS
    met = lpl > target if better is Better.HIGHER else upl < target
    return Assurance.PASS if met else Assurance.FAIL
