"""The smart list: places ranked by where support is needed, on NHS England's Oversight
Framework pattern (segments 1 to 4, 4 the most support).

Each measure of a place scores 1 to 4 from its weekly SPC chart: one point to start, one if the
latest point is special-cause concern, one if the target is missed (reliably, or by the latest
point where the limits straddle it), one if the last four weeks are worse than the four before
by more than half a sigma; special-cause improvement takes one off. The place's score is the
mean of its measures', raised by a quarter for each overdue action its organisation owns (at
most one) and by a half when its self-assessment has changes not yet established there. The
segment is the score rounded to the nearest whole, from 1 to 4. Every step leaves a reason in
words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

from homeflow.reports.spc import Assurance, Better, SpcChart

TREND_WEEKS = 4
OVERDUE_STEP, OVERDUE_MOST = 0.25, 1.0
GAPS_STEP = 0.5


@dataclass(frozen=True, slots=True)
class MeasureScore:
    measure: str
    score: int
    reasons: tuple[str, ...]


def score_measure(
    measure: str, chart: SpcChart, better: Better, target: float | None
) -> MeasureScore:
    latest = chart.latest
    good = 1 if better is Better.HIGHER else -1
    score, reasons = 1, []
    if "concern" in latest.variation.value:
        score += 1
        reasons.append(f"{measure}: the latest week is special-cause concern")
    if target is not None:
        if chart.assurance is Assurance.FAIL:
            score += 1
            reasons.append(f"{measure}: the target ({target:g}) is reliably missed")
        elif chart.assurance is Assurance.HIT_AND_MISS and (latest.value - target) * good < 0:
            score += 1
            reasons.append(
                f"{measure}: the latest week ({latest.value:.3g}) misses the target ({target:g})"
            )
    values = [p.value for p in chart.points]
    if len(values) >= 2 * TREND_WEEKS:
        recent = fmean(values[-TREND_WEEKS:])
        before = fmean(values[-2 * TREND_WEEKS : -TREND_WEEKS])
        sigma = (latest.upl - latest.mean) / 3  # the limits sit three sigma from the mean
        if (recent - before) * good < -0.5 * sigma:
            score += 1
            reasons.append(
                f"{measure}: worse over the last {TREND_WEEKS} weeks ({before:.3g} to {recent:.3g})"
            )
    if "improvement" in latest.variation.value:
        score -= 1
        reasons.append(f"{measure}: the latest week is special-cause improvement")
    return MeasureScore(measure, max(1, min(4, score)), tuple(reasons))


@dataclass(frozen=True, slots=True)
class PlaceSegment:
    place: str
    score: float
    segment: int
    measures: tuple[MeasureScore, ...]
    reasons: tuple[str, ...]


def segment_place(
    place: str, measures: Sequence[MeasureScore], overdue_actions: int, gaps: Sequence[str]
) -> PlaceSegment:
    reasons: list[str] = []
    score = fmean(m.score for m in measures) if measures else 1.0
    reasons.append(
        f"mean measure score {score:.2f} over {len(measures)} measures"
        if measures
        else "no measures with enough data"
    )
    for m in measures:
        reasons.extend(m.reasons)
    if overdue_actions:
        raised = min(OVERDUE_MOST, OVERDUE_STEP * overdue_actions)
        score += raised
        reasons.append(f"{overdue_actions} overdue actions (+{raised:g})")
    if gaps:
        score += GAPS_STEP
        reasons.append(
            f"self-assessment: not yet established here: {'; '.join(gaps)} (+{GAPS_STEP:g})"
        )
    segment = max(1, min(4, int(score + 0.5)))
    return PlaceSegment(place, round(score, 2), segment, tuple(measures), tuple(reasons))


def ranked(segments: Mapping[str, PlaceSegment]) -> list[PlaceSegment]:
    """Most support needed first."""
    return sorted(segments.values(), key=lambda s: (-s.segment, -s.score, s.place))
