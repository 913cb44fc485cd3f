"""The bed state fold: occupancy from stays, other states from dated events, the trust's
choice of waiting for cleaning after a discharge, turnarounds and closures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeflow.domain.bed_state import (
    BedAttributesSet,
    BedStatus,
    BedStatusSet,
    BedStay,
    ClosureReason,
    closures,
    histories,
    turnarounds,
)
from homeflow.domain.errors import InvalidInput

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _set(
    hours: float, status: BedStatus, reason: ClosureReason | None = None
) -> tuple[datetime, BedStatusSet]:
    return _h(hours), BedStatusSet("M01", "01", status, reason)


def test_a_discharge_waits_for_cleaning_where_the_trust_says_so_else_frees_the_bed() -> None:
    stays = [BedStay("M01", "01", _h(0), _h(10)), BedStay("M02", "01", _h(0), _h(10))]
    found = histories(stays, [], [], _h(11), cleaned_after_discharge={"M01"})
    assert found["M01", "01"].now is not None
    assert found["M01", "01"].now.status is BedStatus.AWAITING_CLEANING
    assert found["M01", "01"].now.since == _h(10)
    assert found["M02", "01"].now is not None and found["M02", "01"].now.status is BedStatus.FREE


def test_turnaround_runs_from_vacated_to_clean_to_occupied() -> None:
    stays = [BedStay("M01", "01", _h(0), _h(10)), BedStay("M01", "01", _h(15), None)]
    found = histories(stays, [_set(12.5, BedStatus.FREE)], [], _h(20), {"M01"})
    [turn] = turnarounds(found["M01", "01"])
    assert (turn.vacated, turn.clean, turn.occupied) == (_h(10), _h(12.5), _h(15))
    assert turn.cleaning_hours == 2.5 and turn.empty_hours == 5


def test_nothing_after_the_instant_asked_about_counts() -> None:
    stays = [BedStay("M01", "01", _h(0), _h(10)), BedStay("M01", "01", _h(15), None)]
    found = histories(stays, [_set(12.5, BedStatus.FREE)], [], _h(12), {"M01"})
    history = found["M01", "01"]
    assert history.now is not None and history.now.status is BedStatus.AWAITING_CLEANING
    assert turnarounds(history) == []


def test_a_closure_keeps_its_reason_and_ends_when_the_bed_reopens() -> None:
    events = [_set(1, BedStatus.CLOSED, ClosureReason.INFECTION_CONTROL), _set(73, BedStatus.FREE)]
    found = histories([], events, [], _h(100), set())
    [closed] = closures(found["M01", "01"])
    assert closed.reason is ClosureReason.INFECTION_CONTROL
    assert (closed.since, closed.until) == (_h(1), _h(73))


def test_attributes_in_force_on_the_day_asked_about() -> None:
    attributes = [
        BedAttributesSet("M01", "01", T0.date(), side_room=True),
        BedAttributesSet("M01", "01", (T0 + timedelta(days=5)).date(), bay_sex="female"),
    ]
    assert histories([], [], attributes, _h(1), set())["M01", "01"].side_room is True
    later = histories([], [], attributes, _h(24 * 6), set())["M01", "01"]
    assert (later.side_room, later.bay_sex) == (False, "female")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status": BedStatus.FREE, "reason": ClosureReason.STAFFING}, "reason"),
        ({"status": BedStatus.FREE, "bed": ""}, "bed"),
        ({"status": BedStatus.FREE, "bed": "x" * 21}, "bed"),
    ],
)
def test_a_bed_status_that_cannot_be_is_refused_naming_the_field(
    kwargs: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {"ward_code": "M01", "bed": "01", **kwargs}
    with pytest.raises(InvalidInput) as refused:
        BedStatusSet(**values)  # type: ignore[arg-type]
    assert refused.value.field == field


_STATUSES = st.sampled_from([s for s in BedStatus if s is not BedStatus.CLOSED])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 100), st.integers(1, 30)), max_size=5),
    st.lists(st.tuples(st.integers(0, 120), _STATUSES), max_size=6),
    st.integers(0, 130),
)
def test_periods_follow_each_other_without_gaps_or_repeats(
    stays: list[tuple[int, int]], sets: list[tuple[int, BedStatus]], at: int
) -> None:
    bed_stays = [BedStay("M01", "01", _h(s), _h(s + d)) for s, d in stays]
    found = histories(bed_stays, [_set(h, s) for h, s in sets], [], _h(at), {"M01"})
    for history in found.values():
        periods = history.periods
        assert periods[-1].until is None and all(p.since <= _h(at) for p in periods)
        for before, after in pairwise(periods):
            assert before.until == after.since
            assert (before.status, before.reason) != (after.status, after.reason)
        for turn in turnarounds(history):
            assert turn.vacated <= turn.clean
            assert turn.occupied is None or turn.clean <= turn.occupied
