"""A site's waits for a bed as SPC charts on the Measures page, day by day or week by week:
the mean and 90th centile hours from decision to admit to bed, the patients who waited over 12
hours, and those placed outlying (on a ward of another specialty than the one they needed).
Each point counts the requests placed in its period and opens to them (`/coordination/placed`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from urllib.parse import urlencode

from sqlalchemy import Engine

from homeflow.domain import bed_requests as br
from homeflow.domain import clock
from homeflow.reports.charts import spc_spec
from homeflow.reports.kpi import Period
from homeflow.reports.spc import Better, spc_chart
from homeflow.services.bed_measures import spans
from homeflow.services.measures import MeasureChart
from homeflow.store import db
from homeflow.store.bed_requests import site_requests, ward_specialties

MEAN, CENTILE, OVER_12, OUTLIERS = "mean", "centile", "over-12-hours", "outliers"
TITLES = {
    MEAN: "Decision to admit to bed: mean hours",
    CENTILE: "Decision to admit to bed: 90th centile hours",
    OVER_12: "Patients waiting over 12 hours from decision to admit to bed",
    OUTLIERS: "Patients placed outlying (a ward of another specialty)",
}


def placed_between(
    engine: Engine, site: str, first: date, last: date
) -> tuple[list[br.BedRequest], dict[str, str]]:
    """The requests on the site placed from the start of `first` to the end of `last`, and
    the site's wards' specialties."""
    start, end = clock.start_of_day(first), clock.midnight_after(last)
    with db.reading(engine) as conn:
        found = site_requests(conn, site)
        specialty_of = ward_specialties(conn, site)
    placed = [r for r in found if r.placed is not None and start <= r.placed.at < end]
    return placed, specialty_of


def outlying(request: br.BedRequest, specialty_of: dict[str, str]) -> bool:
    assert request.placed is not None
    ward = specialty_of.get(request.placed.ward_code)
    return ward is not None and ward != request.request.specialty


def members(
    placed: list[br.BedRequest], specialty_of: dict[str, str], figure: str
) -> list[br.BedRequest]:
    """The requests a point counts: every placed one for the mean and the centile."""
    if figure == OVER_12:
        return list(br.waits(placed).over_twelve_hours)
    if figure == OUTLIERS:
        return [r for r in placed if outlying(r, specialty_of)]
    return placed


def _values(figure: str) -> Callable[[list[br.BedRequest], dict[str, str]], float | None]:
    def value(placed: list[br.BedRequest], specialty_of: dict[str, str]) -> float | None:
        if figure == MEAN:
            return br.waits(placed).mean_hours
        if figure == CENTILE:
            return br.waits(placed).ninetieth_centile_hours
        return float(len(members(placed, specialty_of, figure)))

    return value


def request_charts(
    engine: Engine,
    site: str,
    first: date,
    last: date,
    period: Period,
    width: int,
    rebase: Sequence[date],
) -> list[MeasureChart]:
    if period is Period.RANGE:
        return []
    placed, specialty_of = placed_between(engine, site, first, last)
    by_span = []
    for a, b in spans(first, last, period):
        start, end = clock.start_of_day(a), clock.midnight_after(b)
        among = [r for r in placed if r.placed is not None and start <= r.placed.at < end]
        by_span.append((a, b, among))
    charts = []
    for figure, title in TITLES.items():
        value_of = _values(figure)
        points = [
            (a, b, v) for a, b, among in by_span if (v := value_of(among, specialty_of)) is not None
        ]
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
        spec = spc_spec(chart, title, width=width, links=links)
        charts.append(
            MeasureChart(figure, "", title, Better.LOWER.value, chart, None, spec, links[-1])
        )
    return charts


def _link(site: str, figure: str, first: date, last: date) -> str:
    query = {
        "site": site,
        "figure": figure,
        "start": f"{first:%d/%m/%Y}",
        "end": f"{last:%d/%m/%Y}",
    }
    return "/coordination/placed?" + urlencode(query)
