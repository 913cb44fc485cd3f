"""A capacity-model run says how far it has got while it runs: each scenario's replications
done, kept in the database (any server worker shows it) and written on the page's status."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from homeflow.domain.privacy import Role
from homeflow.store import simulation_runs as runs
from homeflow.store.access import Viewer
from homeflow.web.pages.scenarios import _run_in_background
from homeflow.web.rendering import templates
from tests.integration.test_simulation import BLOCKING

ANALYST = Viewer("a@b.test", "QDE", Role.ANALYST, "test")


def status_text(run: dict[str, object]) -> str:
    """The run's status as the page writes it, tags taken away."""
    html = templates.env.get_template("_run_status.html").render(run=run, levers_on=None)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_running_run_reports_the_replications_done_of_each_scenario(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "ward.toml").write_text(BLOCKING)
    (tmp_path / "scenarios" / "more.toml").write_text('name = "More"\ndemand = 1.1\n')
    run_id = runs.queue_run(engine, ANALYST, "QDE", "ward.toml", ["more.toml"], 5, 10, "empty", 1)
    queued = runs.run_of(engine, run_id)
    assert queued is not None and "waiting to start" in status_text(queued)
    # The hook: each time the runner records how far it has got, read the run as a page would.
    seen: list[tuple[str, list[dict[str, object]], str]] = []
    record = runs.record_progress

    def watched(target: Engine, which: int, done: tuple[tuple[str, int], ...]) -> None:
        record(target, which, done)
        run = runs.run_of(engine, run_id)
        assert run is not None
        seen.append((run["status"], run["progress"], status_text(run)))

    monkeypatch.setattr(runs, "record_progress", watched)
    _run_in_background(engine, run_id, tmp_path)

    statuses = [status for status, _, _ in seen]
    assert statuses == [runs.RUNNING] * 3
    assert [progress for _, progress, _ in seen] == [
        [{"scenario": "Baseline", "done": 0}, {"scenario": "More", "done": 0}],
        [{"scenario": "Baseline", "done": 5}, {"scenario": "More", "done": 0}],
        [{"scenario": "Baseline", "done": 5}, {"scenario": "More", "done": 5}],
    ]
    partial = seen[1][2]
    assert "Run 1 is running: 5 of 10 replications done" in partial.replace(str(run_id), "1")
    assert "Baseline 5 of 5 (done)" in partial and "More 0 of 5" in partial
    finished = runs.run_of(engine, run_id)
    assert finished is not None and finished["status"] == runs.DONE
    assert finished["progress"][-1] == {"scenario": "More", "done": 5}
    # A run that has finished is not set back by a late word from its runner.
    record(engine, run_id, (("Baseline", 1), ("More", 1)))
    assert runs.run_of(engine, run_id)["progress"] == finished["progress"]  # type: ignore[index]
