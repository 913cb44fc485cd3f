"""The capacity model as plain values, read from and written to TOML (scenarios: sim/scenarios).

A model is a network of services. Patients arrive at a service from outside (a Poisson process
with weekday and monthly factors, or dated rates from a forecast), stay for a length of stay,
and on leaving either go (most) or, with the service's NCTR probability, need a discharge pathway
(P0-P3). A pathway may first take an assessment wait, then needs a place in its downstream
service; until one is free the patient keeps their bed. docs/simulation.md documents the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput
from homeflow.domain.toml_text import read_toml
from homeflow.sim.readers import (
    one_of,
    read_date,
    read_dates,
    read_factors,
    read_list,
    read_number,
    read_shares,
    read_table,
)

PATHWAYS = ("P0", "P1", "P2", "P3")
# The wards and services a model calibrated from the record has (`sim.calibrate`), named here
# so that what reads a model need not load the calibration's libraries.
ACUTE_WARDS = ("acute", "mental-health")
STEP_DOWN_WARDS = ("community", "discharge-to-assess")
P1_SERVICE = "P1 home-based care"
P2_SERVICE = "P2 community beds"
P3_SERVICE = "P3 care home placements"
MAX_WARMUP_DAYS = 3650  # ten years settles any model; more only overflows the calendar
UNITS = ("beds", "packages", "placements")
WHEN_FULL = ("queue", "turn_away")
TRANSFERS = ("all", "weekdays")
MAX_WAIT_SPREAD = 2.0  # waits' level twice as likely to double as to stay: beyond any service
MAX_DESTINATIONS = 4  # services a pathway may share its patients among (the engine's arrays)

# Each family's parameters, in the order the engine takes them (a, b).
FAMILIES: dict[str, tuple[str, ...]] = {
    "exponential": ("mean",),
    "lognormal": ("meanlog", "sdlog"),
    "gamma": ("shape", "scale"),
    "weibull": ("shape", "scale"),
    "empirical": ("values",),
    "fixed": ("value",),
}


@dataclass(frozen=True, slots=True)
class Distribution:
    """A length of stay or wait in days."""

    family: str
    a: float = 0.0
    b: float = 0.0
    values: tuple[float, ...] = ()

    def mean(self) -> float:
        match self.family:
            case "exponential" | "fixed":
                return self.a
            case "lognormal":
                return math.exp(self.a + self.b**2 / 2)
            case "gamma":
                return self.a * self.b
            case "weibull":
                return self.b * math.gamma(1 + 1 / self.a)
        return sum(self.values) / len(self.values)

    def scaled(self, factor: float) -> Distribution:
        """The same shape, every duration multiplied by `factor`."""
        match self.family:
            case "exponential" | "fixed":
                return replace(self, a=self.a * factor)
            case "lognormal":
                return replace(self, a=self.a + math.log(factor))
            case "gamma" | "weibull":
                return replace(self, b=self.b * factor)
        return replace(self, values=tuple(v * factor for v in self.values))

    def to_toml(self) -> dict[str, Any]:
        names = FAMILIES[self.family]
        if self.family == "empirical":
            return {"family": self.family, "values": [round(v, 3) for v in self.values]}
        params = (self.a, self.b)[: len(names)]
        return {"family": self.family} | {
            n: round(v, 4) for n, v in zip(names, params, strict=True)
        }

    @classmethod
    def from_toml(cls, where: str, table: Any) -> Distribution:
        if not isinstance(table, dict):
            raise InvalidInput(where, "must be a table with a family and its parameters")
        family = table.get("family")
        if family not in FAMILIES:
            raise InvalidInput(f"{where}.family", f"must be one of {', '.join(FAMILIES)}")
        names = FAMILIES[family]
        unknown = set(table) - {"family", *names}
        if unknown:
            raise InvalidInput(where, f"{family} takes {', '.join(names)}, not {min(unknown)}")
        if family == "empirical":
            values = table.get("values")
            if not isinstance(values, list) or not values:
                raise InvalidInput(f"{where}.values", "must be a list of durations in days")
            return cls(family, values=tuple(read_number(f"{where}.values", v, 0.0) for v in values))
        params = []
        for name in names:
            if name not in table:
                raise InvalidInput(f"{where}.{name}", f"is required for {family}")
            low = -math.inf if name == "meanlog" else 0.0
            params.append(read_number(f"{where}.{name}", table[name], low, strict=name != "value"))
        return cls(family, params[0], params[1] if len(params) > 1 else 0.0)


@dataclass(frozen=True, slots=True)
class Arrivals:
    """Patients arriving from outside the system a day."""

    per_day: float
    weekday: tuple[float, ...] = (1.0,) * 7  # Monday first
    month: tuple[float, ...] = (1.0,) * 12  # January first
    dated: tuple[tuple[date, float], ...] = ()  # a forecast's daily means, used on their dates
    forecast_file: str | None = None  # `homeflow forecast` output the dated means come from
    forecast_series: str | None = None

    def rate_on(self, day: date) -> float:
        for when, rate in self.dated:
            if when == day:
                return rate
        return self.per_day * self.weekday[day.weekday()] * self.month[day.month - 1]


@dataclass(frozen=True, slots=True)
class Pathway:
    """Where patients on a pathway go next, and how long they wait before they can: each
    service the pathway leads to with its share of the patients (none: they leave after the
    wait; several: a patient's service is drawn when their wait ends)."""

    destinations: tuple[tuple[str, float], ...]
    wait: Distribution | None = None


def only_to(service: str | None) -> tuple[tuple[str, float], ...]:
    """A pathway's destinations when it leads to one service, or to none."""
    return () if service is None else ((service, 1.0),)


def in_force(day: date, start: date, end: date | None) -> bool:
    """Whether a dated change (from `start`, to `end` inclusive if it ends) holds on `day`."""
    return start <= day and (end is None or day <= end)


@dataclass(frozen=True, slots=True)
class CapacityChange:
    """From `start` to `end` (inclusive; open-ended if None) capacity is set or changed."""

    start: date
    end: date | None
    change: float | None = None
    set_to: float | None = None
    factor: float | None = None

    def applied(self, day: date, capacity: float) -> float:
        if not in_force(day, self.start, self.end):
            return capacity
        if self.set_to is not None:
            return self.set_to
        if self.factor is not None:
            return capacity * self.factor
        return capacity + (self.change or 0.0)


@dataclass(frozen=True, slots=True)
class WaitChange:
    """From `start` to `end` (inclusive; open-ended if None) the waits to leave on `pathway`
    that begin on those days are multiplied by `factor`: a planned change, such as a discharge
    team that takes pathway 1 patients home the day they are ready. A run from the census
    draws the rest of each waiting patient's wait on its first day, so a change in force then
    shortens theirs too; one that starts later leaves those already waiting as they were."""

    pathway: str
    start: date
    end: date | None
    factor: float

    def factor_on(self, day: date) -> float:
        return self.factor if in_force(day, self.start, self.end) else 1.0


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    unit: str = "beds"
    sites: tuple[str, ...] = ()  # the sites whose patients a census puts here
    capacity: float | None = None  # beds or packages; placements a week; None: unlimited
    when_full: str = "queue"
    transfers: str = "all"
    arrivals: Arrivals | None = None
    length_of_stay: Distribution | None = None
    nctr_probability: float = 0.0
    pathway_mix: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)
    pathways: dict[str, Pathway] = field(default_factory=dict)
    # Of the patients due to leave a bed they no longer need on each weekday (Monday first),
    # the share who do; the rest are kept to the next day (fewer leave at the weekend).
    leaving_weekday: tuple[float, ...] = (1.0,) * 7
    # Of the patients whose stay ends on each weekday, the share found ready that day (a
    # senior review finds them); the rest are found a day later.
    ready_weekday: tuple[float, ...] = (1.0,) * 7
    # How far the level of the waits to leave moves from one four weeks to the next (the
    # coefficient of variation): each replication's waits are scaled by a draw of it, so the
    # bands hold the months that ran above or below the last ones, not the days alone.
    wait_spread: float = 0.0
    capacity_changes: tuple[CapacityChange, ...] = ()
    wait_changes: tuple[WaitChange, ...] = ()
    occupied_at_start: int = 0  # used by a census start when the census has no one here
    cost_per_occupied_day: float = 0.0
    cost_per_capacity_day: float = 0.0
    cost_per_start: float = 0.0

    def capacity_on(self, day: date) -> float | None:
        if self.capacity is None:
            return None
        capacity = self.capacity
        for change in self.capacity_changes:
            capacity = change.applied(day, capacity)
        return max(capacity, 0.0)

    def wait_factor_on(self, pathway: str, day: date) -> float:
        """What the planned changes multiply the waits to leave on `pathway` by, that day."""
        factor = 1.0
        for change in self.wait_changes:
            if change.pathway == pathway:
                factor *= change.factor_on(day)
        return factor


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    start: date
    services: tuple[Service, ...]
    warmup_days: int = 120

    def service(self, name: str) -> Service:
        for s in self.services:
            if s.name == name:
                return s
        raise InvalidInput("service", f"no service is named {name!r}")


def read_mix(where: str, table: Any) -> tuple[float, float, float, float]:
    if not isinstance(table, dict) or set(table) - set(PATHWAYS):
        raise InvalidInput(where, f"must give shares for {', '.join(PATHWAYS)}")
    shares = dict(read_shares(where, table))
    return tuple(shares.get(p, 0.0) for p in PATHWAYS)  # type: ignore[return-value]


def read_capacity_change(where: str, table: Any) -> CapacityChange:
    if not isinstance(table, dict) or "from" not in table:
        raise InvalidInput(where, "must be a table with from, and set, change or factor")
    how = [k for k in ("set", "change", "factor") if k in table]
    if len(how) != 1:
        raise InvalidInput(where, "needs exactly one of set, change or factor")
    start, end = read_dates(where, table)
    value = table[how[0]]
    return CapacityChange(
        start,
        end,
        change=read_number(f"{where}.change", value, -math.inf) if how[0] == "change" else None,
        set_to=read_number(f"{where}.set", value, 0.0) if how[0] == "set" else None,
        factor=read_number(f"{where}.factor", value, 0.0) if how[0] == "factor" else None,
    )


def read_wait_change(where: str, table: Any) -> WaitChange:
    if not isinstance(table, dict) or not {"pathway", "from", "factor"} <= set(table):
        raise InvalidInput(where, "must be a table with pathway, from and factor (and maybe to)")
    unknown = set(table) - {"pathway", "from", "to", "factor"}
    if unknown:
        raise InvalidInput(where, f"takes pathway, from, to and factor, not {min(unknown)}")
    start, end = read_dates(where, table)
    return WaitChange(
        one_of(f"{where}.pathway", table["pathway"], PATHWAYS),
        start,
        end,
        read_number(f"{where}.factor", table["factor"], 0.0),
    )


def checked_wait_changes(where: str, service: Service) -> Service:
    """`service` if each of its wait changes names a pathway it has a wait on (else the change
    would change nothing)."""
    for change in service.wait_changes:
        pathway = service.pathways.get(change.pathway)
        if pathway is None or pathway.wait is None:
            raise InvalidInput(
                f"{where}.pathway",
                f"service {service.name!r} has no wait on {change.pathway} to change",
            )
    return service


def _arrivals(where: str, a: Any) -> Arrivals:
    if not isinstance(a, dict) or "per_day" not in a:
        raise InvalidInput(f"{where}.arrivals.per_day", "is required")
    forecast = a.get("forecast", {})
    if not isinstance(forecast, dict) or (
        forecast and not all(isinstance(forecast.get(k), str) for k in ("file", "series"))
    ):
        raise InvalidInput(f"{where}.arrivals.forecast", "needs a file and a series name")
    return Arrivals(
        read_number(f"{where}.arrivals.per_day", a["per_day"], 0.0),
        read_factors(f"{where}.arrivals.weekday", a.get("weekday", [1.0] * 7), 7),
        read_factors(f"{where}.arrivals.month", a.get("month", [1.0] * 12), 12),
        forecast_file=forecast.get("file"),
        forecast_series=forecast.get("series"),
    )


WEEKDAY_SHARES = ("leaving_weekday", "ready_weekday")


def _weekday_shares(where: str, discharge: dict[str, Any], name: str) -> tuple[float, ...]:
    """A share a weekday (Monday first), each at most 1 and one of them more than 0."""
    shares = read_factors(f"{where}.discharge.{name}", discharge.get(name, [1.0] * 7), 7)
    if max(shares) > 1 or max(shares) == 0:
        raise InvalidInput(
            f"{where}.discharge.{name}", "shares must be at most 1, and one more than 0"
        )
    return shares


def read_pathway(where: str, to: Any, wait: Distribution | None) -> Pathway:
    """A pathway to `to` after `wait`: `to` (the field `where`) names a service, or is a table
    of services and the share of patients each takes."""
    if isinstance(to, dict):
        shares = read_shares(where, to)
        if len(shares) > MAX_DESTINATIONS:
            raise InvalidInput(
                where, f"may share patients among {MAX_DESTINATIONS} services at most"
            )
        return Pathway(shares, wait)
    if to is not None and not isinstance(to, str):
        raise InvalidInput(where, "must name a service, or give services and shares")
    return Pathway(only_to(to), wait)


def read_service(where: str, table: Any) -> Service:
    if not isinstance(table, dict) or not isinstance(table.get("name"), str):
        raise InvalidInput(f"{where}.name", "every service needs a name")
    where = f"service {table['name']!r}"
    unit = one_of(f"{where}.unit", table.get("unit", "beds"), UNITS)
    capacity = table.get("capacity")
    if capacity is not None:
        capacity = read_number(f"{where}.capacity", capacity, 0.0)
    elif unit == "placements":
        raise InvalidInput(f"{where}.capacity", "placements need a number a week")
    arrivals = _arrivals(where, table["arrivals"]) if "arrivals" in table else None
    los = None
    if unit != "placements":
        if "length_of_stay" not in table:
            raise InvalidInput(f"{where}.length_of_stay", "is required for beds and packages")
        los = Distribution.from_toml(f"{where}.length_of_stay", table["length_of_stay"])
    discharge = read_table(f"{where}.discharge", table.get("discharge", {}))
    nctr = read_number(
        f"{where}.discharge.nctr_probability", discharge.get("nctr_probability", 0), 0
    )
    if nctr > 1:
        raise InvalidInput(f"{where}.discharge.nctr_probability", "must be at most 1")
    mix = read_mix(f"{where}.discharge.pathway_mix", discharge.get("pathway_mix", {"P0": 1.0}))
    leaving, ready = (_weekday_shares(where, discharge, name) for name in WEEKDAY_SHARES)
    spread = read_number(f"{where}.discharge.wait_spread", discharge.get("wait_spread", 0), 0)
    if spread > MAX_WAIT_SPREAD:
        raise InvalidInput(f"{where}.discharge.wait_spread", f"must be at most {MAX_WAIT_SPREAD}")
    pathways = {}
    for name, p in read_table(f"{where}.pathway", table.get("pathway", {})).items():
        one_of(f"{where}.pathway", name, PATHWAYS)
        if not isinstance(p, dict):
            raise InvalidInput(f"{where}.pathway.{name}", "must be a table")
        wait = (
            Distribution.from_toml(f"{where}.pathway.{name}.wait", p["wait"])
            if "wait" in p
            else None
        )
        pathways[name] = read_pathway(f"{where}.pathway.{name}.to", p.get("to"), wait)
    costs = read_table(f"{where}.cost", table.get("cost", {}))
    wait_changes = read_list(f"{where}.wait_change", table.get("wait_change", []))
    service = Service(
        name=table["name"],
        unit=unit,
        sites=tuple(str(c) for c in read_list(f"{where}.sites", table.get("sites", []))),
        capacity=capacity,
        when_full=one_of(f"{where}.when_full", table.get("when_full", "queue"), WHEN_FULL),
        transfers=one_of(f"{where}.transfers", table.get("transfers", "all"), TRANSFERS),
        arrivals=arrivals,
        length_of_stay=los,
        nctr_probability=nctr,
        pathway_mix=mix,
        pathways=pathways,
        leaving_weekday=leaving,
        ready_weekday=ready,
        wait_spread=spread,
        capacity_changes=tuple(
            read_capacity_change(f"{where}.capacity_change[{i}]", c)
            for i, c in enumerate(
                read_list(f"{where}.capacity_change", table.get("capacity_change", []))
            )
        ),
        occupied_at_start=int(
            read_number(f"{where}.occupied_at_start", table.get("occupied_at_start", 0), 0.0)
        ),
        cost_per_occupied_day=read_number(
            f"{where}.cost.per_occupied_day", costs.get("per_occupied_day", 0), 0
        ),
        cost_per_capacity_day=read_number(
            f"{where}.cost.per_capacity_day", costs.get("per_capacity_day", 0), 0
        ),
        cost_per_start=read_number(f"{where}.cost.per_start", costs.get("per_start", 0), 0),
        wait_changes=tuple(
            read_wait_change(f"{where}.wait_change[{i}]", c) for i, c in enumerate(wait_changes)
        ),
    )
    return checked_wait_changes(f"{where}.wait_change", service)


def checked_model(model: Model) -> Model:
    names = [s.name for s in model.services]
    for name in names:
        if names.count(name) > 1:
            raise InvalidInput("service.name", f"{name!r} is used twice")
    for s in model.services:
        for pathway, p in s.pathways.items():
            for to, _ in p.destinations:
                if to not in names:
                    raise InvalidInput(
                        f"service {s.name!r}.pathway.{pathway}.to", f"no service is named {to!r}"
                    )
    if not model.services:
        raise InvalidInput("service", "a model needs at least one service")
    return model


def parse_model(text: str, where: str = "model") -> Model:
    data = read_toml(text, where)
    services = data.get("service")
    if not isinstance(services, list):
        raise InvalidInput("service", "a model needs [[service]] tables")
    return checked_model(
        Model(
            name=str(data.get("name", "model")),
            start=read_date("start", data.get("start", clock.today())),
            services=tuple(read_service(f"service[{i}]", s) for i, s in enumerate(services)),
            warmup_days=_warmup_days(data.get("warmup_days", 120)),
        )
    )


def _warmup_days(value: Any) -> int:
    days = int(read_number("warmup_days", value, 0.0))
    if days > MAX_WARMUP_DAYS:
        raise InvalidInput("warmup_days", f"must be at most {MAX_WARMUP_DAYS:,} days")
    return days
