"""A site's bed measures as SPC charts on the Measures page: the cleaning turnaround (mean
hours from vacated to clean) and the bed-days closed for each reason, day by day or week by
week; each point opens to the beds behind it (`/beds/figures`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from urllib.parse import urlencode

from sqlalchemy import Engine

from homeflow.config import beds_cleaned_after_discharge
from homeflow.domain import bed_state, clock
from homeflow.domain.bed_state import NOT_GIVEN, REASON_WORDS, BedMeasures, ClosureReason
from homeflow.reports.charts import spc_spec
from homeflow.reports.kpi import Period
from homeflow.reports.spc import Better, spc_chart
from homeflow.services.measures import MeasureChart
from homeflow.store import db
from homeflow.store.bed_state import site_histories

TURNAROUND = "turnaround"
CLOSED = "closed"  # "closed:<reason>"


def reason_words(reason: str) -> str:
    return (
        "reason not given" if reason == NOT_GIVEN else REASON_WORDS[ClosureReason(reason)].lower()
    )


def spans(first: date, last: date, period: Period) -> list[tuple[date, date]]:
    """The chart's periods: each day, or each week from Monday (the first and last part weeks
    as they fall in the range)."""
    if period is Period.DAILY:
        return [(d, d) for d in (first + timedelta(days=n) for n in range((last - first).days + 1))]
    found, start = [], first
    while start <= last:
        end = min(start + timedelta(days=6 - start.weekday()), last)
        found.append((start, end))
        start = end + timedelta(days=1)
    return found


def span_measures(
    engine: Engine, site: str, first: date, last: date, period: Period
) -> list[tuple[date, date, BedMeasures]]:
    """Each period's bed measures at the site, from one fold of its beds to the range's end."""
    end = clock.midnight_after(last)
    with db.reading(engine) as conn:
        found, _, _ = site_histories(conn, site, end, beds_cleaned_after_discharge())
    days = spans(first, last, period)
    times = [(clock.start_of_day(a), clock.midnight_after(b)) for a, b in days]
    measured = bed_state.measures_by_span(found.values(), times)
    return [(a, b, m) for (a, b), m in zip(days, measured, strict=True)]


def bed_charts(
    engine: Engine,
    site: str,
    first: date,
    last: date,
    period: Period,
    width: int,
    rebase: Sequence[date],
) -> list[MeasureChart]:
    """The site's cleaning turnaround and closed bed-days by reason, as SPC charts."""
    if period is Period.RANGE:
        return []
    measured = span_measures(engine, site, first, last, period)
    reasons = sorted({r for _, _, m in measured for r in m.closed_hours})
    figures: list[tuple[str, str, Callable[[BedMeasures], float | None]]] = [
        (TURNAROUND, "Cleaning turnaround: mean hours from a bed vacated to clean", _mean_hours)
    ]
    for reason in reasons:
        figures.append(
            (
                f"{CLOSED}:{reason}",
                f"Beds closed ({reason_words(reason)}): bed-days",
                _closed(reason),
            )
        )
    charts = []
    for figure, title, value_of in figures:
        points = [(a, b, v) for a, b, m in measured if (v := value_of(m)) is not None]
        if len(points) < 2:
            continue
        chart = spc_chart(
            [a for a, _, _ in points],
            [v for _, _, v in points],
            Better.LOWER,
            None,
            [d for d in rebase if first < d <= last],
        )
        title = title + (", weekly" if period is Period.WEEKLY else "")
        links = [_link(site, figure, a, b) for a, b, _ in points]
        charts.append(
            MeasureChart(
                figure,
                "",
                title,
                Better.LOWER.value,
                chart,
                None,
                spc_spec(chart, title, width=width, links=links),
                links[-1],
            )
        )
    return charts


def _closed(reason: str) -> Callable[[BedMeasures], float | None]:
    def bed_days(found: BedMeasures) -> float | None:
        return found.closed_hours.get(reason, 0.0) / 24

    return bed_days


def _mean_hours(found: BedMeasures) -> float | None:
    return found.mean_cleaning_hours


def _link(site: str, figure: str, first: date, last: date) -> str:
    query = {
        "site": site,
        "figure": figure,
        "start": f"{first:%d/%m/%Y}",
        "end": f"{last:%d/%m/%Y}",
    }
    return "/beds/figures?" + urlencode(query)
