"""One clock: `now()` (UTC) and `today()` (Europe/London) come from domain/clock.py, pinned by
HOMEFLOW_NOW or `pinned()`; nothing else in src reads the wall clock."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput
from tests.clock import SUMMER_NIGHT, SUMMER_NIGHT_DAY, pinned_env

SRC = Path(__file__).parents[2] / "src" / "homeflow"

# Around both changes of the clocks in 2026 (29 March 01:00 UTC, 25 October 01:00 UTC) and in
# midsummer and midwinter: the instant, then the day a ward in England calls today.
DAYS = [
    ("2026-03-28T23:30:00Z", date(2026, 3, 28)),  # GMT: still the 28th
    ("2026-03-29T00:59:59Z", date(2026, 3, 29)),  # the last second of GMT
    ("2026-03-29T23:30:00Z", date(2026, 3, 30)),  # BST: already the 30th
    ("2026-06-30T23:00:00Z", date(2026, 7, 1)),  # midnight BST: a new month
    ("2026-10-24T23:30:00Z", date(2026, 10, 25)),  # BST, the night the clocks go back
    ("2026-10-25T23:30:00Z", date(2026, 10, 25)),  # GMT again
    ("2026-12-31T23:59:59Z", date(2026, 12, 31)),  # GMT: still the old year
    ("2026-12-31T23:30:00-01:00", date(2027, 1, 1)),  # written with another offset
]


@pytest.mark.parametrize(("written", "day"), DAYS)
def test_homeflow_now_pins_now_and_todays_local_date(
    monkeypatch: pytest.MonkeyPatch, written: str, day: date
) -> None:
    monkeypatch.setenv(clock.NOW_VARIABLE, written)
    instant = datetime.fromisoformat(written)
    assert clock.now() == instant and clock.now().tzinfo is UTC
    assert clock.today() == day
    with clock.pinned(instant):  # the same day, pinned in the process
        monkeypatch.delenv(clock.NOW_VARIABLE)
        assert (clock.now(), clock.today()) == (instant, day)


def test_the_environment_reaches_processes_as_the_fixture_pins_this_one(
    pinned_clock: datetime,
) -> None:
    assert pinned_clock == SUMMER_NIGHT == clock.now()
    assert clock.today() == SUMMER_NIGHT_DAY != SUMMER_NIGHT.date()
    assert datetime.fromisoformat(pinned_env()[clock.NOW_VARIABLE]) == SUMMER_NIGHT


def test_unpinned_the_clock_is_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.NOW_VARIABLE, raising=False)
    before = datetime.now(UTC)
    now, today = clock.now(), clock.today()
    after = datetime.now(UTC)
    assert before <= now <= after and now.tzinfo is UTC
    assert clock.local_date(before) <= today <= clock.local_date(after)


def test_pinned_blocks_nest_and_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.NOW_VARIABLE, "2026-01-01T12:00:00Z")
    outer = datetime(2026, 5, 1, 9, tzinfo=timezone(timedelta(hours=1)))
    with clock.pinned(outer):
        assert clock.now() == outer and clock.now().tzinfo is UTC
        with clock.pinned(SUMMER_NIGHT):
            assert clock.now() == SUMMER_NIGHT
        assert clock.now() == outer
    assert clock.now() == datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "written", ["tomorrow", "2026-13-01T00:00:00Z", "2026-07-01T12:00:00", "2026-07-01"]
)
def test_a_homeflow_now_that_is_not_an_instant_with_its_zone_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    monkeypatch.setenv(clock.NOW_VARIABLE, written)
    with pytest.raises(InvalidInput) as refused:
        clock.now()
    assert refused.value.field == clock.NOW_VARIABLE


def test_a_naive_instant_cannot_be_pinned() -> None:
    with pytest.raises(InvalidInput), clock.pinned(datetime(2026, 7, 1, 12)):
        pass
    assert not clock._PINNED


# How code reads the wall clock, other than through the clock: datetime.now/utcnow/today,
# date.today, time.time (an instant; time.monotonic and loop.time measure durations).
WALL_CLOCK = re.compile(r"\b(?:datetime\.(?:now|utcnow|today)|date\.today|time\.time(?:_ns)?)\(")


def test_nothing_in_src_reads_the_wall_clock_but_the_clock() -> None:
    readers = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        if path != SRC / "domain" / "clock.py"
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if WALL_CLOCK.search(line)
    ]
    assert readers == []
    assert WALL_CLOCK.search((SRC / "domain" / "clock.py").read_text("utf-8"))


def _reads_the_present(path: Path) -> list[str]:
    """Where a module calls clock.now/clock.today or imports now/today from the clock."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module in ("homeflow.domain.clock", "clock"):
            found += [f"{path.name}:{node.lineno}" for a in node.names if a.name in PRESENT]
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "clock"
            and node.attr in PRESENT
        ):
            found.append(f"{path.name}:{node.lineno}")
    return found


PRESENT = {"now", "today"}


@pytest.mark.parametrize("layer", ["domain", "reports", "demo", "forecasting"])
def test_the_rules_and_calculations_are_given_the_day_and_never_read_the_clock(
    layer: str,
) -> None:
    """They take `today`/`now` as arguments, so the same inputs always give the same answer."""
    readers = [
        place
        for path in sorted((SRC / layer).rglob("*.py"))
        if path != SRC / "domain" / "clock.py"
        for place in _reads_the_present(path)
    ]
    assert readers == []


@pytest.mark.parametrize(
    ("text", "today", "problem"),
    [
        ("2026-11", date(2026, 12, 1), None),  # its last day ended at midnight
        ("11/2026", date(2026, 12, 1), None),  # as people here write a month
        ("11/2026", date(2026, 12, 5), None),
        (
            "2026-12",
            date(2026, 12, 31),
            "2026-12 has not ended yet: the last whole month is 11/2026",
        ),
        ("01/2027", date(2026, 12, 5), "has not ended yet"),
        ("2027-01", date(2026, 12, 5), "has not ended yet"),
        ("2026-13", date(2026, 12, 5), "'2026-13' is not a month (mm/yyyy)"),
        ("13/2026", date(2026, 12, 5), "is not a month"),
        ("2026/11", date(2026, 12, 5), "is not a month"),  # the year first takes a dash
        ("11-2026", date(2026, 12, 5), "is not a month"),  # the month first takes a slash
        ("11/26", date(2026, 12, 5), "is not a month"),
        ("October", date(2026, 12, 5), "is not a month"),
        ("2026-10-01", date(2026, 12, 5), "is not a month"),
        ("01/11/2026", date(2026, 12, 5), "is not a month"),
        ("9999-01", date(2026, 12, 5), "is not a month"),
    ],
)
def test_a_month_has_ended_when_its_last_day_has(
    text: str, today: date, problem: str | None
) -> None:
    if problem is None:
        assert clock.ended_month("month", text, today) == (2026, 11)
        return
    with pytest.raises(InvalidInput) as refused:
        clock.ended_month("month", text, today)
    assert refused.value.field == "month" and problem in refused.value.reason


@pytest.mark.parametrize(
    ("today", "shown"),
    [
        (date(2026, 12, 5), "11/2026"),
        (date(2027, 1, 1), "12/2026"),  # the year before, on New Year's Day
        (date(2026, 3, 31), "02/2026"),
    ],
)
def test_the_last_whole_month_is_the_one_before_todays(today: date, shown: str) -> None:
    last = clock.last_whole_month(today)
    assert clock.format_month(*last) == shown
    assert clock.ended_month("month", shown, today) == last
