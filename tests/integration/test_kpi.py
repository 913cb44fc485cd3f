"""KPIs: each checked by hand on a small constructed system, and end to end through the CLI."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeflow.domain.activity import Admission, ChcCase, DayRating, Discharge, KpiData, Place
from homeflow.domain.errors import InvalidInput
from homeflow.domain.flow import WardDay
from homeflow.reports.kpi import (
    KPIS,
    Level,
    Period,
    Readmitted,
    change_from_baseline,
    compute_kpi,
    counted_discharges,
    kpi_data_of,
    periods,
)
from homeflow.reports.targets import published_targets
from tests.conftest import ENGINES, demo_database
from tests.support import homeflow

MON = date(2026, 11, 2)
PLACES = {
    "A1": Place("A1", "S1", "T1", 20),
    "A2": Place("A2", "S1", "T1", 30),
    "B1": Place("B1", "S2", "T2", 50),
}


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def census_row(day: date, ward: str, **counts: int) -> WardDay:
    return WardDay(day, ward, **counts)


def values(name: str, level: Level, data: KpiData, period: Period = Period.DAILY) -> dict:
    found = compute_kpi(name, level, MON, MON + timedelta(days=6), period, data)
    return {(v.period_start, v.place, v.measure): v.value for v in found}


def test_census_kpis_add_up_wards_into_sites_orgs_and_the_system() -> None:
    data = KpiData(
        PLACES,
        [
            census_row(MON, "A1", occupied=18, nctr=4, stranded=6, discharges=4, discharges_before_noon=1),
            census_row(MON, "A2", occupied=27, nctr=2, stranded=3, discharges=6, discharges_before_noon=3),
            census_row(MON, "B1", occupied=45, nctr=10, stranded=20, discharges=10, discharges_before_noon=2),
        ],
    )  # fmt: skip
    per_100 = values("nctr-per-100-beds", Level.SITE, data)
    assert per_100[(MON, "S1", "")] == pytest.approx(100 * 6 / 50)
    assert per_100[(MON, "S2", "")] == pytest.approx(100 * 10 / 50)
    noon = values("discharged-before-noon-pct", Level.SYSTEM, data)
    assert noon[(MON, "system", "")] == pytest.approx(100 * 6 / 20)
    # A day with no census row at a place counts as zero patients, not as missing.
    assert values("nctr", Level.ORG, data)[(MON + timedelta(days=1), "T1", "")] == 0
    weekly = values("delayed-bed-days", Level.ORG, data, Period.WEEKLY)
    assert weekly == {(MON, "T1", ""): 6, (MON, "T2", ""): 10}
    stranded_mean = values("stranded", Level.ORG, data, Period.WEEKLY)
    assert stranded_mean[(MON, "T2", "")] == pytest.approx(20 / 7)


@pytest.mark.parametrize("period", [Period.DAILY, Period.WEEKLY])
def test_one_places_records_give_its_every_kpi_as_the_whole_systems_do(period: Period) -> None:
    """The Measures page computes a place's KPIs from its own records (`kpi_data_of`): each
    value, and the readmission found at another trust, as when every place is computed."""
    tue = MON + timedelta(days=1)
    data = KpiData(
        PLACES,
        [
            census_row(MON, "A1", occupied=18, nctr=4, stranded=6, discharges=2),
            census_row(tue, "A2", occupied=27, nctr=2, super_stranded=1, discharges_before_noon=1),
            census_row(MON, "B1", occupied=45, nctr=10, stranded=20, discharges=10),
        ],
        [
            Discharge("p1", "A1", at(MON - timedelta(days=10), 9), at(tue, 11), False, "P1", MON),
            Discharge("p2", "B1", at(MON - timedelta(days=3), 9), at(tue, 15), False, "P0", None),
        ],
        # p1 comes back to the other trust's site (the admission names no ward): it counts.
        [Admission("p1", at(tue + timedelta(days=2), 8), True)],
        ratings=[DayRating("A1", MON, True), DayRating("B1", MON, True)],
    )
    for name, kpi in KPIS.items():
        if kpi.weekly_only and period is Period.DAILY:
            continue
        for level, place in ((Level.SITE, "S1"), (Level.ORG, "T2"), (Level.SYSTEM, "system")):
            whole = {k: v for k, v in values(name, level, data, period).items() if k[1] == place}
            alone = values(name, level, kpi_data_of(data, level, place), period)
            assert alone == whole, (name, level, place)


def test_stay_kpis_from_discharges() -> None:
    tue = MON + timedelta(days=1)
    discharges = [
        Discharge("p1", "A1", at(MON - timedelta(days=10), 9), at(tue, 11), False, "P1", tue - timedelta(days=3)),
        Discharge("p2", "A1", at(MON - timedelta(days=2), 9), at(tue, 15), False, "P0", None),
        Discharge("p3", "A2", at(MON - timedelta(days=5), 9), at(tue, 16), True, None, None),
        Discharge("p4", "A2", at(MON - timedelta(days=21), 9), at(tue, 10), False, "P1", tue - timedelta(days=1)),
    ]  # fmt: skip
    admissions = [
        Admission("p1", at(tue + timedelta(days=5), 8), True),  # back within 7 days
        Admission("p2", at(tue + timedelta(days=20), 8), True),  # within 30, not 7
        Admission("p4", at(tue + timedelta(days=3), 8), False),  # elective: not a readmission
    ]
    data = KpiData(PLACES, [], discharges, admissions)
    site = (tue, "S1")
    assert values("mean-los", Level.SITE, data)[(*site, "")] == pytest.approx((11 + 3 + 6 + 22) / 4)
    assert values("median-los", Level.SITE, data)[(*site, "")] == pytest.approx((6 + 11) / 2)
    assert values("deaths-in-hospital-pct", Level.SITE, data)[(*site, "")] == pytest.approx(25)
    mix = values("pathway-mix", Level.SITE, data)
    assert (mix[(*site, "P0")], mix[(*site, "P1")], mix[(*site, "P2")]) == pytest.approx(
        (100 / 3, 200 / 3, 0)
    )
    ready = values("ready-to-discharge-days", Level.SITE, data)
    assert ready[(*site, "P1")] == pytest.approx((3 + 1) / 2)
    assert ready[(*site, "P2")] is None  # nobody on pathway 2: no value, not zero
    assert values("readmissions-7-day", Level.SITE, data)[(*site, "")] == pytest.approx(100 / 3)
    assert values("readmissions-30-day", Level.SITE, data)[(*site, "")] == pytest.approx(200 / 3)


def test_discharge_ready_date_kpis_count_as_the_monthly_measures() -> None:
    tue = MON + timedelta(days=1)
    discharges = [
        Discharge("p1", "A1", at(MON - timedelta(days=10), 9), at(tue, 11), False, "P1", tue - timedelta(days=3)),
        Discharge("p2", "A1", at(MON - timedelta(days=2), 9), at(tue, 15), False, "P0", None),  # reads as on it
        Discharge("p3", "A2", at(MON - timedelta(days=5), 9), at(tue, 16), True, None, tue - timedelta(days=5)),  # died
        Discharge("p4", "A2", at(tue, 8), at(tue, 18), False, "P0", None),  # no night in hospital
        Discharge("p5", "A2", at(MON, 9), at(tue, 10), False, "P1", tue),
        Discharge("p6", "B1", at(MON, 9), at(tue, 12), False, "P1", tue + timedelta(days=2)),  # left before it
    ]  # fmt: skip
    data = KpiData(PLACES, [], discharges)
    on_it = compute_kpi("discharged-on-ready-date-pct", Level.SYSTEM, tue, tue, Period.DAILY, data)
    assert [(v.numerator, v.denominator) for v in on_it] == [(3, 4)]  # p2, p5, p6 of 4
    after = values("days-after-ready-date", Level.SITE, data)
    assert after[(tue, "S1", "")] == pytest.approx(3.0)  # p1 alone, 3 days
    assert after[(tue, "S2", "")] is None  # nobody discharged after their ready date
    listed = counted_discharges("discharged-on-ready-date-pct", "", discharges, Readmitted([]))
    assert [d.patient_id for d in listed] == ["p2", "p5", "p6"]


def test_chc_red_days_and_the_weekend_ratio() -> None:
    chc = [
        ChcCase("B1", MON - timedelta(days=30), MON, True, MON + timedelta(days=1)),  # 31 days
        ChcCase("B1", MON - timedelta(days=10), MON, False, MON + timedelta(days=2)),  # 12 days
        ChcCase("B1", None, MON + timedelta(days=3), True, None),
    ]
    ratings = [DayRating("B1", MON, True), DayRating("B1", MON, False), DayRating("B1", MON, True)]
    census = [census_row(MON + timedelta(days=n), "B1", occupied=10, discharges=(4 if n < 5 else 1)) for n in range(7)]  # fmt: skip
    data = KpiData(PLACES, census, chc=chc, ratings=ratings)
    weekly = {
        name: values(name, Level.ORG, data, Period.WEEKLY)[(MON, "T2", "")]
        for name in ("chc-acute-assessment-pct", "chc-28-day-pct", "red-days-pct", "weekend-weekday-discharge-ratio")
    }  # fmt: skip
    assert weekly == pytest.approx(
        {
            "chc-acute-assessment-pct": 100 * 2 / 3,
            "chc-28-day-pct": 50.0,
            "red-days-pct": 100 * 2 / 70,
            "weekend-weekday-discharge-ratio": 1 / 4,
        }
    )
    with pytest.raises(InvalidInput) as refused:
        compute_kpi("weekend-weekday-discharge-ratio", Level.ORG, MON, MON, Period.DAILY, data)
    assert refused.value.field == "period"


@given(st.dates(date(2020, 1, 1), date(2030, 1, 1)), st.integers(0, 60))
def test_weeks_cover_every_day_once_and_start_on_monday_inside_the_range(
    first: date, length: int
) -> None:
    last = first + timedelta(days=length)
    weeks = periods(first, last, Period.WEEKLY)
    days = [d for week in weeks for d in week]
    assert days == [first + timedelta(days=n) for n in range(length + 1)]
    assert all(week[0].weekday() == 0 for week in weeks[1:])
    assert all(len(week) <= 7 and (week[-1] - week[0]).days == len(week) - 1 for week in weeks)


def test_baseline_change_and_published_targets() -> None:
    data = KpiData(
        PLACES,
        [
            census_row(MON, "B1", stranded=20),
            census_row(MON + timedelta(days=1), "B1", stranded=12),
        ],
    )
    found = compute_kpi("stranded", Level.ORG, MON, MON + timedelta(days=1), Period.DAILY, data)
    changes = change_from_baseline(found, MON)
    by_day = {(v.period_start, v.place): changes[i] for i, v in enumerate(found)}
    assert by_day[(MON + timedelta(days=1), "T2")] == pytest.approx(-40.0)
    assert by_day[(MON, "T1")] is None  # no stranded patients at baseline: no % change
    targets = published_targets()
    assert targets["stranded"].on_change and targets["stranded"].value == -40
    assert targets["stranded"].met_by(-40.0) and not targets["stranded"].met_by(-10.0)
    assert targets["discharged-before-noon-pct"].met_by(35.0)
    assert "delayed-bed-days" not in targets  # "locally set": each system sets its own


# ---- Through the CLI, on the demo system ------------------------------------------------------

END = "2026-03-31"


@pytest.fixture(scope="module", params=ENGINES)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    # The demo test_simulation.py reads (60 days, seed 4): one template built for both.
    with demo_database(
        request.param, tmp_path_factory.mktemp("kpi"), "--days", "60", "--end", END, "--seed", "4"
    ) as url:
        yield url


def test_ward_kpis_match_the_census_and_every_kpi_runs(demo_url: str, tmp_path: Path) -> None:
    out = tmp_path / "nctr.csv"
    done = homeflow(demo_url, "kpi", "nctr", "--level", "ward", "--from", "2026-03-25", "--to", END, "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    kpi = {(r["period_start"], r["place"]): float(r["value"]) for r in csv.DictReader(out.open())}
    for day in ("2026-03-25", END):
        census = json.loads(homeflow(demo_url, "census", "--date", day, "--format", "json").stdout)
        assert {r["ward_code"]: float(r["nctr"]) for r in census} == {
            place: value for (d, place), value in kpi.items() if d == day
        }
    # Every KPI over the same weeks, in one process (the CLI path is the same function).
    from homeflow import api

    for name in KPIS:
        frame = api.kpi(
            name, "2026-03-16", END, period="weekly", baseline="2026-03-16", url=demo_url
        )
        assert not frame.empty and set(frame["kpi"]) == {name}, name
        assert frame["value"].notna().any() or name.startswith("chc"), name  # CHC is rare
    workbook = tmp_path / "pathway-mix.xlsx"
    done = homeflow(demo_url, "kpi", "pathway-mix", "--period", "weekly", "--from", "2026-03-16", "--to", END, "--out", str(workbook))  # fmt: skip
    assert done.returncode == 0, done.stderr
    from openpyxl import load_workbook

    rows = list(load_workbook(workbook).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("period_start", "period_end", "level", "place")
    assert {row[5] for row in rows[1:]} == {"P0", "P1", "P2", "P3", "not recorded"}


def test_bad_kpi_options_name_the_option(demo_url: str, tmp_path: Path) -> None:
    out = str(tmp_path / "x.csv")
    unknown = homeflow(demo_url, "kpi", "happiness", "--from", END, "--to", END, "--out", out)
    assert unknown.returncode == 2 and "NAME" in unknown.stderr and "nctr" in unknown.stderr
    backwards = homeflow(demo_url, "kpi", "nctr", "--from", END, "--to", "2026-03-01", "--out", out)
    assert backwards.returncode == 2 and "--to" in backwards.stderr
    outside = homeflow(demo_url, "kpi", "nctr", "--from", END, "--to", END, "--baseline", "31-03-2026", "--out", out)  # fmt: skip
    assert outside.returncode == 2 and "--baseline" in outside.stderr
    listed = homeflow(demo_url, "kpi", "list")
    assert listed.returncode == 0 and all(name in listed.stdout for name in KPIS)


# What the report draws of what it read is the same on either engine; every KPI it reads runs
# on PostgreSQL in the test above.
@pytest.mark.one_engine
def test_the_weekly_report_draws_every_system_measure(demo_url: str, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    done = homeflow(demo_url, "report", "weekly", "--date", END, "--out", str(html))
    assert done.returncode == 0, done.stderr
    text = html.read_text()
    charts = text.count("<svg")
    assert charts >= 10 and text.count('class="chart"') == charts
    assert "RX1" in text and "25 Mar to 31 Mar 2026" in text
    pdf = tmp_path / "report.pdf"
    done = homeflow(demo_url, "report", "weekly", "--date", END, "--out", str(pdf))
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    # A wrong --out is refused before the database is read (drawing takes seconds): here there
    # is no database at all, and the refusal still names --out.
    nowhere = f"sqlite:///{tmp_path / 'missing' / 'none.db'}"
    wrong = homeflow(nowhere, "report", "weekly", "--date", END, "--out", str(tmp_path / "r.docx"))
    assert wrong.returncode == 2 and "--out" in wrong.stderr and "docx" in wrong.stderr


def test_an_spc_spec_draws_the_chart_it_is_given() -> None:
    from homeflow.reports.charts import spc_spec
    from homeflow.reports.spc import Better, spc_chart

    days = [MON + timedelta(days=n) for n in range(20)]
    chart = spc_chart(days, [10.0] * 12 + [30.0] * 8, Better.LOWER, target=12)
    spec = spc_spec(chart, "NCTR", target=12)
    points = spec["data"]["values"]
    assert [p["value"] for p in points] == [p.value for p in chart.points]
    assert {p["variation"] for p in points[-8:]} == {"special cause concern (high)"}
    fields = [layer["encoding"].get("y", {}).get("field") for layer in spec["layer"]]
    assert {"value", "mean", "lpl", "upl"} <= set(fields)
    assert spec["layer"][-1]["encoding"]["y"] == {"datum": 12}
    legend = spec["layer"][4]["encoding"]["color"]["scale"]["domain"]
    assert set(legend) == {p["variation"] for p in points}
