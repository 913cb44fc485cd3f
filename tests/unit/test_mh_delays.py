"""Mental health delayed discharge periods: the fold keeps several a spell whatever order they
arrive in, refuses two that share a day, and a month's days split a period at month ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.domain.mh_delays import MhDelayPeriod, days_within, delayed_days, ward_at_start
from homeflow.domain.spell import fold_spell
from homeflow.reports.dtoc import month_days
from tests.streams import arrival_order, spell_stream

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _period(start: date, end: date | None) -> MhDelayPeriod:
    return MhDelayPeriod("P1", start, end, "18", "05", AT)


def _months(first: date, last: date) -> list[tuple[date, date]]:
    months = []
    day = first.replace(day=1)
    while day <= last:
        days = month_days(day.year, day.month)
        months.append((days[0], days[-1]))
        day = days[-1] + timedelta(days=1)
    return months


@given(
    start=st.dates(date(2025, 1, 1), date(2026, 12, 31)),
    length=st.integers(0, 400),
    discharged_after=st.one_of(st.none(), st.integers(0, 400)),
)
@settings(max_examples=60)
def test_a_period_split_by_month_adds_up_to_its_length(
    start: date, length: int, discharged_after: int | None
) -> None:
    """Its days in each month add up to the days from its start to its end (or the discharge,
    whichever comes first), the end day not counted."""
    end = start + timedelta(days=length)
    discharged = None if discharged_after is None else start + timedelta(days=discharged_after)
    period = _period(start, end)
    by_month = sum(
        len(days_within(period, first, last, start, discharged))
        for first, last in _months(start, end + timedelta(days=31))
    )
    assert by_month == (min(end, discharged or end) - start).days


def test_an_open_period_counts_through_the_month_end_and_stops_at_the_discharge() -> None:
    period = _period(date(2026, 3, 28), None)
    march, april = (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 4, 30))
    assert delayed_days([period], *march, None, None) == 4
    assert delayed_days([period], *april, None, None) == 30
    assert delayed_days([period], *april, None, date(2026, 4, 3)) == 2
    # No day before the admission counts.
    late = _period(date(2026, 3, 1), date(2026, 3, 11))
    assert delayed_days([late], *march, date(2026, 3, 5), None) == 6
    # Two periods over the same days count each day once.
    again = MhDelayPeriod("P2", date(2026, 3, 8), date(2026, 3, 15), "07", "05", AT)
    assert delayed_days([late, again], *march, None, None) == 14  # 1 to 14 March


def _event(key: str, hours: int, payload: ev.Payload) -> ev.Event:
    at = AT + timedelta(hours=hours)
    return ev.Event(key, "test", at, at, "S1", payload)


ADMIT = _event("a", 0, ev.Admitted("P1", "SITE", "W-MH", "01"))


def test_two_periods_in_a_stay_are_kept_and_a_later_record_ends_one() -> None:
    state = fold_spell(
        "S1",
        [
            ADMIT,
            _event("p1", 24, ev.MhDelayRecorded("A", date(2026, 3, 2), "18", "05")),
            _event(
                "e1", 48, ev.MhDelayRecorded("A", date(2026, 3, 2), "18", "05", date(2026, 3, 3))
            ),
            _event("p2", 96, ev.MhDelayRecorded("B", date(2026, 3, 5), "07", "06")),
        ],
    )
    assert [(p.period_id, p.start_date, p.end_date) for p in state.mh_delays] == [
        ("A", date(2026, 3, 2), date(2026, 3, 3)),
        ("B", date(2026, 3, 5), None),
    ]
    assert state.anomalies == ()


def test_a_period_recorded_before_the_end_of_the_one_before_is_kept_too() -> None:
    """A new period may reach homeflow before the record ending the one before it (feeds
    arrive out of order): both are kept, and no day is counted twice."""
    state = fold_spell(
        "S1",
        [
            ADMIT,
            _event("p1", 24, ev.MhDelayRecorded("A", date(2026, 3, 2), "18", "05")),
            _event("p2", 48, ev.MhDelayRecorded("B", date(2026, 3, 5), "07", "05")),
        ],
    )
    assert state.anomalies == ()
    assert [p.period_id for p in state.mh_delays] == ["A", "B"]
    assert delayed_days(state.mh_delays, date(2026, 3, 1), date(2026, 3, 31), None, None) == 30


@given(st.data())
@settings(max_examples=40)
def test_periods_fold_the_same_whatever_order_they_arrive_in(data: st.DataObject) -> None:
    stream = data.draw(spell_stream())
    arrived = arrival_order(data.draw, stream)
    deduped = list({e.key: e for e in arrived}.values())
    assert fold_spell("S1", deduped).mh_delays == fold_spell("S1", stream).mh_delays


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"reason": "99"}, "reason"),
        ({"attributable_to": "07"}, "attributable_to"),
        ({"end_date": date(2026, 3, 1)}, "end_date"),
        ({"period_id": " "}, "period_id"),
        ({"period_id": "x" * 61}, "period_id"),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(fields: dict[str, object], field: str) -> None:
    given_fields = {"period_id": "A", "start_date": date(2026, 3, 2), "reason": "18"}
    given_fields |= {"attributable_to": "05"} | fields
    with pytest.raises(InvalidInput) as refused:
        ev.MhDelayRecorded(**given_fields)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_the_ward_a_period_starts_on_is_the_ward_the_patient_was_on_that_day() -> None:
    stays = [("W-ACUTE", AT), ("W-MH", AT + timedelta(days=3))]
    assert ward_at_start(stays, date(2026, 3, 2)) == "W-ACUTE"
    assert ward_at_start(stays, date(2026, 3, 4)) == "W-MH"
    assert ward_at_start(stays, date(2026, 2, 1)) == "W-ACUTE"
    assert ward_at_start([], date(2026, 3, 4)) is None
