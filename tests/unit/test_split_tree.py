"""The home-care split tree: each lever's share adds up to the gap exactly, whatever the
market; a lever that alone differs from its reference carries the whole gap; the reference
market has no gap."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeflow.domain.after_discharge.split_tree import (
    Benchmarks,
    Market,
    moved,
    reference_market,
    shapley,
    shown,
    split_tree,
)

share = st.floats(0.3, 1.0)
markets = st.builds(
    Market,
    hospital_referrals=st.floats(0, 500),
    community_referrals=st.floats(0, 100),
    review_referrals=st.floats(0, 200),
    waiting=st.floats(0, 300),
    hours_a_package=st.floats(1, 40),
    weeks_a_package=st.floats(0.5, 52),
    posts=st.floats(1, 5000),
    share_filled=share,
    contracted_hours_a_carer=st.floats(5, 45),
    time_not_travelling=share,
    utilisation=share,
)


@given(markets)
def test_the_levers_add_up_to_the_gap(market: Market) -> None:
    tree = split_tree(market)
    total = sum(lever.hours for lever in tree.levers)
    assert total == pytest.approx(tree.gap, rel=1e-9, abs=1e-6)
    assert tree.gap == pytest.approx(tree.needed_hours - tree.deliverable_hours)
    assert reference_market(market, Benchmarks()).gap == pytest.approx(0, abs=1e-6)
    hours = {lever.field: lever.hours for lever in tree.levers}
    assert round(sum(shown(hours, tree.gap).values()), 1) == round(tree.gap, 1)


def test_one_lever_away_from_the_reference_carries_the_whole_gap() -> None:
    base = reference_market(Market(100, 10, 20, 0, 10, 4, 1, 0.95, 25, 0.85, 0.90), Benchmarks())
    assert base.gap == pytest.approx(0)
    travelling = replace(base, time_not_travelling=0.75)
    tree = split_tree(travelling)
    hours = {lever.field: lever.hours for lever in tree.levers}
    # 130 packages a week x 4 weeks x 10 hours = 5,200 needed; 10 points less visiting time.
    assert tree.needed_hours == pytest.approx(5200)
    assert tree.deliverable_hours == pytest.approx(5200 * 0.75 / 0.85)
    assert hours["time_not_travelling"] == pytest.approx(tree.gap)
    assert all(h == pytest.approx(0) for f, h in hours.items() if f != "time_not_travelling")
    waiting = replace(base, waiting=30)
    assert split_tree(waiting).levers[3].hours == pytest.approx(300)  # 30 people x 10 hours


def test_shapley_values_of_a_product_share_the_interaction_equally() -> None:
    # f = x * y moving from (1, 1) to (3, 2): f moves 5; x alone 2, y alone 1, both 5.
    values = {frozenset(): 1.0, frozenset("x"): 3.0, frozenset("y"): 2.0, frozenset("xy"): 6.0}
    found = shapley(["x", "y"], lambda moved: values[moved])
    assert found == {"x": pytest.approx(3.0), "y": pytest.approx(2.0)}


def test_a_moved_share_stays_within_its_bounds() -> None:
    market = Market(100, 10, 20, 0, 10, 4, 600, 0.98, 25, 0.85, 0.97)
    assert moved(market, "utilisation", "add", 0.05).utilisation == 1.0
    assert moved(market, "posts", "scale", 0.05).posts == pytest.approx(630)
    assert moved(market, "hours_a_package", "add", -20).hours_a_package == 0.0


def test_shown_hours_add_up_to_the_total_shown() -> None:
    assert shown({"a": 1.04, "b": 1.04, "c": 1.04}, 3.12) == {"a": 1.1, "b": 1.0, "c": 1.0}
