"""The arithmetic of discharge predictions: a count from patients' probabilities, and how a
model's probabilities are judged against what happened. Pure Python, so the tests check it on
cases worked by hand.

A ward's discharges are a sum of independent Bernoulli trials, one a patient, each with its
own probability: their count follows the Poisson-binomial distribution, computed exactly here
by convolving one patient at a time (as UCLH's patientflow sums patient-level probabilities
into a distribution of bed counts: https://github.com/UCL-CORU/patientflow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def count_distribution(probabilities: Sequence[float]) -> list[float]:
    """P(count = k) for k = 0..n, the patients independent (Poisson-binomial, exact)."""
    dist = [1.0]
    for p in probabilities:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"a probability must be between 0 and 1, not {p}")
        nxt = [0.0] * (len(dist) + 1)
        for k, mass in enumerate(dist):
            nxt[k] += mass * (1.0 - p)
            nxt[k + 1] += mass * p
        dist = nxt
    return dist


def quantile(dist: Sequence[float], share: float) -> int:
    """The smallest count whose cumulative probability reaches the share."""
    total = 0.0
    for k, mass in enumerate(dist):
        total += mass
        if total >= share - 1e-12:
            return k
    return len(dist) - 1


@dataclass(frozen=True, slots=True)
class CountRange:
    expected: float
    low: int  # the 10th centile
    high: int  # the 90th centile


def count_range(probabilities: Sequence[float]) -> CountRange:
    """The expected count and its 10-90% range."""
    dist = count_distribution(probabilities)
    return CountRange(sum(probabilities), quantile(dist, 0.1), quantile(dist, 0.9))


def auroc(scores: Sequence[float], outcomes: Sequence[bool]) -> float:
    """The area under the ROC curve: the chance a patient who left is scored above one who
    stayed, ties counting half (the Mann-Whitney statistic)."""
    pairs = sorted(zip(scores, outcomes, strict=True))
    positives = sum(outcomes)
    negatives = len(pairs) - positives
    if not positives or not negatives:
        raise ValueError("AUROC needs both outcomes")
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        mid_rank = (i + 1 + j) / 2  # ranks i+1..j share their mean
        rank_sum += mid_rank * sum(o for _, o in pairs[i:j])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def mean_absolute_error(predicted: Sequence[float], actual: Sequence[float]) -> float:
    if not predicted or len(predicted) != len(actual):
        raise ValueError("needs as many predictions as actual values, at least one")
    return sum(abs(p - a) for p, a in zip(predicted, actual, strict=True)) / len(predicted)


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    low: float
    high: float
    patients: int
    mean_predicted: float
    observed: float  # the share who left


def reliability(
    scores: Sequence[float], outcomes: Sequence[bool], bins: int = 10
) -> list[ReliabilityBin]:
    """Patients in bins of equal width by predicted probability (the last bin holds 1.0), each
    bin's mean prediction beside the share who did leave; empty bins are left out."""
    members: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for score, happened in zip(scores, outcomes, strict=True):
        members[min(int(score * bins), bins - 1)].append((score, happened))
    return [
        ReliabilityBin(
            i / bins,
            (i + 1) / bins,
            len(found),
            sum(s for s, _ in found) / len(found),
            sum(h for _, h in found) / len(found),
        )
        for i, found in enumerate(members)
        if found
    ]


def calibration_error(bins: Sequence[ReliabilityBin]) -> float:
    """The reliability table in one figure (the expected calibration error): each bin's gap
    between mean prediction and the share who left, weighted by its patients."""
    patients = sum(b.patients for b in bins)
    if not patients:
        raise ValueError("the calibration error needs at least one patient")
    return sum(b.patients * abs(b.mean_predicted - b.observed) for b in bins) / patients
