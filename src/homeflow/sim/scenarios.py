"""Scenarios: what-if changes to a model (demand, lengths of stay, pathway mix, capacity, waits
from a date), and a model's arrivals replaced by forecasts."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from homeflow.domain.errors import InvalidInput
from homeflow.domain.toml_text import read_toml
from homeflow.sim.model import (
    PATHWAYS,
    CapacityChange,
    Model,
    Pathway,
    Service,
    WaitChange,
    checked_model,
    checked_wait_changes,
    read_capacity_change,
    read_mix,
    read_pathway,
    read_service,
    read_wait_change,
)
from homeflow.sim.readers import one_of, read_list, read_number, read_table


@dataclass(frozen=True, slots=True)
class Scenario:
    """Changes to a model: demand, capacity, length of stay, pathway mix, routes, new services,
    and waits to leave changed from a date (a planned change in practice)."""

    name: str
    demand: float = 1.0
    demand_by_service: dict[str, float] = field(default_factory=dict)
    capacity: tuple[tuple[str, CapacityChange], ...] = ()
    length_of_stay: dict[str, float] = field(default_factory=dict)
    pathway_mix: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    # Pathways sent elsewhere: service, pathway, and where to (one service, or several in shares).
    routes: dict[str, dict[str, Pathway]] = field(default_factory=dict)
    new_services: tuple[Service, ...] = ()
    wait_changes: tuple[tuple[str, WaitChange], ...] = ()


BASELINE = Scenario("Baseline")


def parse_scenario(text: str, where: str = "scenario") -> Scenario:
    data = read_toml(text, where)
    by_service = read_table("demand_by_service", data.get("demand_by_service", {}))
    return Scenario(
        name=str(data.get("name", where)),
        demand=read_number("demand", data.get("demand", 1.0), 0.0),
        demand_by_service={
            k: read_number(f"demand_by_service.{k}", v, 0.0) for k, v in by_service.items()
        },
        capacity=tuple(
            (
                str(c.get("service")) if isinstance(c, dict) else "",
                read_capacity_change(f"capacity[{i}]", c),
            )
            for i, c in enumerate(read_list("capacity", data.get("capacity", [])))
        ),
        length_of_stay={
            k: read_number(f"length_of_stay.{k}", v, 0.0, strict=True)
            for k, v in read_table("length_of_stay", data.get("length_of_stay", {})).items()
        },
        pathway_mix={
            k: read_mix(f"pathway_mix.{k}", v)
            for k, v in read_table("pathway_mix", data.get("pathway_mix", {})).items()
        },
        routes={
            service: {
                one_of(f"route.{service}", p, PATHWAYS): read_pathway(
                    f"route.{service}.{p}", to, None
                )
                for p, to in read_table(f"route.{service}", table).items()
            }
            for service, table in read_table("route", data.get("route", {})).items()
        },
        new_services=tuple(
            read_service(f"service[{i}]", s)
            for i, s in enumerate(read_list("service", data.get("service", [])))
        ),
        wait_changes=tuple(
            _wait_change(f"wait_change[{i}]", c)
            for i, c in enumerate(read_list("wait_change", data.get("wait_change", [])))
        ),
    )


def _wait_change(where: str, table: Any) -> tuple[str, WaitChange]:
    """A scenario's [[wait_change]]: the service it changes, and the change."""
    if not isinstance(table, dict) or not isinstance(table.get("service"), str):
        raise InvalidInput(f"{where}.service", "must name the service whose waits change")
    rest = {k: v for k, v in table.items() if k != "service"}
    return table["service"], read_wait_change(where, rest)


def with_scenario(model: Model, scenario: Scenario) -> Model:
    """The model as the scenario changes it; names it mentions must exist."""
    services = [*model.services, *scenario.new_services]
    names = {s.name for s in services}
    mentioned = [
        *scenario.demand_by_service,
        *(name for name, _ in scenario.capacity),
        *scenario.length_of_stay,
        *scenario.pathway_mix,
        *scenario.routes,
        *(name for name, _ in scenario.wait_changes),
    ]
    for name in mentioned:
        if name not in names:
            raise InvalidInput(f"scenario {scenario.name!r}", f"no service is named {name!r}")
    changed = []
    for s in services:
        if s.arrivals is not None:
            factor = scenario.demand * scenario.demand_by_service.get(s.name, 1.0)
            s = replace(
                s,
                arrivals=replace(
                    s.arrivals,
                    per_day=s.arrivals.per_day * factor,
                    dated=tuple((d, r * factor) for d, r in s.arrivals.dated),
                ),
            )
        extra = tuple(c for name, c in scenario.capacity if name == s.name)
        if extra:
            s = replace(s, capacity_changes=s.capacity_changes + extra)
        if s.name in scenario.length_of_stay and s.length_of_stay is not None:
            s = replace(s, length_of_stay=s.length_of_stay.scaled(scenario.length_of_stay[s.name]))
        if s.name in scenario.pathway_mix:
            s = replace(s, pathway_mix=scenario.pathway_mix[s.name])
        if s.name in scenario.routes:
            pathways = dict(s.pathways)
            for p, route in scenario.routes[s.name].items():
                wait = pathways[p].wait if p in pathways else None
                pathways[p] = replace(route, wait=wait)
            s = replace(s, pathways=pathways)
        waits = tuple(c for name, c in scenario.wait_changes if name == s.name)
        if waits:
            s = replace(s, wait_changes=s.wait_changes + waits)
            s = checked_wait_changes(f"scenario {scenario.name!r}.wait_change", s)
        changed.append(s)
    return checked_model(replace(model, services=tuple(changed)))


def with_forecasts(model: Model, read_text: Callable[[str], str]) -> Model:
    """Arrivals that name a forecast file (`homeflow forecast` output: series_id, date, mean,
    ...) take its daily means on the days it covers; `read_text` reads a file by name."""
    services = []
    for s in model.services:
        a = s.arrivals
        if a is None or a.forecast_file is None:
            services.append(s)
            continue
        where = f"service {s.name!r}.arrivals.forecast"
        try:
            rows = list(csv.DictReader(io.StringIO(read_text(a.forecast_file))))
        except OSError as error:
            raise InvalidInput(
                f"{where}.file", f"cannot read {a.forecast_file}: {error.strerror}"
            ) from None
        dated = []
        for number, row in enumerate(rows, start=2):
            if row.get("series_id") != a.forecast_series:
                continue
            try:
                dated.append((date.fromisoformat(row["date"]), float(row["mean"])))
            except (KeyError, TypeError, ValueError):
                raise InvalidInput(
                    f"{where}.file", f"line {number} of {a.forecast_file} needs a date and a mean"
                ) from None
        if not dated:
            raise InvalidInput(
                f"{where}.series", f"{a.forecast_series!r} is not in {a.forecast_file}"
            )
        if any(rate < 0 for _, rate in dated):
            raise InvalidInput(f"{where}.file", "a forecast mean is negative")
        services.append(replace(s, arrivals=replace(a, dated=tuple(dated))))
    return replace(model, services=tuple(services))
