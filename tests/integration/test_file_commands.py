"""The file commands (`forecast`, `backtest`, `spc`) run as a user runs them: written files
with their columns, and bad cells named. Moved from tests/unit, which starts no process; the
functions behind them are tested there."""

from __future__ import annotations

import csv
from pathlib import Path

from homeflow.reports.spc import Variation
from tests.support import homeflow
from tests.unit.test_forecast import START, weekly, write
from tests.unit.test_spc import STABLE, days


def test_the_forecast_and_backtest_commands(tmp_path: Path) -> None:
    series = write(
        tmp_path / "s.csv", weekly("A", 120, noise=4.0) + weekly("B", 120, noise=4.0, seed=2)
    )
    out = tmp_path / "forecast.csv"
    done = homeflow(
        "sqlite://", "forecast", "--input", str(series), "--horizon", "7", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 14 and list(rows[0]) == [
        "series_id",
        "date",
        "mean",
        "lo80",
        "hi80",
        "lo95",
        "hi95",
        "model",
    ]
    tested = homeflow(
        "sqlite://", "backtest", "--input", str(series), "--horizon", "7", "--windows", "2"
    )
    assert tested.returncode == 0, tested.stderr
    assert "median MASE" in tested.stdout and "80% interval coverage" in tested.stdout
    bad = write(tmp_path / "bad.csv", [("A", START, "lots")])
    refused = homeflow("sqlite://", "forecast", "--input", str(bad), "--out", str(out))
    assert refused.returncode == 2 and "line 2, value" in refused.stderr


def test_the_spc_command_writes_the_chart_and_names_bad_cells(
    tmp_path: Path,
) -> None:

    folder = tmp_path
    source = folder / "delayed_bed_days.csv"
    rows = [*STABLE, 30.0]
    source.write_text(
        "date,value\n"
        + "".join(f"{d.isoformat()},{v}\n" for d, v in zip(days(len(rows)), rows, strict=True))
    )
    out = folder / "chart.csv"
    url = f"sqlite:///{folder / 'unused.db'}"
    done = homeflow(
        url, "spc", "--input", str(source), "--better", "lower", "--target", "12", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    written = list(csv.DictReader(out.open()))
    assert list(written[0]) == [
        "date",
        "value",
        "mean",
        "lpl",
        "upl",
        "special_cause",
        "variation",
        "assurance",
    ]
    assert [r["special_cause"] for r in written].count("beyond limit") == 1
    assert written[-1]["variation"] == Variation.CONCERN_HIGH.value
    bad = folder / "bad.csv"
    bad.write_text("date,value\n2026-01-01,10\n2026-01-02,ten\n")
    refused = homeflow(url, "spc", "--input", str(bad), "--out", str(out))
    assert refused.returncode == 2 and "line 3, value" in refused.stderr
