"""Capacity-model runs asked for from the web: queued, running, done or failed, with results."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.codec import from_db_time, to_db_time

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def queue_run(
    engine: Engine,
    requested_by: str,
    org_code: str,
    model: str,
    scenarios: list[str],
    reps: int,
    horizon: int,
    start_from: str,
    seed: int,
) -> int:
    with engine.begin() as conn:
        result = conn.execute(
            insert(t.simulation_runs).values(
                requested_by=requested_by,
                org_code=org_code,
                model=model,
                scenarios=json.dumps(scenarios),
                reps=reps,
                horizon=horizon,
                start_from=start_from,
                seed=seed,
                status=QUEUED,
                created_at=to_db_time(datetime.now(UTC)),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def mark(
    engine: Engine,
    run_id: int,
    status: str,
    message: str | None = None,
    results: dict[str, Any] | None = None,
) -> None:
    finished = to_db_time(datetime.now(UTC)) if status in (DONE, FAILED) else None
    with engine.begin() as conn:
        conn.execute(
            update(t.simulation_runs)
            .where(t.simulation_runs.c.id == run_id)
            .values(
                status=status,
                message=message,
                finished_at=finished,
                results=None if results is None else json.dumps(results),
            )
        )


def interrupt_unfinished(engine: Engine) -> None:
    """Runs a stopped server left unfinished are marked failed, not left 'running' forever."""
    with engine.begin() as conn:
        conn.execute(
            update(t.simulation_runs)
            .where(t.simulation_runs.c.status.in_((QUEUED, RUNNING)))
            .values(
                status=FAILED,
                message="the server stopped before the run finished; run it again",
                finished_at=to_db_time(datetime.now(UTC)),
            )
        )


def _run(row: Any) -> dict[str, Any]:
    run = dict(row._mapping)
    run["scenarios"] = json.loads(run["scenarios"])
    if "results" in run:
        run["results"] = json.loads(run["results"]) if run["results"] else None
    run["created_at"] = from_db_time(run["created_at"])
    run["finished_at"] = from_db_time(run["finished_at"])
    return run


def get_run(engine: Engine, run_id: int) -> dict[str, Any] | None:
    with db.reading(engine) as conn:
        row = conn.execute(
            select(t.simulation_runs).where(t.simulation_runs.c.id == run_id)
        ).one_or_none()
    return None if row is None else _run(row)


def recent_runs(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, without their results (the list does not show them)."""
    runs = t.simulation_runs
    query = select(*(c for c in runs.c if c.name != "results")).order_by(runs.c.id.desc())
    with db.reading(engine) as conn:
        return [_run(row) for row in conn.execute(query.limit(limit))]


def latest_run_of(engine: Engine, scenarios: list[str]) -> dict[str, Any] | None:
    """The newest run of exactly these scenarios, whatever its status."""
    runs = t.simulation_runs
    query = select(runs).where(runs.c.scenarios == json.dumps(scenarios))
    with db.reading(engine) as conn:
        row = conn.execute(query.order_by(runs.c.id.desc()).limit(1)).one_or_none()
    return None if row is None else _run(row)
