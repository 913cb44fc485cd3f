"""The integrated OPEL score as a spec case's figures, under the day (YYYY-MM-DD), on the
default thresholds (docs/opel.md): "ORG|PARAMETER" a parameter's value and "ORG|PARAMETER|points"
its points; "ORG|score", "ORG|points" and "ORG|level" a provider's; "SYSTEM|PILLAR|score" and
"|level" a pillar's; "SYSTEM|score" and "SYSTEM|level" the system's. Scores are percentages to
one decimal place. A name homeflow does not give fails rather than reading as zero."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from homeflow.domain.escalation import EscalationRules
from homeflow.domain.opel import parameters
from homeflow.services.opel import opel_day


def _pct(score: float | None) -> float | None:
    return None if score is None else round(score, 1)


def read(engine: Engine, day: str, wanted: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for system in opel_day(engine, date.fromisoformat(day), parameters(EscalationRules())):
        found[f"{system.system}|score"] = _pct(system.score)
        found[f"{system.system}|level"] = system.level
        for pillar in system.pillars:
            found[f"{system.system}|{pillar.pillar.value}|score"] = _pct(pillar.score)
            found[f"{system.system}|{pillar.pillar.value}|level"] = pillar.level
        for provider in system.providers:
            org = provider.org_code
            found |= {f"{org}|score": _pct(provider.score), f"{org}|level": provider.level}
            found[f"{org}|points"] = provider.points
            for r in provider.readings:
                found[f"{org}|{r.parameter.code}"] = r.value
                found[f"{org}|{r.parameter.code}|points"] = r.points
    unknown = set(wanted) - set(found)
    assert not unknown, f"the OPEL score has no figure {sorted(unknown)}"
    return {name: found[name] for name in wanted}
