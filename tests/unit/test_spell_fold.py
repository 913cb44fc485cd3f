"""The spell fold: arrival order and duplicate deliveries never change the state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from homeflow.domain import events as ev
from homeflow.domain import flow
from homeflow.domain.spell import SpellFold, SpellStatus, fold_spell
from tests.streams import arrival_order, spell_stream


def dedupe(events: list[ev.Event]) -> list[ev.Event]:
    return list({e.key: e for e in events}.values())


@given(st.data())
@settings(max_examples=300)
def test_any_arrival_order_and_duplicates_fold_to_the_same_state(data: st.DataObject) -> None:
    stream = data.draw(spell_stream())
    arrived = arrival_order(data.draw, stream)
    assert fold_spell("S1", dedupe(arrived)) == fold_spell("S1", stream)


@given(spell_stream())
def test_a_valid_stream_has_no_anomalies_and_sane_stays(stream: list[ev.Event]) -> None:
    state = fold_spell("S1", stream)
    assert state.anomalies == ()
    for before, after in zip(state.ward_stays, state.ward_stays[1:], strict=False):
        assert before.end == after.start
    if state.status is SpellStatus.DISCHARGED:
        assert state.ward_stays[-1].end == state.discharged_at


def _event(key: str, hours: float, payload: ev.Payload) -> ev.Event:
    at = datetime(2026, 1, 5, 10, tzinfo=UTC) + timedelta(hours=hours)
    return ev.Event(key, "test", at, at, "S1", payload)


ADMIT = _event("a", 0, ev.Admitted("P1", "SITE", "W-A", "01"))


def test_a_transfer_cancellation_returns_the_patient_to_the_previous_bed() -> None:
    state = fold_spell(
        "S1",
        [
            ADMIT,
            _event("t", 5, ev.Transferred("W-B", "07")),
            _event("x", 6, ev.TransferCancelled()),
        ],
    )
    assert [(s.ward_code, s.bed) for s in state.ward_stays] == [("W-A", "01")]


def test_a_transfer_may_move_the_patient_under_another_team_and_its_cancellation_undoes_it() -> (
    None
):
    admitted = _event("a", 0, ev.Admitted("P1", "SITE", "W-AMU", "01", specialty="Acute Medicine"))
    moved = _event("t", 5, ev.Transferred("W-S1", "03", "General Medicine"))
    plain = _event("u", 7, ev.Transferred("W-S2", "04"))
    assert fold_spell("S1", [admitted]).specialty == "Acute Medicine"
    assert fold_spell("S1", [admitted, moved]).specialty == "General Medicine"
    # A transfer naming no team keeps the team the patient is under.
    assert fold_spell("S1", [admitted, moved, plain]).specialty == "General Medicine"
    undone = [admitted, moved, _event("x", 6, ev.TransferCancelled())]
    assert fold_spell("S1", undone).specialty == "Acute Medicine"


def test_a_discharge_cancellation_reopens_the_spell_and_its_delay() -> None:
    ready = _event(
        "n", 24, ev.CriteriaToResideAssessed(False, discharge_ready_date=date(2026, 1, 6))
    )
    out = _event("d", 30, ev.Discharged())
    state = fold_spell("S1", [ADMIT, ready, out, _event("c", 31, ev.DischargeCancelled())])
    assert state.status is SpellStatus.ADMITTED
    assert state.discharge_ready_date == date(2026, 1, 6)


def test_a_discharge_before_the_admission_is_an_anomaly_naming_occurred_at() -> None:
    state = fold_spell("S1", [ADMIT, _event("d", -2, ev.Discharged())])
    assert [(a.event_key, a.field) for a in state.anomalies] == [("d", "occurred_at")]


def test_events_without_an_admission_leave_an_orphan() -> None:
    state = fold_spell("S1", [_event("d", 2, ev.Discharged())])
    assert state.status is SpellStatus.ORPHAN and state.anomalies == ()


def test_stranded_thresholds_are_seven_and_twenty_one_days() -> None:
    state = fold_spell("S1", [ADMIT])
    admitted = date(2026, 1, 5)
    assert not flow.is_stranded(state, admitted + timedelta(days=6))
    assert flow.is_stranded(state, admitted + timedelta(days=7))
    assert not flow.is_super_stranded(state, admitted + timedelta(days=20))
    assert flow.is_super_stranded(state, admitted + timedelta(days=21))


def test_days_delayed_count_from_the_discharge_ready_date() -> None:
    ready = _event(
        "n", 50, ev.CriteriaToResideAssessed(False, discharge_ready_date=date(2026, 1, 6))
    )
    state = fold_spell("S1", [ADMIT, ready])
    assert flow.days_delayed(state, date(2026, 1, 5)) == 0
    assert flow.days_delayed(state, date(2026, 1, 6)) == 1
    assert flow.days_delayed(state, date(2026, 1, 9)) == 4
    meets = _event("m", 24 * 4, ev.CriteriaToResideAssessed(True, ("02",)))
    state = fold_spell("S1", [ADMIT, ready, meets])
    assert flow.days_delayed(state, date(2026, 1, 9)) == 0
    assert state.delay_episodes[0].ended_by == "meets criteria"


@given(spell_stream())
def test_folding_only_the_census_event_types_gives_the_same_census_and_returns(
    stream: list[ev.Event],
) -> None:
    """The sitrep, DToC and daily census fold a spell from CENSUS_EVENT_TYPES only."""
    whole = fold_spell("S1", stream)
    part = fold_spell("S1", [e for e in stream if e.type in flow.CENSUS_EVENT_TYPES])
    for name in (
        "status",
        "admitted_at",
        "discharged_at",
        "discharge_destination",
        "died",
        "site_code",
        "ward_stays",
        "leave",
        "delay_episodes",
        "delay_reasons",
        "pathway",
        "meets_criteria",
    ):
        assert getattr(part, name) == getattr(whole, name), name
    first = whole.admitted_at.date() if whole.admitted_at else date(2026, 1, 1)
    last = first + timedelta(days=60)
    assert list(flow.census_contributions(part, first, last)) == list(
        flow.census_contributions(whole, first, last)
    )


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_a_fold_extended_batch_by_batch_equals_folding_everything_at_once(
    data: st.DataObject,
) -> None:
    ordered = sorted(data.draw(spell_stream()), key=lambda e: e.fold_order)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(ordered)), max_size=4)))
    fold: SpellFold | None = SpellFold("S1")
    for start, end in zip([0, *cuts], [*cuts, len(ordered)], strict=True):
        assert fold is not None
        previous = fold
        fold = fold.extended(ordered[start:end])
        assert fold is not None
        # Extending leaves the fold it extends as it was (a refused event must not change it).
        assert previous.state() == fold_spell("S1", ordered[:start])
    assert fold is not None
    assert fold.state() == fold_spell("S1", ordered)


@given(spell_stream())
@settings(max_examples=30, deadline=None)
def test_a_fold_refuses_an_event_that_sorts_before_those_it_holds(
    stream: list[ev.Event],
) -> None:
    ordered = sorted(stream, key=lambda e: e.fold_order)
    assume(len(ordered) > 1)
    fold = SpellFold("S1").extended(ordered[1:])
    assert fold is not None
    assert fold.extended(ordered[:1]) is None
    assert fold.state() == fold_spell("S1", ordered[1:])
