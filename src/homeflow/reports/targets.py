"""The targets each KPI is held to: the published national ones, and a system's own."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from homeflow.domain import codes
from homeflow.domain.errors import InvalidInput
from homeflow.reports.kpi import KPIS, kpi_named
from homeflow.reports.spc import Better

# Which published target (../shared/reference/targets.csv, shipped as package data) each KPI
# is held to. A target that is a reduction applies to the change from a baseline.
TARGET_MEASURES = {
    "delayed-bed-days": "Daily delayed bed-days (system)",
    "discharged-before-noon-pct": "Discharges before midday from base wards",
    "chc-acute-assessment-pct": "CHC assessments carried out in an acute setting",
    "chc-28-day-pct": "CHC assessments completed within 28 days of positive checklist",
    "stranded": "Stranded (7+ days) and super-stranded (21+ days) patients",
    "super-stranded": "Stranded (7+ days) and super-stranded (21+ days) patients",
}


@dataclass(frozen=True, slots=True)
class Target:
    kpi: str
    value: float
    better: Better
    on_change: bool  # a % change from the baseline, not the value itself
    source: str

    def met_by(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value <= self.value if self.better is Better.LOWER else value >= self.value


def published_targets() -> dict[str, Target]:
    """The national targets that are numbers; "locally set" ones are left to each system."""
    rows = {r["measure"]: r for r in codes.reference_rows("targets.csv")}
    found = {}
    for name, measure in TARGET_MEASURES.items():
        row = rows[measure]
        text = row["target"]
        number = re.search(r"\d+(\.\d+)?", text)
        if text.startswith("locally set") or number is None:
            continue
        reduction = "reduction" in text
        value = -float(number.group()) if reduction else float(number.group())
        found[name] = Target(name, value, Better(row["direction"]), reduction, row["source"])
    return found


def system_targets(
    overrides: Mapping[str, float], change_overrides: Mapping[str, float]
) -> dict[str, Target]:
    """The published targets with a system's own: `overrides` set a KPI's value to reach,
    `change_overrides` a % change from the baseline (negative for a reduction)."""
    found = published_targets()
    for name in {**overrides, **change_overrides}:
        kpi_named(name)
    for name, value in overrides.items():
        better = KPIS[name].better
        if better is None:
            raise InvalidInput(f"targets.{name}", "neither higher nor lower is better: no target")
        found[name] = Target(name, value, better, False, "system setting")
    for name, value in change_overrides.items():
        found[name] = Target(
            name, value, Better.LOWER if value < 0 else Better.HIGHER, True, "system setting"
        )
    return found
