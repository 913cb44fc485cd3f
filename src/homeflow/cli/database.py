"""The one way a command opens the database (HOMEFLOW_DATABASE_URL).

Only `homeflow init-db` creates or upgrades the schema. Any other command finds the schema as
this homeflow needs it, or ends naming what to run: a command that only reads must never
change a schema (an upgrade takes locks the server and the listener wait on, and belongs
after a backup, at a moment somebody chose)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from homeflow.cli.output import fail
from homeflow.store import db

# The engines the running command opened: `app.Command` closes them when it ends, so that
# commands run one after another in one process (the tests) leave no connection open.
_OPENED: list[Engine] = []


def open_database(*, any_schema: bool = False) -> Engine:
    """The database, its schema at this homeflow's revision; with `any_schema`, as it is
    (`init-db` upgrades it, `backup` copies it, `restore` fills an empty one)."""
    url = make_url(db.database_url())
    shown = url.render_as_string(hide_password=True)
    if not any_schema and _missing_file(url.get_backend_name(), url.database):
        fail(f"database: {shown} does not exist: run `homeflow init-db` to create it")
    engine = db.connect()
    _OPENED.append(engine)
    if any_schema:
        return engine
    found, needed = db.schema_revision(engine), db.latest_revision()
    if found is None:
        fail(f"database: {shown} has no homeflow schema: run `homeflow init-db` to create it")
    if found < needed:
        fail(
            f"database: {shown} is at schema {found}, this homeflow needs {needed}: "
            "run `homeflow init-db` to upgrade it"
        )
    if found > needed:
        fail(f"database: {shown} is at schema {found}, newer than this homeflow's {needed}")
    return engine


def _missing_file(backend: str, database: str | None) -> bool:
    # Opening a SQLite file that is not there would create an empty one.
    return (
        backend == "sqlite"
        and database not in (None, "", ":memory:")
        and not Path(str(database)).exists()
    )


def close_databases() -> None:
    while _OPENED:
        _OPENED.pop().dispose()
