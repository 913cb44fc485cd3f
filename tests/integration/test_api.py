"""The analysts' API and its example notebook, run against a real demo database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from homeflow import api
from homeflow.domain.clock import local_date
from tests.conftest import ENGINES, demo_database
from tests.support import homeflow

NOTEBOOK = Path(__file__).parents[2] / "docs" / "analysis.ipynb"


@pytest.fixture(scope="module", params=ENGINES)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    # Ending yesterday, the demo's template is reused by every run of the day (one ending today
    # is built again each run: it holds the events up to its build).
    yesterday = (local_date(datetime.now(UTC)) - timedelta(days=1)).isoformat()
    days = ("--days", "70", "--end", yesterday, "--seed", "4")
    with demo_database(request.param, tmp_path_factory.mktemp("api"), *days) as url:
        yield url


def test_the_api_gives_the_same_figures_as_the_cli(demo_url: str) -> None:
    day = (local_date(datetime.now(UTC)) - timedelta(days=1)).isoformat()
    frame = api.census(day, url=demo_url)
    printed = json.loads(homeflow(demo_url, "census", "--date", day, "--format", "json").stdout)
    assert frame.to_dict("records") == printed
    sitrep = api.sitrep(day, org="RX1", url=demo_url)
    assert set(sitrep["Org Code"]) == {"RX1"} and sitrep["Value"].sum() > 0
    with pytest.raises(ValueError, match="start"):
        api.kpi("nctr", start="last week", end=day, url=demo_url)


def test_the_example_notebook_runs(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every code cell, in order, as a reader would run them."""
    monkeypatch.setenv("HOMEFLOW_DATABASE_URL", demo_url)
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    namespace: dict[str, object] = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            exec("".join(cell["source"]), namespace)
    for name in ("census", "by_org", "discharged", "nctr", "chart", "stranded"):
        frame = namespace[name]
        assert isinstance(frame, pd.DataFrame) and not frame.empty, name
    chart = namespace["chart"]
    assert {"mean", "lpl", "upl", "special_cause", "variation", "assurance"} <= set(chart.columns)  # type: ignore[attr-defined]
    stranded = namespace["stranded"]
    assert stranded["change_from_baseline_pct"].notna().any()  # type: ignore[index]
