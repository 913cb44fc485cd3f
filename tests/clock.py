"""Pinning homeflow's clock in tests (src/homeflow/domain/clock.py): `pinned_clock` for code run
in the test's own process, `pinned_env` for the servers and commands a test starts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from homeflow.domain import clock

# 23:30 UTC on Saturday 28 June 2025 is 00:30 BST on Sunday 29 June: the local day is the
# 29th, a day a clock read in UTC (or in the machine's zone, if that is UTC) calls the 28th.
# In the past, so that no real date of a later run can be mistaken for it.
SUMMER_NIGHT = datetime(2025, 6, 28, 23, 30, tzinfo=UTC)
SUMMER_NIGHT_DAY = date(2025, 6, 29)


def pinned_env(instant: datetime = SUMMER_NIGHT) -> dict[str, str]:
    """The environment that pins the clock of a process the test starts."""
    return {clock.NOW_VARIABLE: instant.isoformat()}


@pytest.fixture
def pinned_clock() -> Iterator[datetime]:
    """The clock of this process stands at SUMMER_NIGHT for the test."""
    with clock.pinned(SUMMER_NIGHT) as instant:
        yield instant
