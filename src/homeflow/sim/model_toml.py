"""A capacity model written as the editable TOML file `sim/model.parse_model` reads back."""

from __future__ import annotations

from typing import Any

import tomlkit

from homeflow.sim.model import PATHWAYS, WEEKDAY_SHARES, Model, Service


def model_to_toml(model: Model, notes: dict[str, list[str]] | None = None) -> str:
    """The model as an editable TOML file; `notes` are comments put above each service."""
    notes = notes or {}
    doc = tomlkit.document()
    for line in notes.get("", []):
        doc.add(tomlkit.comment(line))
    doc.add("name", model.name)
    doc.add("start", model.start)
    doc.add("warmup_days", model.warmup_days)
    services = tomlkit.aot()
    for s in model.services:
        table = tomlkit.table()
        for line in notes.get(s.name, []):
            table.add(tomlkit.comment(line))
        table.add("name", s.name)
        table.add("unit", s.unit)
        if s.sites:
            table.add("sites", list(s.sites))
        if s.capacity is not None:
            table.add("capacity", round(s.capacity, 2))
        table.add("when_full", s.when_full)
        table.add("transfers", s.transfers)
        if s.occupied_at_start:
            table.add("occupied_at_start", s.occupied_at_start)
        if s.arrivals is not None:
            arrivals: dict[str, Any] = {
                "per_day": round(s.arrivals.per_day, 3),
                "weekday": [round(f, 3) for f in s.arrivals.weekday],
                "month": [round(f, 3) for f in s.arrivals.month],
            }
            if s.arrivals.forecast_file:
                arrivals["forecast"] = {
                    "file": s.arrivals.forecast_file,
                    "series": s.arrivals.forecast_series,
                }
            table.add("arrivals", arrivals)
        if s.length_of_stay is not None:
            table.add("length_of_stay", s.length_of_stay.to_toml())
        if s.nctr_probability or min(s.ready_weekday) < 1 or s.wait_spread:
            table.add("discharge", _discharge(s))
        if s.pathways:
            pathways = tomlkit.table()
            for name, p in s.pathways.items():
                entry = tomlkit.table()
                if len(p.destinations) > 1:
                    entry.add("to", {to: round(share, 4) for to, share in p.destinations})
                elif p.destinations:
                    entry.add("to", p.destinations[0][0])
                if p.wait is not None:
                    entry.add("wait", p.wait.to_toml())
                pathways.add(name, entry)
            table.add("pathway", pathways)
        costs = {
            "per_occupied_day": s.cost_per_occupied_day,
            "per_capacity_day": s.cost_per_capacity_day,
            "per_start": s.cost_per_start,
        }
        table.add("cost", {k: v for k, v in costs.items() if v})
        for change in s.capacity_changes:
            dated: dict[str, Any] = {"from": change.start}
            if change.end:
                dated["to"] = change.end
            if change.set_to is not None:
                dated["set"] = change.set_to
            elif change.factor is not None:
                dated["factor"] = change.factor
            else:
                dated["change"] = change.change
            table.setdefault("capacity_change", tomlkit.aot()).append(dated)
        for wait in s.wait_changes:
            planned: dict[str, Any] = {"pathway": wait.pathway, "from": wait.start}
            if wait.end:
                planned["to"] = wait.end
            planned["factor"] = wait.factor
            table.setdefault("wait_change", tomlkit.aot()).append(planned)
        services.append(table)
    doc.add("service", services)
    return tomlkit.dumps(doc)


def _discharge(s: Service) -> dict[str, Any]:
    """A service's [service.discharge] table: what happens when its patients are ready."""
    discharge: dict[str, Any] = {
        "nctr_probability": round(s.nctr_probability, 4),
        "pathway_mix": {
            p: round(share, 4) for p, share in zip(PATHWAYS, s.pathway_mix, strict=True)
        },
    }
    for name in WEEKDAY_SHARES:
        if min(getattr(s, name)) < 1:
            discharge[name] = [round(f, 3) for f in getattr(s, name)]
    if s.wait_spread:
        discharge["wait_spread"] = round(s.wait_spread, 3)
    return discharge
