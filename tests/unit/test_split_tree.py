"""The home-care split tree: each lever's share adds up to the gap exactly, whatever the
market; a lever that alone differs from its reference carries the whole gap; the reference
market has no gap; the market measured from episodes, referrals and agencies' returns, worked
by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeflow.domain.after_discharge.capacity import ProviderCapacityRecorded
from homeflow.domain.after_discharge.records import (
    Referrer,
    SupportEpisodeRecorded,
    SupportKind,
    SupportOutcome,
)
from homeflow.domain.after_discharge.split_tree import (
    Benchmarks,
    Market,
    measure_market,
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
    conversion=st.floats(0, 1),
    community_referrals=st.floats(0, 100),
    review_referrals=st.floats(0, 200),
    start_delay_days=st.floats(0, 60),
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


@given(markets, markets)
def test_against_an_earlier_market_the_levers_add_up_to_the_gap_s_change(
    market: Market, earlier: Market
) -> None:
    tree = split_tree(market, against=earlier)
    assert tree.reference_gap == pytest.approx(earlier.gap)
    total = sum(lever.hours for lever in tree.levers)
    assert total == pytest.approx(market.gap - earlier.gap, rel=1e-9, abs=1e-6)


def test_growth_in_referrals_is_a_share_of_the_change_against_an_earlier_market() -> None:
    earlier = Market(100, 0.5, 10, 20, 2.0, 10, 4, 300, 0.9, 25, 0.85, 0.9)
    later = replace(earlier, hospital_referrals=120)
    hours = {lever.field: lever.hours for lever in split_tree(later, against=earlier).levers}
    # 20 more referrals a week, half of them packages: 10 x (4 + 2/7) weeks x 10 hours.
    assert hours["hospital_referrals"] == pytest.approx(10 * (4 + 2 / 7) * 10)
    assert all(h == pytest.approx(0) for f, h in hours.items() if f != "hospital_referrals")


def test_one_lever_away_from_the_reference_carries_the_whole_gap() -> None:
    market = Market(200, 0.5, 10, 20, 1.0, 10, 4, 1, 0.95, 25, 0.85, 0.90)
    base = reference_market(market, Benchmarks())
    assert base.gap == pytest.approx(0)
    travelling = replace(base, time_not_travelling=0.75)
    tree = split_tree(travelling)
    hours = {lever.field: lever.hours for lever in tree.levers}
    # 200 x 0.5 + 10 + 20 = 130 packages a week, each 4 weeks and a day's wait at 10 hours:
    # 130 x (4 + 1/7) x 10 needed; 10 points less visiting time.
    needed = 130 * (4 + 1 / 7) * 10
    assert tree.needed_hours == pytest.approx(needed)
    assert tree.deliverable_hours == pytest.approx(needed * 0.75 / 0.85)
    assert hours["time_not_travelling"] == pytest.approx(tree.gap)
    assert all(h == pytest.approx(0) for f, h in hours.items() if f != "time_not_travelling")
    # A week's wait more: 130 people more waiting, at 10 hours each.
    slow = split_tree(replace(base, start_delay_days=8.0))
    assert {lever.field: lever.hours for lever in slow.levers}["start_delay_days"] == pytest.approx(
        1300
    )


def test_shapley_values_of_a_product_share_the_interaction_equally() -> None:
    # f = x * y moving from (1, 1) to (3, 2): f moves 5; x alone 2, y alone 1, both 5.
    values = {frozenset(): 1.0, frozenset("x"): 3.0, frozenset("y"): 2.0, frozenset("xy"): 6.0}
    found = shapley(["x", "y"], lambda moved: values[moved])
    assert found == {"x": pytest.approx(3.0), "y": pytest.approx(2.0)}


def test_a_moved_share_stays_within_its_bounds() -> None:
    market = Market(100, 1.0, 10, 20, 1.0, 10, 4, 600, 0.98, 25, 0.85, 0.97)
    assert moved(market, "utilisation", "add", 0.05).utilisation == 1.0
    assert moved(market, "posts", "scale", 0.05).posts == pytest.approx(630)
    assert moved(market, "hours_a_package", "add", -20).hours_a_package == 0.0


def test_shown_hours_add_up_to_the_total_shown() -> None:
    assert shown({"a": 1.04, "b": 1.04, "c": 1.04}, 3.12) == {"a": 1.1, "b": 1.0, "c": 1.0}


DAY = date(2026, 3, 1)


def _package(n: int, referrer: Referrer, weeks_ago: int, spell_key: str) -> SupportEpisodeRecorded:
    start = DAY - timedelta(weeks=weeks_ago)
    return SupportEpisodeRecorded(
        f"E{n}", spell_key, SupportKind.HOME_CARE, "HC-A", start, hours_at_start=12.0,
        end=start + timedelta(weeks=6) if start + timedelta(weeks=6) <= DAY else None,
        outcome=SupportOutcome.SAME_PACKAGE if start + timedelta(weeks=6) <= DAY else None,
        referrer=referrer,
    )  # fmt: skip


def _agency(provider: str, delay: float | None, delivered: float) -> ProviderCapacityRecorded:
    return ProviderCapacityRecorded(
        provider, SupportKind.HOME_CARE, DAY - timedelta(days=2), 50, carers=20,
        contracted_hours=500.0, delivered_hours=delivered, vacancies=5, travel_share=0.2,
        start_delay_days=delay,
    )  # fmt: skip


def test_the_market_measured_by_hand() -> None:
    # In the 8 weeks: 16 packages after a hospital stay (2 a week), 8 from the community, 4
    # from reviews; 24 stays referred to home care, 16 of them those with a package.
    packages = [_package(n, Referrer.HOSPITAL, 1 + n % 7, f"S{n}") for n in range(16)]
    packages += [_package(100 + n, Referrer.COMMUNITY, 2, f"C{n}") for n in range(8)]
    packages += [_package(200 + n, Referrer.REVIEW, 3, f"R{n}") for n in range(4)]
    older = [_package(300, Referrer.HOSPITAL, 20, "OLD")]  # before the window, ended
    referred = [f"S{n}" for n in range(16)] + [f"LOST{n}" for n in range(8)]
    returns = [_agency("HC-A", 2.0, 100.0), _agency("HC-B", 5.0, 300.0)]
    market = measure_market(DAY, packages + older, returns, waiting=7, referred=referred)
    assert market.hospital_referrals == pytest.approx(3.0)  # (16 + 8 lost) over 8 weeks
    assert market.conversion == pytest.approx(2 / 3)
    assert market.community_referrals == pytest.approx(1.0)
    assert market.review_referrals == pytest.approx(0.5)
    assert market.packages_a_week == pytest.approx(3.5)
    assert market.start_delay_days == pytest.approx((2 * 100 + 5 * 300) / 400)
    assert market.hours_a_package == pytest.approx(12.0)
    assert market.posts == 50 and market.share_filled == pytest.approx(40 / 50)
    assert market.contracted_hours_a_carer == pytest.approx(25.0)
    assert market.time_not_travelling == pytest.approx(0.8)
    assert market.utilisation == pytest.approx(400 / (1000 * 0.8))
    # No agency says how long a start takes: 7 people waiting over 3.5 packages a week.
    silent = [replace(r, start_delay_days=None) for r in returns]
    assert measure_market(DAY, packages, silent, 7, referred).start_delay_days == pytest.approx(14)
