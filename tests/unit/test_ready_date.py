"""The discharge ready date as the national data item (domain/ready_date) and the monthly
measures' arithmetic (reports/drd), held against the guidance's words rather than the fold."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from homeflow.domain import events as ev
from homeflow.domain.clock import local_date
from homeflow.domain.ready_date import (
    BANDS,
    band_of,
    counted_in_measures,
    days_after_ready_date,
    discharge_ready_date,
    measured_delay,
)
from homeflow.domain.spell import SpellStatus, fold_spell
from homeflow.reports import drd
from tests.streams import spell_stream


def _expected_ready_date(stream: list[ev.Event]) -> date | None:
    """From the events alone: the ready date of the latest assessment when it says "does not
    meet" (a later one while a period is open corrects it; a "meets" ends the period), for a
    stay not cancelled. The streams end with the discharge, so every assessment precedes it."""
    if any(isinstance(e.payload, ev.AdmissionCancelled) for e in stream):
        return None
    assessed = [e.payload for e in stream if isinstance(e.payload, ev.CriteriaToResideAssessed)]
    if not assessed or assessed[-1].meets:
        return None
    return assessed[-1].discharge_ready_date


@settings(max_examples=150)
@given(spell_stream())
def test_the_ready_date_is_the_start_of_the_current_or_final_period(
    stream: list[ev.Event],
) -> None:
    spell = fold_spell("S1", stream)
    assert discharge_ready_date(spell) == _expected_ready_date(stream)


@settings(max_examples=150)
@given(spell_stream())
def test_a_finished_stay_is_measured_from_its_ready_date_or_reads_as_on_it(
    stream: list[ev.Event],
) -> None:
    spell = fold_spell("S1", stream)
    delay = measured_delay(spell)
    if spell.status is not SpellStatus.DISCHARGED:
        assert delay is None
        return
    assert spell.admitted_at is not None and spell.discharged_at is not None
    left = local_date(spell.discharged_at)
    if left == local_date(spell.admitted_at) or spell.died:
        assert delay is None  # same-day stays and deaths are not counted
        return
    ready = _expected_ready_date(stream)
    assert delay == (0 if ready is None else max(0, (left - ready).days))


@given(st.integers(0, 400))
def test_every_delay_falls_in_exactly_one_band(days: int) -> None:
    holding = [b for b in BANDS if b.holds(days)]
    assert holding == [band_of(days)]


def test_the_bands_at_their_edges() -> None:
    edges = {0: "0", 1: "1", 2: "2-3", 3: "2-3", 4: "4-6", 6: "4-6", 7: "7-13", 13: "7-13"}
    edges |= {14: "14-20", 20: "14-20", 21: "21+", 365: "21+"}
    assert {days: band_of(days).label for days in edges} == edges


def test_no_ready_date_reads_as_discharged_on_it_and_a_later_one_is_no_delay() -> None:
    left = date(2026, 3, 12)
    assert days_after_ready_date(None, left) == 0
    assert days_after_ready_date(left, left) == 0
    assert days_after_ready_date(left + timedelta(days=2), left) == 0
    assert days_after_ready_date(left - timedelta(days=21), left) == 21


def test_which_stays_are_counted() -> None:
    admitted = date(2026, 3, 1)
    assert counted_in_measures(admitted, admitted + timedelta(days=1), died=False)
    assert not counted_in_measures(admitted, admitted, died=False)  # no night in hospital
    assert not counted_in_measures(admitted, admitted + timedelta(days=5), died=True)


@given(st.lists(st.integers(0, 60), max_size=40))
def test_the_measures_add_up(delays: list[int]) -> None:
    """Shares, bands and averages from a place's figures, whatever the delays."""
    members: drd.Members = {}
    for n, days in enumerate(delays):
        spell = fold_spell(f"S{n}", [])
        band = band_of(days)
        members.setdefault(drd.DISCHARGED, []).append((spell, 1))
        members.setdefault(drd.COUNT_COLUMNS[BANDS.index(band)], []).append((spell, 1))
        if days:
            members.setdefault(drd.BED_DAYS, []).append((spell, days))
            column = drd.BED_DAYS_COLUMNS[BANDS.index(band) - 1]
            members.setdefault(column, []).append((spell, days))
    found = drd.measures(members)
    delayed = [d for d in delays if d]
    assert found[drd.DISCHARGED] == len(delays)
    assert sum(found[c] or 0 for c in drd.COUNT_COLUMNS) == len(delays)
    assert sum(found[c] or 0 for c in drd.BED_DAYS_COLUMNS) == found[drd.BED_DAYS] == sum(delays)
    if not delays:
        assert found[drd.SAME_DAY] is None and found[drd.AVERAGE_ALL] is None
        return
    assert found[drd.SAME_DAY] == round(100 * (len(delays) - len(delayed)) / len(delays), 1)
    assert found[drd.LATER] == round(100 * len(delayed) / len(delays), 1)
    expected = round(sum(delayed) / len(delayed), 1) if delayed else None
    assert found[drd.AVERAGE_DELAYED] == expected


def test_the_publication_names_its_columns() -> None:
    assert drd.COUNT_COLUMNS[0] == "No delay between DoD & DRD (#)"
    assert drd.COUNT_COLUMNS[-1] == "21+ day delay between DoD & DRD (#)"
    assert drd.BED_DAYS_COLUMNS[0] == (
        "Total bed days after DRD for patients discharged within 1 day"
    )
    assert drd.BED_DAYS_COLUMNS[-1] == (
        "Total bed days after DRD for patients discharged within 21 days or more"
    )
    assert len(drd.MEASURES) == len(set(drd.MEASURES)) == 19
