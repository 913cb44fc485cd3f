"""Capacity-model runs asked for from the web: queued, running, done or failed, with results;
and who may plan with the models folder (domain/planning decides, here with the registry).

A run belongs to the system of the organisation that asked for it: only that system's users
see it, with how far it has got while it runs (each scenario's replications done). A run is queued, and a scenario file saved or deleted, with its audit row in one
transaction, after the permission is checked again in it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from homeflow.domain import clock
from homeflow.domain.planning import Planning, planning_refusal
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.audit import audit
from homeflow.store.access.scope import Forbidden, Viewer
from homeflow.store.codec import from_db_time, to_db_time
from homeflow.store.registry import home_system, organisations_within, system_of

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def planning_system(conn: Connection, named: str | None) -> str | None:
    """The system the models folder belongs to: the one the settings name, else the one
    system whose organisations hold sites; None when several do and none is named."""
    return named or home_system(conn)


def refusal(conn: Connection, viewer: Viewer, named: str | None, action: Planning) -> str | None:
    """Why `viewer` may not `action` the models folder's scenarios (None: they may)."""
    owner = planning_system(conn, named)
    return planning_refusal(viewer.role, system_of(conn, viewer.org_code), owner, action)


def may(engine: Engine, viewer: Viewer, named: str | None, action: Planning) -> bool:
    with db.reading(engine) as conn:
        return refusal(conn, viewer, named, action) is None


def check(engine: Engine, viewer: Viewer, named: str | None, action: Planning) -> None:
    """Forbidden unless `viewer` may `action` the folder's scenarios (pages, before reading)."""
    with db.reading(engine) as conn:
        why = refusal(conn, viewer, named, action)
    if why is not None:
        raise Forbidden(why)


def change_file(
    engine: Engine, viewer: Viewer, named: str | None, what: str, change: Callable[[], None]
) -> None:
    """`change` a scenario file (`what` says how) with its audit row, refused unless the viewer
    may; the file changes last, so a refusal or a failed audit write leaves it as it was."""
    with engine.begin() as conn:
        why = refusal(conn, viewer, named, Planning.CHANGE)
        if why is not None:
            raise Forbidden(why)
        audit(conn, viewer, "change", what)
        change()


def queue_run(
    engine: Engine,
    viewer: Viewer,
    named: str | None,
    model: str,
    scenarios: list[str],
    reps: int,
    horizon: int,
    start_from: str,
    seed: int,
) -> int:
    """A run of the folder's `model` queued for `viewer`'s organisation, with its audit row."""
    with engine.begin() as conn:
        why = refusal(conn, viewer, named, Planning.RUN)
        if why is not None:
            raise Forbidden(why)
        result = conn.execute(
            insert(t.simulation_runs).values(
                requested_by=viewer.email,
                org_code=viewer.org_code,
                model=model,
                scenarios=json.dumps(scenarios),
                reps=reps,
                horizon=horizon,
                start_from=start_from,
                seed=seed,
                status=QUEUED,
                created_at=to_db_time(clock.now()),
            )
        )
        run_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        names = ", ".join(scenarios) or "the baseline"
        audit(conn, viewer, "run", f"capacity model run {run_id}: {model} with {names}")
        return run_id


def mark(
    engine: Engine,
    run_id: int,
    status: str,
    message: str | None = None,
    results: dict[str, Any] | None = None,
) -> None:
    finished = to_db_time(clock.now()) if status in (DONE, FAILED) else None
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


def record_progress(engine: Engine, run_id: int, done: Sequence[tuple[str, int]]) -> None:
    """How far a running run has got: each scenario's name (the baseline first) and the
    replications of it done. A run no longer running keeps what it had."""
    with engine.begin() as conn:
        conn.execute(
            update(t.simulation_runs)
            .where(t.simulation_runs.c.id == run_id, t.simulation_runs.c.status == RUNNING)
            .values(progress=json.dumps([[name, count] for name, count in done]))
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
                finished_at=to_db_time(clock.now()),
            )
        )


def _run(row: Any) -> dict[str, Any]:
    run = dict(row._mapping)
    run["scenarios"] = json.loads(run["scenarios"])
    if "results" in run:
        run["results"] = json.loads(run["results"]) if run["results"] else None
    run["progress"] = [
        {"scenario": name, "done": done} for name, done in json.loads(run["progress"] or "[]")
    ]
    run["created_at"] = from_db_time(run["created_at"])
    run["finished_at"] = from_db_time(run["finished_at"])
    return run


def run_of(engine: Engine, run_id: int) -> dict[str, Any] | None:
    """A run whoever asked for it: for the simulation thread that runs it, never a page."""
    with db.reading(engine) as conn:
        row = conn.execute(
            select(t.simulation_runs).where(t.simulation_runs.c.id == run_id)
        ).one_or_none()
    return None if row is None else _run(row)


def _visible(conn: Connection, viewer: Viewer) -> Any:
    """Which runs `viewer` reads: those asked for by an organisation of their own system."""
    mine = organisations_within(conn, system_of(conn, viewer.org_code))
    return t.simulation_runs.c.org_code.in_(mine)


def get_run(engine: Engine, viewer: Viewer, run_id: int) -> dict[str, Any] | None:
    """The run, or None when there is none `viewer` may read (another system's is not shown)."""
    runs = t.simulation_runs
    with db.reading(engine) as conn:
        row = conn.execute(
            select(runs).where(runs.c.id == run_id, _visible(conn, viewer))
        ).one_or_none()
    return None if row is None else _run(row)


def recent_runs(engine: Engine, viewer: Viewer, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs of the viewer's system, without their results (the list does not show
    them)."""
    runs = t.simulation_runs
    with db.reading(engine) as conn:
        query = select(*(c for c in runs.c if c.name != "results")).where(_visible(conn, viewer))
        return [_run(row) for row in conn.execute(query.order_by(runs.c.id.desc()).limit(limit))]


def latest_done_run_named(engine: Engine, viewer: Viewer, prefix: str) -> dict[str, Any] | None:
    """The newest finished run of the viewer's system of one scenario whose name begins with
    `prefix` (letters, digits, spaces and commas): the home-care levers of whichever day."""
    runs = t.simulation_runs
    with db.reading(engine) as conn:
        query = _with_requester(runs).where(
            runs.c.scenarios.like(json.dumps([prefix])[:-2] + '%"]'),
            runs.c.status == DONE,
            _visible(conn, viewer),
        )
        row = conn.execute(query.order_by(runs.c.id.desc()).limit(1)).one_or_none()
    return None if row is None else _run(row)


def _with_requester(runs: Any) -> Any:
    """Runs with the name of the organisation that asked for each (`requested_for`)."""
    o = t.organisations
    return select(runs, o.c.name.label("requested_for")).outerjoin(o, o.c.code == runs.c.org_code)


def latest_run_of(engine: Engine, viewer: Viewer, scenarios: list[str]) -> dict[str, Any] | None:
    """The newest run of exactly these scenarios of the viewer's system, whatever its status."""
    runs = t.simulation_runs
    with db.reading(engine) as conn:
        query = _with_requester(runs).where(
            runs.c.scenarios == json.dumps(scenarios), _visible(conn, viewer)
        )
        row = conn.execute(query.order_by(runs.c.id.desc()).limit(1)).one_or_none()
    return None if row is None else _run(row)
