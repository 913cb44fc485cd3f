"""Support after discharge: taking in providers' episodes, and the outcomes measured on them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine

from homeflow.domain.after_discharge.capacity import (
    CapacityRow,
    ProviderCapacityRecorded,
    capacity_on,
)
from homeflow.domain.after_discharge.outcomes import (
    ASCOF,
    BEDDED,
    INDEPENDENT,
    PATHWAYS,
    READMITTED_30,
    WITHIN_PLAN,
    Discharge,
    OutcomeRow,
    Rate,
    bedded_placements,
    latest_versions,
    outcomes,
    weekly_rates,
)
from homeflow.domain.after_discharge.records import Referrer, SupportEpisodeRecorded
from homeflow.domain.errors import InvalidInput
from homeflow.domain.escalation import Thresholds
from homeflow.ingest.support_csv import read_capacity, read_episodes
from homeflow.reports.charts import spc_spec, spec_json
from homeflow.reports.spc import Better, SpcChart, spc_chart
from homeflow.store import db
from homeflow.store.access.caches import per_log_version
from homeflow.store.access.people import People, people, spells_by_key
from homeflow.store.access.scope import Viewer
from homeflow.store.after_discharge import (
    capacity_records,
    discharges,
    save_capacity,
    save_support,
    support_records,
    system_of_organisations,
    waiting_for_support,
)

# The county's aim (the winter diagnostic): a fifth fewer placements to bedded settings.
BEDDED_REDUCTION_AIMED_FOR = 0.20


class Level(StrEnum):
    SYSTEM = "system"
    ORG = "org"
    SITE = "site"


def take_in_episodes(engine: Engine, text: str, source: str) -> int:
    """An episodes CSV reconciled into the log; how many new versions were stored."""
    return save_support(engine, read_episodes(text), None, source)


def take_in_capacity(engine: Engine, text: str, source: str) -> int:
    """Providers' capacity returns as CSV; how many new returns were stored."""
    return save_capacity(engine, [record for _, record in read_capacity(text)], source)


@dataclass(frozen=True, slots=True)
class Measured:
    row: OutcomeRow
    target: float | None = None  # percent aimed for, where the measure has one

    def as_dict(self) -> dict[str, Any]:
        rate = self.row.rate
        return {
            "place": self.row.place,
            "measure": self.row.measure,
            "counted": len(rate.counted),
            "of": len(rate.of),
            "percent": rate.percent,
            "not_yet_due": rate.waiting,
            "target_percent": self.target,
        }


COLUMNS = ("place", "measure", "counted", "of", "percent", "not_yet_due", "target_percent")


def measured_outcomes(
    engine: Engine,
    start: date,
    end: date,
    level: Level,
    as_of: date,
    baseline: tuple[date, date] | None = None,
) -> list[Measured]:
    """Every outcome measure by place; the bedded-placement share carries its target, a fifth
    below the same share over the `baseline` period."""
    episodes = episodes_as_recorded(engine)
    # A year before the window too: an episode ending in it may follow an earlier stay.
    found = discharges_between(engine, "outcomes", start - timedelta(days=365), end)
    before = discharges_between(engine, "outcomes' baseline", *baseline) if baseline else []
    with db.reading(engine) as conn:
        system_of = system_of_organisations(conn)

    place_of = _places(level, system_of)
    rows = outcomes(found, episodes, start, end, as_of, place_of)
    baseline_rate = {
        place: bedded_placements([d for d in before if place_of(d) == place])
        for place in {row.place for row in rows}
    }
    measured = []
    for row in rows:
        target = None
        if row.measure == BEDDED and baseline:
            was = baseline_rate[row.place].percent
            target = None if was is None else round(was * (1 - BEDDED_REDUCTION_AIMED_FOR), 1)
        measured.append(Measured(row, target))
    return measured


def _places(level: Level, system_of: dict[str, str]) -> Callable[[Discharge], str]:
    """Where a discharge is counted at a level: its site, its trust or its trust's system."""

    def place_of(d: Discharge) -> str:
        if level is Level.SITE:
            return d.site_code
        if level is Level.ORG:
            return d.org_code
        return system_of.get(d.org_code, d.org_code)

    return place_of


def rate_of(measured: list[Measured], place: str, measure: str) -> Rate:
    """One measure's rate at one place (for the page that lists the people behind it)."""
    for m in measured:
        if m.row.place == place and m.row.measure == measure:
            return m.row.rate
    raise KeyError((place, measure))


def demo_support(engine: Engine, seed: int, end: date) -> int:
    """The demo's episodes after discharge, for every discharge up to `end`, and its
    providers' capacity returns; how many records were stored (none when built again)."""
    from homeflow.demo.after_discharge import capacity_returns, support_episodes

    with db.reading(engine) as conn:
        found = discharges(conn, date(2000, 1, 1), end)
    episodes = support_episodes(found, seed, end)
    stored = save_support(engine, list(enumerate(episodes, 1)), None, "demo", replay=True)
    returns = capacity_returns(episodes, seed, end)
    return stored + save_capacity(engine, returns, "demo", replay=True)


def outcome_people(
    engine: Engine,
    viewer: Viewer,
    measured: list[Measured],
    place: str,
    measure: str,
    counted: bool,
    today: date,
) -> People:
    """The people behind one figure of the outcomes: those counted, or all it is counted of."""
    rate = rate_of(measured, place, measure)
    title = f"{measure}: {'counted' if counted else 'all counted of'} – {place}"
    return listed_people(engine, viewer, rate.counted if counted else rate.of, title, today)


def listed_people(
    engine: Engine, viewer: Viewer, keys: Sequence[str], title: str, today: date
) -> People:
    """Spells, or episodes as the stays they followed (adding one for each episode)."""
    spell_of_episode = {e.episode_id: e.spell_key for e in episodes_as_recorded(engine)}
    adds: dict[str, int] = {}
    for key in keys:
        spell_key = spell_of_episode.get(key, key)
        adds[spell_key] = adds.get(spell_key, 0) + 1
    members = [(state, adds[state.spell_key]) for state in spells_by_key(engine, list(adds))]
    return people(engine, viewer, title, today, members, today)


def discharges_between(engine: Engine, use: str, start: date, end: date) -> list[Discharge]:
    """The discharges from `start` to `end` with their readmissions, read once per change to the
    log for each `use`: the outcomes page and the list behind each of its figures count the
    same discharges (reading them, with every later admission, took most of each request)."""

    def read() -> list[Discharge]:
        with db.reading(engine) as conn:
            return discharges(conn, start, end)

    return per_log_version(engine, f"discharges for {use}", (start, end), read)


def episodes_as_recorded(engine: Engine) -> list[SupportEpisodeRecorded]:
    """Every episode as last recorded, read once per change to the log (the overview shows
    them to everyone)."""

    def read() -> list[SupportEpisodeRecorded]:
        with db.reading(engine) as conn:
            return latest_versions(support_records(conn))

    return per_log_version(engine, "support episodes", None, read)


def capacity_as_recorded(engine: Engine) -> list[ProviderCapacityRecorded]:
    """Every provider's capacity return, read once per change to the log (the overview
    shows them to everyone)."""

    def read() -> list[ProviderCapacityRecorded]:
        with db.reading(engine) as conn:
            return capacity_records(conn)

    return per_log_version(engine, "capacity returns", None, read)


def community_capacity(engine: Engine, day: date, occupancy: Thresholds) -> list[CapacityRow]:
    """Community and social-care capacity on `day`: commissioned, in use, waiting."""
    with db.reading(engine) as conn:
        waiting = waiting_for_support(conn)
    records = capacity_as_recorded(engine)
    return capacity_on(day, records, episodes_as_recorded(engine), waiting, occupancy)


def capacity_people(
    engine: Engine, viewer: Viewer, kind: str, in_use: bool, day: date, occupancy: Thresholds
) -> People:
    """The people in a kind of support that day, or waiting in hospital for its pathway."""
    for row in community_capacity(engine, day, occupancy):
        if row.kind.value == kind:
            keys = row.in_use if in_use else row.waiting
            what = "in use" if in_use else f"waiting in hospital for pathway {row.kind.pathway}"
            return listed_people(engine, viewer, keys, f"{row.kind.value}: {what}", day)
    raise InvalidInput("kind", f"{kind!r} is not a kind of support shown")


@dataclass(frozen=True, slots=True)
class OutcomeChart:
    title: str
    better: str
    chart: SpcChart
    spec: dict[str, Any]

    @property
    def spec_json(self) -> str:
        return spec_json(self.spec)


CHARTED = ((ASCOF, Better.HIGHER), (BEDDED, Better.LOWER), (INDEPENDENT, Better.HIGHER), (READMITTED_30, Better.LOWER))  # fmt: skip


@dataclass(frozen=True, slots=True)
class ChartsFor:
    """Whose outcomes the weekly charts follow: the system's, a site's, a pathway's, or the
    support one source referred (`kind:value`, as in the page's address)."""

    kind: str
    value: str = ""

    @classmethod
    def parse(cls, text: str) -> ChartsFor:
        kind, _, value = (text or "system").partition(":")
        allowed = {"pathway": PATHWAYS, "referrer": tuple(r.value for r in Referrer)}
        if (kind == "system" and not value) or (kind == "site" and value.strip()):
            return cls(kind, value)
        if value in allowed.get(kind, ()):
            return cls(kind, value)
        raise InvalidInput(
            "charts",
            f"{text!r} is not system, site:CODE, pathway:P0 to P3 or referrer:"
            + "|".join(allowed["referrer"]),
        )

    @property
    def text(self) -> str:
        return f"{self.kind}:{self.value}" if self.value else self.kind

    @property
    def label(self) -> str:
        if self.kind == "referrer":
            return f"support referred by {self.value}"
        return f"{self.kind} {self.value}" if self.value else "the system"

    def measures(self) -> tuple[tuple[str, Better], ...]:
        """The measures that mean something for it (a share of bedded placements within one
        pathway would be all or nothing)."""
        if self.kind == "pathway":
            within = ((f"{WITHIN_PLAN}, pathway {self.value}", Better.HIGHER),)
            readmitted = (f"Readmitted within 30 days, pathway {self.value}", Better.LOWER)
            return (readmitted, *(within if self.value != "P0" else ()))
        if self.kind == "referrer":
            return (
                (f"{INDEPENDENT}, referred by {self.value}", Better.HIGHER),
                (f"{WITHIN_PLAN}, referred by {self.value}", Better.HIGHER),
            )
        return CHARTED


@dataclass(frozen=True, slots=True)
class WeeklyCharts:
    charts: list[OutcomeChart]
    choices: list[ChartsFor]  # the system, its sites, the pathways and the referrers


def outcome_charts(
    engine: Engine, last: date, today: date, charts_for: ChartsFor, weeks: int = 26
) -> WeeklyCharts:
    """Outcomes week by week up to the week of `last`, for the system, a site, a pathway or
    a referrer, as XmR charts whose points open to the people each counts."""
    first_monday = last - timedelta(days=last.weekday(), weeks=weeks - 1)
    found = discharges_between(engine, "outcome charts", first_monday - timedelta(days=365), last)
    with db.reading(engine) as conn:
        system_of = system_of_organisations(conn)
    sites = sorted({d.site_code for d in found})
    choices = [
        ChartsFor("system"),
        *(ChartsFor("site", s) for s in sites),
        *(ChartsFor("pathway", p) for p in PATHWAYS),
        *(ChartsFor("referrer", r.value) for r in Referrer),
    ]
    if charts_for.kind == "site" and charts_for.value not in sites:
        raise InvalidInput("charts", f"no discharges from site {charts_for.value!r}")
    if not found:
        return WeeklyCharts([], choices)
    level = Level.SITE if charts_for.kind == "site" else Level.SYSTEM
    place_of = _places(level, system_of)
    place = charts_for.value if level is Level.SITE else place_of(found[0])
    measures = charts_for.measures()
    series = weekly_rates(
        found,
        episodes_as_recorded(engine),
        first_monday,
        weeks,
        min(last, today),
        place_of,
        place,
        [m for m, _ in measures],
    )
    charts = []
    for measure, better in measures:
        points = series.get(measure, [])
        if not points:
            continue
        days = [start for start, _ in points]
        values = [rate.percent or 0.0 for _, rate in points]
        chart = spc_chart(days, values, better)
        links = [_people_link(measure, place, level, start) for start in days]
        spec = spc_spec(chart, measure, unit="%", links=links)
        charts.append(OutcomeChart(measure, better.value, chart, spec))
    return WeeklyCharts(charts, choices)


def _people_link(measure: str, place: str, level: Level, monday: date) -> str:
    query = {
        "measure": measure,
        "place": place,
        "start": f"{monday:%d/%m/%Y}",
        "end": f"{monday + timedelta(days=6):%d/%m/%Y}",
        "level": level.value,
        "which": "counted",
    }
    return "/outcomes/people?" + urlencode(query)
