"""A measure homeflow does not compute, kept as a manual series: imported by the real command,
followed by a PDSA, studied like any KPI; bad points refused by line."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from homeflow.demo import system
from homeflow.domain.errors import InvalidInput
from homeflow.domain.improvement.records import PdsaRecorded
from homeflow.services.projects import pdsa_rows, record
from homeflow.store.registry import save_registry
from tests.conftest import url_of
from tests.support import homeflow

START = date(2026, 1, 5)
# Twelve weeks of a falls audit near 10 a week, then eight after the change near 6.
BEFORE = [10.0, 11.0, 9.0, 10.0, 12.0, 10.0, 9.0, 11.0, 10.0, 10.0, 11.0, 9.0]
POINTS = [*BEFORE, 6.0, 5.0, 7.0, 6.0, 5.0, 6.0, 7.0, 6.0]
CHANGE = START + timedelta(weeks=12)


def pdsa(place: str) -> PdsaRecorded:
    return PdsaRecorded(
        system="QDE",
        project_id="falls",
        pdsa_id="bed-rails",
        change_idea="Bed-rail checks",
        kpi="manual",
        level="series",
        place=place,
        change_date=CHANGE,
        prediction="Falls halve",
        predicted_value=6.5,
    )


@pytest.fixture
def registry(engine: Engine) -> Engine:
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    return engine


def test_a_pdsa_on_a_manual_series_is_studied_like_a_kpi(registry: Engine, tmp_path: Path) -> None:
    sheet = tmp_path / "falls.csv"
    sheet.write_text(
        "date,value\n"
        + "".join(f"{START + timedelta(weeks=n)},{v:g}\n" for n, v in enumerate(POINTS))
    )
    done = homeflow(
        url_of(registry),
        "series",
        "import",
        str(sheet),
        "--id",
        "falls-audit",
        "--system",
        "QDE",
        "--title",
        "Falls a week",
        "--better",
        "lower",
    )
    assert done.returncode == 0, done.stderr
    assert "series falls-audit: 20 points" in done.stderr
    record(registry, [pdsa("falls-audit")], None, "test")
    (row,) = pdsa_rows(registry, START + timedelta(weeks=21))
    assert (row["verdict"], row["prediction_held"]) == ("special-cause improvement", True)
    assert (row["baseline_mean"], row["after_mean"]) == (pytest.approx(10.167, abs=0.001), 6.0)


def test_a_pdsa_on_a_series_that_does_not_exist_is_refused(registry: Engine) -> None:
    with pytest.raises(InvalidInput) as refused:
        record(registry, [pdsa("no-such-series")], None, "test")
    assert (refused.value.field, refused.value.reason) == (
        "kpi",
        "'no-such-series' is not a manual series (kpi manual, level series)",
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("date,value\n2026-01-05,ten\n", "error: line 2, value: 'ten' is not a number"),
        ("date,value\n2026-01-05,nan\n", "error: line 2, value: 'nan' is not a number"),
        (
            "date,value\n05/01/2026,1\n",
            "error: line 2, date: '05/01/2026' is not a date (YYYY-MM-DD)",
        ),
        ("day,value\n2026-01-05,1\n", "error: FILE: the file needs the columns date and value"),
        ("date,value\n2026-01-05,1\n2026-01-05,2\n", "error: points: a date is there twice"),
    ],
)
def test_bad_points_are_refused_by_line(
    registry: Engine, tmp_path: Path, text: str, problem: str
) -> None:
    sheet = tmp_path / "bad.csv"
    sheet.write_text(text)
    done = homeflow(
        url_of(registry),
        "series",
        "import",
        str(sheet),
        "--id",
        "falls-audit",
        "--system",
        "QDE",
        "--title",
        "Falls",
        "--better",
        "lower",
    )
    assert done.returncode == 2
    assert done.stderr.strip() == problem
