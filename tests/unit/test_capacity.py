"""Community and social-care capacity on a day, case by case from its definition: the newest
return of each provider on or before the day, the episodes open that day, who waits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from homeflow.domain.after_discharge.capacity import (
    ProviderCapacityRecorded,
    capacity_on,
    latest_returns,
)
from homeflow.domain.after_discharge.records import SupportEpisodeRecorded, SupportKind
from homeflow.domain.errors import InvalidInput
from homeflow.domain.escalation import Thresholds

DAY = date(2026, 11, 2)
LEVELS = Thresholds(85, 92, 97)


def episode(n: int, kind: SupportKind, start: date, end: date | None = None) -> SupportEpisodeRecorded:  # fmt: skip
    return SupportEpisodeRecorded(f"E{n}", f"RX1:V{n}", kind, "HC-A", start, end=end)


def test_the_newest_return_on_or_before_the_day_counts() -> None:
    old = ProviderCapacityRecorded("HC-A", SupportKind.HOME_CARE, DAY - timedelta(days=7), 10)
    new = ProviderCapacityRecorded("HC-A", SupportKind.HOME_CARE, DAY, 12)
    later = ProviderCapacityRecorded("HC-A", SupportKind.HOME_CARE, DAY + timedelta(days=7), 20)
    other = ProviderCapacityRecorded("HC-B", SupportKind.HOME_CARE, DAY - timedelta(days=3), 5)
    found = latest_returns([new, old, later, other], DAY)
    assert found == {("HC-A", SupportKind.HOME_CARE): new, ("HC-B", SupportKind.HOME_CARE): other}


def test_in_use_waiting_and_pressure() -> None:
    returns = [
        ProviderCapacityRecorded("HC-A", SupportKind.HOME_CARE, DAY, 3, vacancies=2),
        ProviderCapacityRecorded("CH-A", SupportKind.CARE_HOME, DAY, 10, vacancies=4),
    ]
    episodes = [
        episode(1, SupportKind.HOME_CARE, DAY - timedelta(days=5)),
        episode(2, SupportKind.HOME_CARE, DAY, DAY + timedelta(days=3)),
        episode(3, SupportKind.HOME_CARE, DAY - timedelta(days=9), DAY),  # ended that day
        episode(4, SupportKind.HOME_CARE, DAY + timedelta(days=1)),  # not yet begun
        episode(5, SupportKind.HOME_CARE, DAY - timedelta(days=1)),
        episode(6, SupportKind.CARE_HOME, DAY - timedelta(days=1)),
    ]
    rows = {r.kind: r for r in capacity_on(DAY, returns, episodes, {"P1": ["RX1:V9"]}, LEVELS)}
    home = rows[SupportKind.HOME_CARE]
    assert home.in_use == ("E1", "E2", "E5") and home.waiting == ("RX1:V9",)
    assert home.occupancy_percent == 100.0
    assert home.pressure_level == 4  # full (level 4) and people waiting: stays at 4
    care = rows[SupportKind.CARE_HOME]
    assert care.in_use == ("E6",) and care.vacancies == 4 and care.pressure_level == 1
    assert SupportKind.D2A_BED not in rows  # nothing commissioned, used or waited for


def test_occupancy_gives_the_level_and_nothing_commissioned_is_4() -> None:
    returns = [ProviderCapacityRecorded("RB-A", SupportKind.REABLEMENT, DAY, 20)]
    seventeen = [episode(n, SupportKind.REABLEMENT, DAY) for n in range(17)]
    nineteen = [episode(n, SupportKind.REABLEMENT, DAY) for n in range(19)]
    assert [r.pressure_level for r in capacity_on(DAY, returns, seventeen, {}, LEVELS)] == [2]
    assert [r.pressure_level for r in capacity_on(DAY, returns, nineteen, {}, LEVELS)] == [3]
    (reablement, home_care) = capacity_on(DAY, returns, seventeen, {"P1": ["RX1:V99"]}, LEVELS)
    assert (reablement.pressure_level, reablement.waiting) == (2, ("RX1:V99",))
    assert (home_care.commissioned, home_care.pressure_level) == (0, 4)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"commissioned": -1}, "commissioned"),
        ({"travel_share": 1.0}, "travel_share"),
        ({"contracted_hours": -2.0}, "contracted_hours"),
        ({"provider": "a b"}, "provider"),
    ],
)
def test_a_bad_return_names_its_field(fields: dict[str, object], field: str) -> None:
    values: dict[str, object] = {"provider": "HC-A", "kind": SupportKind.HOME_CARE, "on": DAY, "commissioned": 1, **fields}  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        ProviderCapacityRecorded(**values)  # type: ignore[arg-type]
    assert refused.value.field == field
