"""Outcomes after discharge, case by case from their definitions (docs/outcomes.md)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from homeflow.domain.after_discharge.outcomes import (
    Discharge,
    ascof_2b1,
    bedded_placements,
    first_support,
    latest_versions,
    more_independent,
    readmitted_within,
    within_plan,
)
from homeflow.domain.after_discharge.records import (
    SupportEpisodeRecorded,
    SupportKind,
    SupportOutcome,
    WhereAt91Days,
)
from homeflow.domain.errors import InvalidInput

DAY = date(2026, 6, 1)
AS_OF = DAY + timedelta(days=120)


def out(key: str, age: int = 80, pathway: str | None = "P1", died: bool = False, again: int | None = None, day: date = DAY) -> Discharge:  # fmt: skip
    return Discharge(key, day, pathway, age, "RX101", "RX1", died, again)


def support(key: str, kind: SupportKind = SupportKind.REABLEMENT, **more: object) -> SupportEpisodeRecorded:  # fmt: skip
    fields: dict[str, object] = {"start": DAY, **more}
    return SupportEpisodeRecorded(f"E-{key}-{kind}", key, kind, "LAR01", **fields)  # type: ignore[arg-type]


def test_ascof_2b1_counts_older_people_reabled_home_at_91_days() -> None:
    discharges = [
        out("home"),
        out("care-home"),
        out("died-later"),
        out("not-traced"),
        out("unrecorded"),
        out("young", age=64),  # under 65: not in it
        out("home-care-first"),  # first support was not reablement: not in it
        out("died-in-hospital", died=True),
        out("not-yet", day=AS_OF - timedelta(days=90)),  # 91 days not yet passed
    ]
    episodes = [
        support("home", at_91_days=WhereAt91Days.AT_HOME),
        support("care-home", at_91_days=WhereAt91Days.CARE_HOME),
        support("died-later", at_91_days=WhereAt91Days.DIED),
        support("not-traced", at_91_days=WhereAt91Days.NOT_TRACED),
        support("unrecorded"),
        support("young", at_91_days=WhereAt91Days.AT_HOME),
        support("home-care-first", SupportKind.HOME_CARE),
        support("home-care-first", at_91_days=WhereAt91Days.AT_HOME, start=DAY + timedelta(days=3)),
        support("not-yet", start=AS_OF - timedelta(days=90)),
    ]
    rate = ascof_2b1(discharges, first_support(episodes), AS_OF)
    assert rate.counted == ("home",)
    assert rate.of == ("home", "care-home", "died-later", "not-traced", "unrecorded")
    assert rate.waiting == 1 and rate.percent == 20.0


def test_ascof_2b1_on_the_91st_day_itself() -> None:
    """By hand from the ASCOF 2B(1) definition (docs/outcomes.md): people 65 or over at
    discharge into reablement, at home on the 91st day after the day they left. Asked on
    31 August 2026 (DAY + 91):
    - left 1 June: the 91st day is today, it has come: in the denominator; at home: counted;
    - left 2 June: the 91st day is tomorrow: not yet due;
    - 65 on the day they left: in; 64: not;
    - readmitted in between but at home on the 91st day: counted (only day 91 matters);
    - in hospital on the 91st day: in the denominator, not at home.
    So 2 of 4, one waiting."""
    as_of = DAY + timedelta(days=91)
    tomorrow = DAY + timedelta(days=1)
    discharges = [
        out("day-91"),
        out("day-90", day=tomorrow),
        out("aged-65", age=65),
        out("aged-64", age=64),
        out("readmitted-home", again=10),
        out("in-hospital", again=80),
    ]
    episodes = [
        support("day-91", at_91_days=WhereAt91Days.AT_HOME),
        support("day-90", start=tomorrow, at_91_days=WhereAt91Days.AT_HOME),
        support("aged-65", at_91_days=WhereAt91Days.CARE_HOME),
        support("aged-64", at_91_days=WhereAt91Days.AT_HOME),
        support("readmitted-home", at_91_days=WhereAt91Days.AT_HOME),
        support("in-hospital", at_91_days=WhereAt91Days.HOSPITAL),
    ]
    rate = ascof_2b1(discharges, first_support(episodes), as_of)
    assert rate.of == ("day-91", "aged-65", "readmitted-home", "in-hospital")
    assert rate.counted == ("day-91", "readmitted-home")
    assert rate.waiting == 1 and rate.percent == 50.0


def test_bedded_placements_are_p2_and_p3_of_those_needing_support() -> None:
    rate = bedded_placements(
        [
            out("a", pathway="P1"),
            out("b", pathway="P2"),
            out("c", pathway="P3"),
            out("d", pathway="P0"),
            out("e", pathway=None),
            out("f", pathway="P2", died=True),
        ]
    )
    assert rate.counted == ("b", "c") and rate.of == ("a", "b", "c")


def test_more_independent_is_no_support_or_fewer_hours_at_the_end() -> None:
    end = DAY + timedelta(days=40)
    episodes = [
        support("none", end=end, outcome=SupportOutcome.NO_ONGOING_SUPPORT),
        support(
            "fewer",
            end=end,
            outcome=SupportOutcome.REDUCED_PACKAGE,
            hours_at_start=14.0,
            hours_at_end=7.0,
        ),
        support(
            "same",
            end=end,
            outcome=SupportOutcome.SAME_PACKAGE,
            hours_at_start=14.0,
            hours_at_end=14.0,
        ),
        support("open"),  # not ended: not counted either way
        support("bed", SupportKind.D2A_BED, end=end, outcome=SupportOutcome.NO_ONGOING_SUPPORT),
    ]
    rate = more_independent(episodes, DAY, end)
    assert rate.counted == ("E-none-reablement", "E-fewer-reablement")
    assert len(rate.of) == 3


def test_readmissions_count_once_their_days_have_passed() -> None:
    discharges = [
        out("soon", again=5), out("day-30", again=30), out("day-31", again=31),
        out("never"), out("recent", day=AS_OF - timedelta(days=10), again=2),
        out("other-pathway", pathway="P0", again=1),
    ]  # fmt: skip
    thirty = readmitted_within(discharges, 30, AS_OF, "P1")
    assert thirty.counted == ("soon", "day-30") and len(thirty.of) == 4 and thirty.waiting == 1
    ninety_one = readmitted_within(discharges, 91, AS_OF, "P1")
    assert ninety_one.counted == ("soon", "day-30", "day-31")


def test_within_plan_and_latest_versions() -> None:
    planned = DAY + timedelta(days=42)
    first = support("a", planned_end=planned)
    ended = support("a", planned_end=planned, end=planned + timedelta(days=1), outcome=SupportOutcome.SAME_PACKAGE)  # fmt: skip
    on_time = support("b", planned_end=planned, end=planned, outcome=SupportOutcome.SAME_PACKAGE)
    latest = latest_versions([first, on_time, ended])
    assert latest == [ended, on_time]
    rate = within_plan(latest, DAY, planned + timedelta(days=5))
    assert rate.counted == ("E-b-reablement",) and len(rate.of) == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"end": DAY - timedelta(days=1)}, "end"),
        ({"planned_end": DAY - timedelta(days=1)}, "planned_end"),
        ({"hours_at_start": -1.0}, "hours_at_start"),
        ({"hours_at_end": 3.0}, "hours_at_end"),  # hours at the end of an episode not ended
        ({"outcome": SupportOutcome.DIED}, "outcome"),
    ],
)
def test_an_impossible_episode_names_its_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        support("x", **fields)
    assert refused.value.field == field


def test_the_flow_from_pathway_to_91_days() -> None:
    from homeflow.domain.after_discharge.outcomes import NO_EPISODE, flow_at_91_days

    discharges = [
        out("home-1"),
        out("home-2"),
        out("untraced"),
        out("nothing"),
        out("bed", pathway="P2"),
        out("p0", pathway="P0"),  # needed no support: not in the flow
        out("died", died=True),
        out("recent", day=AS_OF - timedelta(days=10)),
    ]
    episodes = [
        support("home-1", at_91_days=WhereAt91Days.AT_HOME),
        support("home-2", SupportKind.HOME_CARE, at_91_days=WhereAt91Days.AT_HOME),
        support("untraced"),
        support("bed", SupportKind.D2A_BED, at_91_days=WhereAt91Days.CARE_HOME),
        support("recent", at_91_days=WhereAt91Days.AT_HOME),
    ]
    flows = flow_at_91_days(discharges, first_support(episodes), AS_OF)
    assert {k: (v.counted, len(v.of)) for k, v in flows.items()} == {
        ("P1", "at-home"): (("home-1", "home-2"), 4),
        ("P1", "not-traced"): (("untraced",), 4),
        ("P1", NO_EPISODE): (("nothing",), 4),
        ("P2", "care-home"): (("bed",), 1),
    }


def test_independence_by_who_referred() -> None:
    from homeflow.domain.after_discharge.outcomes import INDEPENDENT, outcomes
    from homeflow.domain.after_discharge.records import Referrer

    end = DAY + timedelta(days=40)
    episodes = [
        support("a", end=end, outcome=SupportOutcome.NO_ONGOING_SUPPORT),
        support(
            "a",
            SupportKind.HOME_CARE,
            end=end,
            outcome=SupportOutcome.SAME_PACKAGE,
            referrer=Referrer.REVIEW,
        ),
    ]
    rows = {r.measure: r.rate for r in outcomes([out("a")], episodes, DAY, end, AS_OF, lambda d: "QDE")}  # fmt: skip
    assert rows[f"{INDEPENDENT}, referred by hospital"].counted == ("E-a-reablement",)
    review = rows[f"{INDEPENDENT}, referred by review"]
    assert review.counted == () and review.of == ("E-a-home-care",)
    assert rows[f"{INDEPENDENT}, referred by community"].of == ()
