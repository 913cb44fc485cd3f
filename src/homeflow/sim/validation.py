"""How well the capacity model foretold what then happened: the arithmetic of `homeflow validate`.

Pure: it takes the replications' daily figures and the actual daily series as arrays. A band is
the range between two percentiles of the replications on a day (50%: the 25th to 75th, 90%: the
5th to 95th); the point forecast is the median. The interval score of a 90% band (Gneiting and
Raftery, "Strictly proper scoring rules, prediction, and estimation", JASA 2007, section 6.2)
is its width plus 2/0.1 times how far the actual value fell outside it: lower is better, and a
band bought by width scores badly. The reference carries the start census forward unchanged: its
band is that one value, so its interval score is 20 times the distance from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ALPHA = 0.1  # the 90% band's share outside it

VALIDATION_COLUMNS = (
    "service",
    "measure",
    "days",
    "actual_mean",
    "inside_50",
    "inside_90",
    "bias",
    "bias_percent",
    "mae",
    "interval_score",
    "reference_bias",
    "reference_mae",
    "reference_interval_score",
)


@dataclass(frozen=True, slots=True)
class Bands:
    """Per day: the median and the 50% and 90% bands of the replications."""

    median: np.ndarray
    low50: np.ndarray
    high50: np.ndarray
    low90: np.ndarray
    high90: np.ndarray


def bands(replications: np.ndarray) -> Bands:
    """`replications`: a row per replication, a column per day."""
    p5, p25, p50, p75, p95 = np.percentile(replications, (5, 25, 50, 75, 95), axis=0)
    return Bands(p50, p25, p75, p5, p95)


def interval_score(low: np.ndarray, high: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Each day's interval score of the band [low, high] at ALPHA."""
    below = np.clip(low - actual, 0.0, None)
    above = np.clip(actual - high, 0.0, None)
    return np.asarray((high - low) + (2 / ALPHA) * (below + above), dtype=float)


def inside(low: np.ndarray, high: np.ndarray, actual: np.ndarray) -> np.ndarray:
    return np.asarray((actual >= low) & (actual <= high))


@dataclass(frozen=True, slots=True)
class Comparison:
    """One service's measure over the days compared."""

    service: str
    measure: str
    days: int
    actual_mean: float
    inside_50: float  # share of days the actual value was inside the 50% band
    inside_90: float
    bias: float  # mean of median minus actual
    bias_percent: float | None  # bias as a share of the actual mean (None when that is 0)
    mae: float
    interval_score: float  # mean over the days
    reference_bias: float
    reference_mae: float
    reference_interval_score: float

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in VALIDATION_COLUMNS}


def compare(
    service: str, measure: str, replications: np.ndarray, actual: np.ndarray, start: float
) -> Comparison:
    """The model's bands against the actual series, and the carried-forward reference's."""
    actual = np.asarray(actual, dtype=float)
    if replications.shape[1] != actual.shape[0] or actual.shape[0] == 0:
        raise ValueError("the replications and the actual series must cover the same days")
    b = bands(np.asarray(replications, dtype=float))
    error = b.median - actual
    reference = np.full_like(actual, float(start))
    mean = float(actual.mean())
    return Comparison(
        service=service,
        measure=measure,
        days=int(actual.shape[0]),
        actual_mean=mean,
        inside_50=float(inside(b.low50, b.high50, actual).mean()),
        inside_90=float(inside(b.low90, b.high90, actual).mean()),
        bias=float(error.mean()),
        bias_percent=float(error.mean() / mean) if mean else None,
        mae=float(np.abs(error).mean()),
        interval_score=float(interval_score(b.low90, b.high90, actual).mean()),
        reference_bias=float((reference - actual).mean()),
        reference_mae=float(np.abs(reference - actual).mean()),
        reference_interval_score=float(interval_score(reference, reference, actual).mean()),
    )


def pooled(measure: str, parts: Sequence[Comparison]) -> Comparison:
    """Every service's days of one measure together (site-days): shares and means weighted by
    days; the bias as a share of the pooled actual mean."""
    days = sum(p.days for p in parts)

    def weighted(name: str) -> float:
        return sum(float(getattr(p, name)) * p.days for p in parts) / days

    mean = weighted("actual_mean")
    bias = weighted("bias")
    return Comparison(
        service="all services",
        measure=measure,
        days=days,
        actual_mean=mean,
        inside_50=weighted("inside_50"),
        inside_90=weighted("inside_90"),
        bias=bias,
        bias_percent=bias / mean if mean else None,
        mae=weighted("mae"),
        interval_score=weighted("interval_score"),
        reference_bias=weighted("reference_bias"),
        reference_mae=weighted("reference_mae"),
        reference_interval_score=weighted("reference_interval_score"),
    )
