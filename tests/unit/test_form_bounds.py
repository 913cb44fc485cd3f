"""The bounds a spell's forms keep (domain/form_bounds): a discharge ready date from the
admission to today, a due date from today to a year ahead, an organisation of the registry;
every problem of a form at once; and a form that would change nothing is known as such."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput, problems_of
from homeflow.domain.form_bounds import (
    Limits,
    a_year_after,
    changes_nothing,
    checked,
    due_date,
    ready_date,
)
from homeflow.domain.spell import SpellState, fold_spell

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@given(admitted_on=days, today=days, day=days)
def test_a_ready_date_lies_from_the_admission_to_today(
    admitted_on: date, today: date, day: date
) -> None:
    if admitted_on <= day <= today:
        assert ready_date("discharge_ready_date", day, admitted_on, today) == day
        return
    with pytest.raises(InvalidInput) as refused:
        ready_date("discharge_ready_date", day, admitted_on, today)
    assert refused.value.field == "discharge_ready_date"
    said = refused.value.reason
    assert said.startswith(f"is {day:%d/%m/%Y}, ")
    if day < admitted_on:
        assert f"before the admission ({admitted_on:%d/%m/%Y})" in said
    else:
        assert f"after today ({today:%d/%m/%Y})" in said


@given(today=days, day=days)
def test_a_due_date_lies_from_today_to_a_year_ahead(today: date, day: date) -> None:
    last = a_year_after(today)
    assert last.month == today.month and last.year == today.year + 1
    assert 365 <= (last - today).days <= 366
    if today <= day <= last:
        assert due_date("due_date", day, today) == day
    else:
        with pytest.raises(InvalidInput) as refused:
            due_date("due_date", day, today)
        assert refused.value.field == "due_date"
        assert f"{day:%d/%m/%Y}" in refused.value.reason


ADMITTED = datetime(2026, 12, 1, 10, tzinfo=UTC)


def _state(*payloads: ev.Payload) -> SpellState:
    admitted = ev.Admitted("P1", "RX1A", "RX1A-MED", "B1")
    stream = [
        ev.Event(f"k{i}", "test", ADMITTED + timedelta(hours=i), ADMITTED, "S1", p)
        for i, p in enumerate((admitted, *payloads))
    ]
    return fold_spell("S1", stream)


def test_every_problem_of_an_action_at_once_and_what_it_already_says_stands() -> None:
    limits = Limits(date(2026, 12, 5), _state(), frozenset({"RX1", "RY1"}))
    form = {"description": "", "owner": "", "owner_org": "ZZZ99", "due_date": "01/01/2099"}
    with pytest.raises(InvalidInput) as refused:
        checked("action", form, limits)
    assert {p.field for p in problems_of(refused.value)} == {
        "description", "owner", "owner_org", "due_date",
    }  # fmt: skip
    # Marking an overdue action done keeps its date and organisation, whatever they were.
    old = ev.ActionRecorded("A1", "Chase", "Sam", "OLD99", date(2026, 12, 2))
    state = _state(old)
    limits = Limits(date(2026, 12, 5), state, frozenset({"RX1"}))
    done = {"action_id": "A1", "description": "Chase", "owner": "Sam", "owner_org": "OLD99",
            "due_date": "02/12/2026", "status": "done"}  # fmt: skip
    assert checked("action", done, limits) == ev.ActionRecorded(
        "A1", "Chase", "Sam", "OLD99", date(2026, 12, 2), ev.ActionStatus.DONE
    )
    assert changes_nothing(state, ev.ActionRecorded("A1", "Chase", "Sam", "OLD99", date(2026, 12, 2)))  # fmt: skip


def test_a_ready_date_corrected_is_a_change_and_the_same_one_again_is_not() -> None:
    ready = ev.CriteriaToResideAssessed(False, (), date(2026, 12, 4))
    state = _state(ready)
    assert changes_nothing(state, ready)
    corrected = ev.CriteriaToResideAssessed(False, (), date(2026, 12, 2))
    assert not changes_nothing(state, corrected)
    assert _state(ready, corrected).discharge_ready_date == date(2026, 12, 2)
    limits = Limits(date(2026, 12, 5), state, None)
    with pytest.raises(InvalidInput) as refused:
        checked("criteria", {"meets": "no", "discharge_ready_date": "25/12/2026"}, limits)
    assert refused.value.field == "discharge_ready_date"
