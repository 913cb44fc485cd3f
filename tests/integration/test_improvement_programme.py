"""The improvement programme on the demo, through the real commands on both engines: the
demo's integrated discharge team shows as special-cause improvement in its PDSA, the cycle on
a measure the demo did not change shows no signal, and the smart list ranks every place with
its reasons."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from homeflow.demo.improvement import PROJECT, SYSTEM, idt_start
from homeflow.services.projects import changes_between
from homeflow.store import db
from tests.conftest import ENGINES, demo_database
from tests.support import homeflow

END = date(2026, 3, 29)


@pytest.fixture(scope="module", params=ENGINES)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    # 112 days: ten whole weeks before the team starts, four after.
    with demo_database(
        request.param,
        tmp_path_factory.mktemp("programme"),
        "--days",
        "112",
        "--end",
        END.isoformat(),
        "--seed",
        "6",
    ) as url:
        yield url


def as_json(url: str, *args: str) -> list[dict[str, object]]:
    done = homeflow(url, *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_the_demo_pdsa_shows_the_change_and_the_control_shows_none(demo_url: str) -> None:
    cycles = {
        row["pdsa"]: row
        for row in as_json(
            demo_url, "pdsa", "list", "--date", (END + timedelta(days=1)).isoformat()
        )
    }
    team = cycles["idt-bridging-1"]
    assert team["change_date"] == idt_start(END).isoformat()
    assert team["verdict"] == "special-cause improvement"
    assert float(team["after_mean"]) < float(team["baseline_mean"])  # type: ignore[arg-type]
    control = cycles["eastfield-lounge-1"]
    assert control["verdict"] == "no signal yet"
    assert control["prediction_held"] is False
    # Studied before the change was made, the same cycle has nothing to judge yet.
    early = {
        row["pdsa"]: row
        for row in as_json(demo_url, "pdsa", "list", "--date", idt_start(END).isoformat())
    }
    assert early["idt-bridging-1"]["verdict"] == "no signal yet"
    assert early["idt-bridging-1"]["points_needed"] == 7


@pytest.mark.parametrize("level", ["org", "site"])
def test_the_smart_list_ranks_every_place_with_reasons(demo_url: str, level: str) -> None:
    rows = as_json(demo_url, "smart-list", "--date", END.isoformat(), "--level", level)
    places = [row["place"] for row in rows]
    expected = {"org": {"RX1", "RX2", "RY1", "RW1"}, "site": {"RX101", "RX102", "RX201"}}[level]
    assert expected <= set(places)
    assert [row["rank"] for row in rows] == list(range(1, len(rows) + 1))
    segments = [(row["segment"], row["score"]) for row in rows]
    assert segments == sorted(segments, reverse=True)
    for row in rows:
        assert 1 <= int(row["segment"]) <= 4  # type: ignore[call-overload]
        assert str(row["reasons"]).startswith("mean measure score")
    # The community trust owns the demo's overdue action (recruiting bridging workers).
    if level == "org":
        ry1 = next(row for row in rows if row["place"] == "RY1")
        assert "1 overdue actions (+0.25)" in str(ry1["reasons"])
        assert not any("overdue" in str(row["reasons"]) for row in rows if row["place"] != "RY1")


def test_a_bad_date_or_level_is_refused(demo_url: str) -> None:
    done = homeflow(demo_url, "smart-list", "--date", "29/03/2026")
    assert done.returncode == 2 and "--date: '29/03/2026' is not a date" in done.stderr
    done = homeflow(demo_url, "smart-list", "--date", END.isoformat(), "--level", "ward")
    assert done.returncode == 2 and "ward" in done.stderr


def test_a_check_of_the_model_names_the_changes_in_practice_in_its_days(demo_url: str) -> None:
    """The demo's team and lounge start on the same Monday: a check whose days cross it names
    both beside its table, as the history before them cannot hold them."""
    start = idt_start(END)
    done = homeflow(
        demo_url, "validate", "--to", str(start - timedelta(days=2)), "--days", "7", "--reps", "5"
    )
    assert done.returncode == 0, done.stderr
    named = " ".join(done.stderr.split())  # the console folds long lines
    for idea in (
        "Integrated discharge team bridges reablement at home for pathway 1 (site RX101)",
        "Discharge lounge at Eastfield opens at 08:00 (site RX201)",
    ):
        assert f"falls in these days: {start:%d/%m/%Y}, {idea}" in named
    # Days that end the day before it hold no change.
    engine = db.connect(demo_url)
    try:
        assert changes_between(engine, start - timedelta(days=7), start - timedelta(days=1)) == []
        assert [c.day for c in changes_between(engine, start, start)] == [start, start]
        # The page lists its viewer's system's, each opening to its cycle.
        own = changes_between(engine, start, start, SYSTEM)
        assert {(c.system, c.project_id, c.pdsa_id) for c in own} == {
            (SYSTEM, PROJECT, "idt-bridging-1"),
            (SYSTEM, PROJECT, "eastfield-lounge-1"),
        }
        assert changes_between(engine, start, start, "QZZ") == []
    finally:
        engine.dispose()
