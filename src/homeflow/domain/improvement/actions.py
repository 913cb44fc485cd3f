"""The actions tracker: every open action of the improvement programme and the daily call,
with what is overdue and what falls due soon, by owner and by organisation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from homeflow.domain.events import ActionStatus, Event
from homeflow.domain.improvement.records import ImprovementActionRecorded

DUE_SOON_DAYS = 14


@dataclass(frozen=True, slots=True)
class TrackedAction:
    source: str  # "improvement" or "daily call"
    action_id: str
    description: str
    owner: str
    owner_org: str
    due_date: date | None
    status: ActionStatus
    link: str  # where the action is kept
    recorded_at: datetime | None = None
    recorded_by: str | None = None
    system: str | None = None  # an improvement action's system; a daily-call action has none


def fold_actions(events: Iterable[Event]) -> dict[tuple[str, str], ImprovementActionRecorded]:
    """Each improvement action's latest version, by (system, action id)."""
    found: dict[tuple[str, str], ImprovementActionRecorded] = {}
    for event in sorted(events, key=lambda e: e.fold_order):
        action = event.payload
        if isinstance(action, ImprovementActionRecorded):
            found[(action.system, action.action_id)] = action
    return found


@dataclass(frozen=True, slots=True)
class DueLists:
    overdue: list[TrackedAction]
    due_soon: list[TrackedAction]
    by_owner: Counter[str]  # overdue and due-soon actions a person owns
    by_org: Counter[str]


def due_lists(
    actions: Iterable[TrackedAction], today: date, soon_days: int = DUE_SOON_DAYS
) -> DueLists:
    """Open actions past their due date, and those due from today to `soon_days` on, each
    soonest first."""
    open_actions = [a for a in actions if a.status is ActionStatus.OPEN and a.due_date is not None]
    overdue = sorted((a for a in open_actions if a.due_date < today), key=_due)  # type: ignore[operator]
    horizon = today + timedelta(days=soon_days)
    soon = sorted((a for a in open_actions if today <= a.due_date <= horizon), key=_due)  # type: ignore[operator]
    listed = overdue + soon
    return DueLists(
        overdue,
        soon,
        Counter(a.owner for a in listed),
        Counter(a.owner_org or "no organisation" for a in listed),
    )


def _due(action: TrackedAction) -> tuple[date, str]:
    assert action.due_date is not None
    return action.due_date, action.action_id
