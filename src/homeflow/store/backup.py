"""A consistent copy of the whole database while the server and the listener go on writing,
and its restore into an empty database: SQLite's online backup, PostgreSQL's pg_dump and
pg_restore (custom format, one transaction's snapshot)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from homeflow.domain.errors import InvalidInput


def _sqlite_file(engine: Engine) -> Path:
    return Path(str(engine.url.database))


def _libpq(engine: Engine) -> tuple[str, str | None]:
    """The database as pg_dump and pg_restore name it, and the schema homeflow uses there
    (from a search_path in the URL's options; None: the database's own)."""
    url = make_url(engine.url.render_as_string(hide_password=False))
    options = url.query.get("options", "")
    schema = None
    for part in (options if isinstance(options, str) else " ".join(options)).split():
        if part.startswith("-csearch_path="):
            schema = unquote(part.removeprefix("-csearch_path="))
    plain = url.set(drivername="postgresql").difference_update_query(["options"])
    return plain.render_as_string(hide_password=False), schema


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise InvalidInput("out", f"{name} is needed (apt-get install postgresql-client)")
    return found


def backup(engine: Engine, out: Path) -> None:
    """Write a consistent copy of the database to `out` (not left half-written)."""
    partial = out.with_name(out.name + ".partial")
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_file(engine), timeout=30)
        target = sqlite3.connect(partial)
        try:
            # The online backup copies pages while writers go on; it restarts on its own
            # when one writes, so the copy is one consistent moment.
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        conninfo, schema = _libpq(engine)
        command = [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}"]
        command += [f"--schema={schema}"] if schema else []
        done = subprocess.run([*command, conninfo], capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise InvalidInput("out", f"pg_dump failed: {done.stderr.strip()[-300:]}")
    partial.replace(out)


def restore(engine: Engine, copy: Path) -> None:
    """Restore a backup into this database, which must hold no homeflow tables yet."""
    if not copy.is_file():
        raise InvalidInput("file", f"{copy} is not a file")
    if engine.dialect.name == "sqlite":
        target_file = _sqlite_file(engine)
        if target_file.exists() and inspect(engine).has_table("events"):
            raise InvalidInput("database", f"{target_file} already holds a homeflow database")
        engine.dispose()
        source = sqlite3.connect(copy)
        target = sqlite3.connect(target_file)
        try:
            try:
                found = source.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'")
                if not found.fetchone():
                    raise InvalidInput("file", f"{copy} is not a homeflow backup")
            except sqlite3.DatabaseError:  # not a SQLite file at all
                raise InvalidInput("file", f"{copy} is not a homeflow backup") from None
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    if inspect(engine).has_table("events"):
        raise InvalidInput(
            "database", "already holds a homeflow database: restore into an empty one"
        )
    engine.dispose()
    conninfo, _schema = _libpq(engine)
    done = subprocess.run(
        [_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction",
         f"--dbname={conninfo}", str(copy)],
        capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    if done.returncode != 0:
        raise InvalidInput("file", f"pg_restore failed: {done.stderr.strip()[-300:]}")
