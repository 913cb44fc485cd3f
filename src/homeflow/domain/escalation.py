"""When to raise the alarm: a site's pressure level, and a delayed patient's escalation flags.

Pressure levels follow the style of OPEL (1 steady to 4 extreme): each measure has three
rising thresholds, and a site is at the highest level any of its measures reaches. The
thresholds are a system's own choice, so they come from configuration with these defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from homeflow.domain.errors import InvalidInput
from homeflow.domain.spell import Action


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The values at which a measure reaches levels 2, 3 and 4: at or above each, or, for a
    measure where less is worse (`falling`, a performance against a standard), at or below."""

    level_2: float
    level_3: float
    level_4: float
    falling: bool = False

    def __post_init__(self) -> None:
        steps = (self.level_2, self.level_3, self.level_4)
        if self.falling and not steps[0] >= steps[1] >= steps[2]:
            raise InvalidInput("thresholds", "levels 2, 3 and 4 must not rise (less is worse)")
        if not self.falling and not steps[0] <= steps[1] <= steps[2]:
            raise InvalidInput("thresholds", "levels 2, 3 and 4 must not decrease")

    def level(self, value: float) -> int:
        steps = (self.level_2, self.level_3, self.level_4)
        if self.falling:
            return 1 + sum(value <= t for t in steps)
        return 1 + sum(value >= t for t in steps)


@dataclass(frozen=True, slots=True)
class EscalationRules:
    occupancy_percent: Thresholds = Thresholds(85, 92, 97)
    nctr_per_100_beds: Thresholds = Thresholds(15, 22, 30)
    # A patient delayed longer than this is flagged on the daily call.
    escalate_after_days_delayed: int = 14

    def __post_init__(self) -> None:
        if self.escalate_after_days_delayed < 0:
            raise InvalidInput("escalate_after_days_delayed", "cannot be negative")

    def pressure_level(self, beds: int, occupied: int, nctr: int) -> int:
        if beds <= 0:
            return 1
        return max(
            self.occupancy_percent.level(100 * occupied / beds),
            self.nctr_per_100_beds.level(100 * nctr / beds),
        )


def escalation_flags(
    days_delayed: int, actions: Iterable[Action], today: date, rules: EscalationRules
) -> list[str]:
    """Why this delayed patient needs escalating today, in words for the daily call."""
    flags = []
    if days_delayed > rules.escalate_after_days_delayed:
        flags.append(f"delayed over {rules.escalate_after_days_delayed} days")
    flags.extend(f"action overdue: {a.description}" for a in actions if a.is_overdue(today))
    return flags
