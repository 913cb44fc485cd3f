"""The integrated OPEL score's rules, from docs/opel.md: each parameter at the edges of its
bands, a provider's score and level, the roll-up of an acute, a community and a mental-health
provider to the system, and properties that hold whatever the values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeflow.config import opel_settings
from homeflow.domain.errors import InvalidInput
from homeflow.domain.escalation import EscalationRules, Thresholds
from homeflow.domain.opel import (
    DEFAULT_PARAMETERS,
    SCORE_BANDS,
    Entry,
    OpelParameterEntered,
    WardNight,
    entries_on,
    parameter_named,
    parameters,
    provider_score,
    system_score,
)
from homeflow.domain.organisations import OrganisationType, WardType
from homeflow.ingest.opel_file import read_opel_file

DAY = date(2026, 3, 30)
ACUTE, COMMUNITY, MH = (
    OrganisationType.ACUTE,
    OrganisationType.COMMUNITY,
    OrganisationType.MENTAL_HEALTH,
)
CHOSEN = parameters(EscalationRules())


# (parameter, value, points): just under, at and over each threshold of the defaults.
EDGES = [
    ("ambulance-handover", 14.9, 0), ("ambulance-handover", 15, 1), ("ambulance-handover", 30, 2),
    ("ambulance-handover", 44.9, 2), ("ambulance-handover", 45, 3),
    # Less is worse: the 4-hour standard's bands are reached at or below 78, 70 and 60 per cent.
    ("ed-4-hour", 78.1, 0), ("ed-4-hour", 78, 1), ("ed-4-hour", 70, 2), ("ed-4-hour", 60.1, 2),
    ("ed-4-hour", 60, 3), ("ed-4-hour", 0, 3),
    ("ed-12-hours", 1.9, 0), ("ed-12-hours", 2, 1), ("ed-12-hours", 5, 2), ("ed-12-hours", 10, 3),
    # The overview's pressure thresholds: 85, 92, 97 per cent occupied; 15, 22, 30 NCTR a 100 beds.
    ("ga-occupancy", 84.9, 0), ("ga-occupancy", 85, 1), ("ga-occupancy", 92, 2),
    ("ga-occupancy", 97, 3), ("nctr-beds", 14.9, 0), ("nctr-beds", 15, 1), ("nctr-beds", 22, 2),
    ("nctr-beds", 30, 3),
    ("ucr-2-hour", 70.1, 0), ("ucr-2-hour", 70, 1), ("ucr-2-hour", 60, 2), ("ucr-2-hour", 50, 3),
    ("out-of-area", 0, 0), ("out-of-area", 1, 1), ("out-of-area", 3, 2), ("out-of-area", 6, 3),
]  # fmt: skip


@pytest.mark.parametrize(("code", "value", "points"), EDGES)
def test_a_parameter_earns_its_band_from_its_threshold_on(
    code: str, value: float, points: int
) -> None:
    found = next(p for p in CHOSEN if p.code == code)
    assert found.points(value) == points


def test_the_acute_bed_parameters_follow_the_pressure_thresholds_a_system_set() -> None:
    rules = EscalationRules(Thresholds(80, 90, 95), Thresholds(10, 20, 25))
    chosen = {p.code: p for p in parameters(rules)}
    assert chosen["ga-occupancy"].points(80) == 1 and chosen["nctr-beds"].points(25) == 3


def test_settings_change_a_parameters_thresholds_and_weight_and_keep_its_direction(
    tmp_path: Path,
) -> None:
    path = tmp_path / "homeflow.toml"
    path.write_text(
        "[opel.ed-4-hour]\nlevel_2 = 95\nlevel_3 = 90\nlevel_4 = 85\nweight = 2\n"
        "[opel.ga-occupancy]\nweight = 3\n"
    )
    thresholds, weights = opel_settings(str(path))
    assert thresholds == {"ed-4-hour": Thresholds(95, 90, 85, falling=True)}
    assert weights == {"ed-4-hour": 2, "ga-occupancy": 3}
    chosen = {p.code: p for p in parameters(EscalationRules(), thresholds, weights)}
    assert chosen["ed-4-hour"].points(85) == 6 and chosen["ed-4-hour"].max_points == 6
    assert chosen["ga-occupancy"].points(97) == 9  # the pressure thresholds, weighed 3
    for text, field in (
        ("[opel.ga-occupancy]\nlevel_2 = 1\n", "opel.ga-occupancy.level_2"),  # [pressure.*]'s
        ("[opel.ed-4-hour]\nlevel_2 = 60\n", "opel.ed-4-hour"),  # rising, where less is worse
        ("[opel.ed-4-hour]\nweight = 0\n", "opel.ed-4-hour.weight"),
        ("[opel.ed-4-hour]\nweigth = 2\n", "opel.ed-4-hour.weigth"),
        ("[opel.no-such]\nweight = 2\n", "opel.no-such"),
    ):
        path.write_text(text)
        with pytest.raises(InvalidInput) as bad:
            opel_settings(str(path))
        assert bad.value.field == field, text


def _entry(org: str, code: str, value: float) -> Entry:
    return Entry(
        OpelParameterEntered(org, DAY, code, value),
        "a@b.test",
        datetime(2026, 3, 30, 9, tzinfo=UTC),
    )


def _wards(
    kind: WardType, beds: int, occupied: int, nctr: int, escalation: int = 0
) -> list[WardNight]:
    return [WardNight("W1", kind, beds, escalation, occupied, nctr)]


def test_a_system_of_an_acute_a_community_and_a_mental_health_provider_rolls_up() -> None:
    """Worked by hand from docs/opel.md's rules, on the default thresholds."""
    entered = entries_on(
        [
            # Acute: 30 min handover (2 points), 4-hour 75% (1), 12-hour 1% (0); the other
            # three entered parameters not entered.
            _entry("RA1", "ambulance-handover", 30), _entry("RA1", "ed-4-hour", 75),
            _entry("RA1", "ed-12-hours", 1),
            _entry("RC1", "ucr-2-hour", 50),  # 3 points
            _entry("RC1", "virtual-ward-occupancy", 79),  # 0
            _entry("RM1", "out-of-area", 3), _entry("RM1", "mh-ed-12-hours", 4),  # 2 and 3
        ],
        DAY,
    )  # fmt: skip
    # Acute: 93 of 100 beds occupied (2 points), 2 escalation beds (2%: 1), 31 NCTR (3).
    acute = provider_score(
        "RA1", "A", ACUTE, _wards(WardType.ACUTE, 100, 93, 31, 2), entered, CHOSEN
    )
    # Community: 40 of 50 beds (80%: 0), 10 NCTR (20%: 1).
    community = provider_score(
        "RC1", "C", COMMUNITY, _wards(WardType.COMMUNITY, 50, 40, 10), entered, CHOSEN
    )
    # Mental health: 19 of 20 beds (95%: 2), 1 clinically ready (5%: 0).
    mh = provider_score("RM1", "M", MH, _wards(WardType.MENTAL_HEALTH, 20, 19, 1), entered, CHOSEN)
    assert (acute.points, acute.most) == (9, 18)  # six parameters with values, 3 points each
    assert acute.score == 50.0 and acute.level == 3
    assert [p.code for p in acute.missing] == [
        "ed-attendance-variation", "majors-resus-occupancy", "time-to-treatment",
    ]  # fmt: skip
    assert (community.points, community.most, community.level) == (4, 12, 2)
    assert (mh.points, mh.most) == (7, 12)
    found = system_score("QX1", DAY, [acute, community, mh])
    # Each pillar holds one provider; the system is their mean: (50 + 33.3 + 58.3) / 3.
    assert [round(p.score or 0, 1) for p in found.pillars] == [50.0, 33.3, 58.3]
    assert round(found.score or 0, 1) == 47.2 and found.level == 2


def test_a_pillar_weights_its_providers_by_their_beds() -> None:
    entered = entries_on([], DAY)
    big = provider_score("RA1", "A", ACUTE, _wards(WardType.ACUTE, 300, 291, 90), entered, CHOSEN)
    small = provider_score("RA2", "B", ACUTE, _wards(WardType.ACUTE, 100, 50, 0), entered, CHOSEN)
    assert big.score == pytest.approx(100 * 6 / 9) and small.score == 0.0
    pillar = system_score("QX1", DAY, [big, small]).pillars[0]
    assert pillar.score == pytest.approx((300 * 100 * 6 / 9) / 400)


def test_a_provider_with_nothing_to_count_has_no_score() -> None:
    found = provider_score("RC1", "C", COMMUNITY, [], entries_on([], DAY), CHOSEN)
    assert found.score is None and found.level is None
    assert system_score("QX1", DAY, [found]).level is None


def test_an_entered_value_is_checked_naming_its_field() -> None:
    for fields, field in [
        (("RX1", DAY, "ed-4-hour", 101.0), "value"),
        (("RX1", DAY, "ed-4-hour", float("nan")), "value"),
        (("RX1", DAY, "ga-occupancy", 90.0), "parameter"),  # computed, not entered
        (("RX1", DAY, "no-such", 1.0), "parameter"),
        (("rx1", DAY, "ed-4-hour", 70.0), "org_code"),
    ]:
        with pytest.raises(InvalidInput) as bad:
            OpelParameterEntered(*fields)
        assert bad.value.field == field, fields


def test_a_file_names_every_bad_line_and_keeps_nothing() -> None:
    text = (
        "org_code,date,parameter,value\n"
        "RX1,2026-03-30,ed-4-hour,74\n"
        "RX1,2026-03-30,ed-4-hour,75\n"  # twice in a day
        "RX1,30/03/2026,ed-12-hours,3\n"
        "RX1,2026-03-30,ed-12-hours,lots\n"
    )
    with pytest.raises(InvalidInput) as bad:
        read_opel_file(text, is_json=False)
    assert bad.value.problems == [  # type: ignore[attr-defined]
        "line 3, parameter: ed-4-hour is given twice that day",
        "line 4, date: '30/03/2026' is not a date (YYYY-MM-DD)",
        "line 5, value: 'lots' is not a number",
    ]
    found = read_opel_file(
        '[{"org_code": "RW1", "date": "2026-03-30", "parameter": "out-of-area", "value": 2}]', True
    )
    assert found == [OpelParameterEntered("RW1", DAY, "out-of-area", 2.0)]
    with pytest.raises(InvalidInput) as bad:
        read_opel_file(
            '[{"org_code": "RW1", "date": "2026-03-30", "parameter": "out-of-area"}]', True
        )
    assert bad.value.problems == ["item 1, value: is required"]  # type: ignore[attr-defined]


VALUES = st.floats(min_value=0, max_value=1000, allow_nan=False)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(DEFAULT_PARAMETERS), VALUES, VALUES)
def test_more_pressure_never_earns_fewer_points(parameter, a, b) -> None:  # type: ignore[no-untyped-def]
    low, high = sorted((a, b))
    if parameter.thresholds.falling:  # less is worse
        low, high = high, low
    assert 0 <= parameter.points(low) <= parameter.points(high) <= parameter.max_points


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 200), st.integers(0, 200), st.integers(0, 200)),
        min_size=1,
        max_size=4,
    )
)
def test_a_score_lies_within_its_providers_and_its_level_within_its_band(wards) -> None:  # type: ignore[no-untyped-def]
    providers = [
        provider_score(f"RA{n}", "A", ACUTE, _wards(WardType.ACUTE, beds, min(o, beds), min(n_, beds)), entries_on([], DAY), CHOSEN)
        for n, (beds, o, n_) in enumerate(wards)
    ]  # fmt: skip
    found = system_score("QX1", DAY, providers)
    scores = [p.score for p in providers if p.score is not None]
    assert found.score is not None and min(scores) - 1e-9 <= found.score <= max(scores) + 1e-9
    assert found.level == SCORE_BANDS.level(found.score)
    assert 0 <= found.score <= 100


def test_every_parameter_is_named_once() -> None:
    assert len({p.code for p in DEFAULT_PARAMETERS}) == len(DEFAULT_PARAMETERS)
    assert parameter_named("ed-4-hour").thresholds.falling
