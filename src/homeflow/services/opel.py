"""The integrated OPEL score of a day: each provider's parameters (computed from the census, or
as the provider entered them), its score and level, and each system's roll-up; its history
as SPC charts; values taken in from a file or a form."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine

from homeflow.config import escalation_rules, opel_settings
from homeflow.domain.opel import (
    WARD_TYPES,
    Computed,
    Entry,
    OpelParameterEntered,
    Parameter,
    ProviderScore,
    Reading,
    SystemScore,
    entries_on,
    parameters,
    provider_score,
    system_score,
)
from homeflow.ingest.opel_file import read_opel_file
from homeflow.reports.charts import spc_spec, spec_json
from homeflow.reports.spc import Better, SpcChart, spc_chart
from homeflow.store import db
from homeflow.store.access.scope import Viewer
from homeflow.store.opel import Provider, entries, providers, save_entries, ward_nights

COLUMNS = (
    "system",
    "org_code",
    "pillar",
    "what",
    "value",
    "unit",
    "points",
    "level",
    "source",
    "entered_by",
    "entered_at",
)
HISTORY_DAYS = 42  # six weeks a chart: enough points for an SPC chart's limits


def configured_parameters() -> tuple[Parameter, ...]:
    """The parameters with the thresholds and weights of the settings file (HOMEFLOW_CONFIG)."""
    return parameters(escalation_rules(), *opel_settings())


def opel_day(
    engine: Engine, day: date, chosen: Sequence[Parameter], org: str | None = None
) -> list[SystemScore]:
    """Each system's score for `day` (the midnight at its end), with every provider's; with
    `org`, only that provider's system."""
    with db.reading(engine) as conn:
        found, every = providers(conn), entries(conn)
    return _scored(engine, day, chosen, found, every, org)


def _scored(
    engine: Engine,
    day: date,
    chosen: Sequence[Parameter],
    found: Sequence[Provider],
    every: Sequence[Entry],
    org: str | None = None,
) -> list[SystemScore]:
    entered = entries_on(every, day)
    nights = ward_nights(engine, day)
    wanted = {p.system for p in found if p.code == org} if org else {p.system for p in found}
    systems: dict[str, list[ProviderScore]] = {}
    for p in (p for p in found if p.system in wanted):
        score = provider_score(p.code, p.name, p.pillar, nights.get(p.code, []), entered, chosen)
        systems.setdefault(p.system, []).append(score)
    return [system_score(system, day, scores) for system, scores in sorted(systems.items())]


def opel_rows(systems: Sequence[SystemScore], org: str | None = None) -> list[dict[str, Any]]:
    """Every parameter's reading, each provider's, pillar's and system's score, as rows; with
    `org`, that provider's rows only (one provider is not its pillar or its system)."""
    rows: list[dict[str, Any]] = []
    for found in systems:
        for pillar in found.pillars:
            for provider in pillar.providers:
                if org and provider.org_code != org:
                    continue
                rows.extend(_reading_row(found.system, provider, r) for r in provider.readings)
                rows.append(
                    _row(found.system, provider.org_code, pillar.pillar.value, "provider score",
                         provider.score, provider.points, provider.level)
                )  # fmt: skip
            if not org:
                rows.append(
                    _row(found.system, "", pillar.pillar.value, "pillar score", pillar.score,
                         None, pillar.level)
                )  # fmt: skip
        if not org:
            rows.append(_row(found.system, "", "", "system score", found.score, None, found.level))
    return rows


def _row(
    system: str,
    org: str,
    pillar: str,
    what: str,
    score: float | None,
    points: int | None,
    level: int | None,
) -> dict[str, Any]:
    return {
        "system": system,
        "org_code": org,
        "pillar": pillar,
        "what": what,
        "value": None if score is None else round(score, 1),
        "unit": "% of most",
        "points": points,
        "level": level,
        "source": "",
        "entered_by": None,
        "entered_at": None,
    }


def _reading_row(system: str, provider: ProviderScore, reading: Reading) -> dict[str, Any]:
    entry = reading.entry
    return {
        "system": system,
        "org_code": provider.org_code,
        "pillar": provider.pillar.value,
        "what": reading.parameter.code,
        "value": reading.value,
        "unit": reading.parameter.unit,
        "points": reading.points,
        "level": reading.level,
        "source": reading.parameter.source.value,
        "entered_by": (entry.recorded_by or "feed") if entry else None,
        "entered_at": entry.recorded_at.isoformat(timespec="seconds") if entry else None,
    }


def people_link(provider: ProviderScore, reading: Reading, day: date) -> str | None:
    """Where a computed figure opens to its patients: the census list of the provider's wards
    of its pillar (escalation beds are beds, not patients: they open to the beds page)."""
    computed = reading.parameter.computed
    if computed is None or computed is Computed.ESCALATION_SHARE:
        return None
    measure = "occupied" if computed is Computed.OCCUPANCY else "nctr"
    types = WARD_TYPES[provider.pillar]
    query = {"measure": measure, "day": f"{day:%d/%m/%Y}", "org": provider.org_code}
    if len(types) == 1:
        query["type"] = types[0].value
    return "/people/census?" + urlencode(query)


def take_in_opel(engine: Engine, text: str, is_json: bool, source: str) -> int:
    """A file of providers' values (CSV or JSON); how many new values were stored."""
    return save_entries(engine, read_opel_file(text, is_json), source)


def enter_opel(engine: Engine, viewer: Viewer, items: Sequence[OpelParameterEntered]) -> int:
    """Values a signed-in user entered for their own organisation, audited."""
    return save_entries(engine, items, "web", viewer)


def _has_patients(provider: ProviderScore) -> bool:
    return any(
        r.parameter.computed is Computed.OCCUPANCY and r.numerator for r in provider.readings
    )


@dataclass(frozen=True, slots=True)
class OpelChart:
    title: str
    chart: SpcChart
    spec: dict[str, Any]

    @property
    def spec_json(self) -> str:
        return spec_json(self.spec)


def opel_charts(
    engine: Engine, last: date, chosen: Sequence[Parameter], system: str | None = None
) -> list[OpelChart]:
    """The system's score and each provider's over the six weeks to `last`, as SPC charts
    (a higher score is more pressure); each point opens to its day's page."""
    days = [last - timedelta(days=n) for n in range(HISTORY_DAYS - 1, -1, -1)]
    with db.reading(engine) as conn:  # read once, not once a day
        every_provider, every_entry = providers(conn), entries(conn)
    series: dict[str, list[tuple[date, float]]] = {}
    for day in days:
        for found in _scored(engine, day, chosen, every_provider, every_entry):
            if system and found.system != system:
                continue
            # Before a provider's first patient (the record's start) there is no score to chart.
            held = [p for p in found.providers if p.score is not None and _has_patients(p)]
            if held and found.score is not None:
                series.setdefault(f"{found.system} system score", []).append((day, found.score))
            for provider in held:
                title = f"{provider.name} ({provider.org_code})"
                series.setdefault(title, []).append((day, provider.score or 0.0))
    charts = []
    for title, points in series.items():
        when = [d for d, _ in points]
        chart = spc_chart(when, [v for _, v in points], Better.LOWER)
        links = [f"/opel?day={d:%d/%m/%Y}" for d in when]
        charts.append(OpelChart(title, chart, spc_spec(chart, title, unit="%", links=links)))
    return charts


def demo_opel(engine: Engine, seed: int, first: date, last: date) -> int:
    """The demo's providers' entered parameters for every day it covers; how many were stored
    (none when built again)."""
    from homeflow.demo.opel import entered_values

    return save_entries(engine, entered_values(seed, first, last), "demo")
