"""`homeflow forecast --level` and `backtest --level` against a database, as a user runs them:
what they cannot forecast is refused with one line naming the option, and nothing written.
(Coherence and the evaluation's arithmetic: tests/unit/test_forecast_hierarchy.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import ENGINES, fresh_database, url_of
from tests.support import homeflow

D = "2026-03-31"


@pytest.fixture(scope="module", params=ENGINES)
def registry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The demo's wards, sites, trusts and ICB, and no patients yet."""
    with fresh_database(request.param, tmp_path_factory.mktemp("levels")) as engine:
        assert homeflow(url_of(engine), "registry", "load-demo").returncode == 0
        yield engine


@pytest.mark.parametrize(
    ("line", "refusal"),
    [
        (["forecast", "--out=f.csv"], "error: --input: is required"),
        (["forecast", "--out=f.csv", "--level=site"], "error: --to: is required with --level"),
        (
            ["forecast", "--out=f.csv", "--level=site", f"--to={D}", "--days=56"],
            f"error: --days: the record holds no admissions in the 56 days to {D}",
        ),
        (
            ["backtest", "--level=icb", "--measure=occupied", f"--to={D}", "--days=90"],
            "error: --days: 90 days of history are too few",
        ),
    ],
)
def test_what_cannot_be_forecast_is_refused_naming_the_option(
    registry: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: list[str], refusal: str
) -> None:
    monkeypatch.chdir(tmp_path)
    done = homeflow(url_of(registry), *line)
    assert done.returncode == 2 and done.stderr.startswith(refusal), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "f.csv").exists()
