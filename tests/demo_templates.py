"""Demo databases built once and copied: a demo costs 10-30 s to simulate, a copy well under one.

Each distinct demo (engine x `homeflow demo` arguments x what is added after it) is built once,
in this process through the CLI's own `demo` command (Typer's runner), into a template: a
SQLite file under ~/.cache/homeflow/test-templates/ (HOMEFLOW_TEST_TEMPLATES, or
XDG_CACHE_HOME, names another folder), or a PostgreSQL database made with the same arguments.
A test module then gets its own copy (`shutil.copy` of the file; `CREATE DATABASE ... TEMPLATE`
on PostgreSQL), so what it writes never reaches another module.

A template is named by a hash of what decides its content: the engine, the demo's arguments,
the source of the module whose `prepare` adds to it, and every file of the packages the `demo`
command runs (homeflow/config, demo, domain, ingest, reports, services and store, migrations
included, the CLI's admin, app and output modules, and this file) and the name and version of
every installed library. Change any of them and the next run builds anew; until then every
clone of the same code on the machine reuses it. A demo that ends today (no `--end`, or today's date) stops at the moment it is
built, so it is built once per run, not reused from an earlier run.

A build runs without coverage's tracing (it would more than double it), except where the
fixture asks for it (`measured=True`): tests/integration/test_demo.py's demo, which ends today
and so is built, and measured, every run. A SQLite build always writes the demo's ADT history
as HL7 files beside the template, so a module that wants them shares one build with those that
do not.

xdist workers share templates: a file lock per template means one builds it while the other
waits, then copies it.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import gc
import hashlib
import inspect
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from homeflow.domain import clock

ROOT = Path(__file__).parent.parent
# Outside the checkout, like pip's and npm's caches: a template is named by everything that
# decides its content, so another clone or worktree of the same code (CI's clean clone, a
# second working copy) reuses it instead of simulating the same demo again.
_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
FOLDER = Path(os.environ.get("HOMEFLOW_TEST_TEMPLATES") or _CACHE / "homeflow" / "test-templates")
PACKAGE = ROOT / "src" / "homeflow"
# What the `demo` command runs (checked by importing it alone: no web, api or publishing).
DEMO_CODE = ("config", "demo", "domain", "ingest", "reports", "services", "store")
DEMO_CLI = ("cli/admin.py", "cli/app.py", "cli/database.py", "cli/output.py")

Prepare = Callable[[str], None]


@functools.cache
def code_hash() -> str:
    """Taken once a process: the code a run imports does not change under it."""
    digest = hashlib.sha256()
    files = [p for part in DEMO_CODE for p in (PACKAGE / part).rglob("*") if p.is_file()]
    files += [PACKAGE / name for name in DEMO_CLI]
    files += [Path(__file__)]  # how a template is made
    for path in sorted(f for f in files if "__pycache__" not in f.parts):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    # The libraries it runs on (a new numpy may draw other random numbers), by name and version.
    installed = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
    digest.update("\n".join(installed).encode())
    return digest.hexdigest()


def _ends_today(args: tuple[str, ...]) -> bool:
    if "--end" not in args:
        return True
    return args[args.index("--end") + 1] == clock.today().isoformat()


def template_name(kind: str, args: tuple[str, ...], prepare: Prepare | None, measured: bool) -> str:
    """`<kind>_<what is built>_<code and run>`: names alike up to the last part are the same
    demo of another code version (or run), removed when this one is built."""
    # The whole module `prepare` is in: what it adds may be named outside it (web_site's USERS).
    added = Path(inspect.getfile(prepare)).read_text() if prepare else None
    # A clock pinned for the run (HOMEFLOW_NOW) decides where the demo stops.
    pinned = os.environ.get(clock.NOW_VARIABLE)
    what = repr((kind, args, measured, prepare and prepare.__name__, added, pinned))
    recipe = hashlib.sha256(what.encode()).hexdigest()[:12]
    # A demo ending today holds the events up to its build: this run's only.
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid())) if _ends_today(args) else ""
    version = hashlib.sha256((code_hash() + run).encode()).hexdigest()[:12]
    return f"hft_{kind[:2]}_{recipe}_{version}"


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    FOLDER.mkdir(parents=True, exist_ok=True)
    with (FOLDER / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run_demo(url: str, args: tuple[str, ...], prepare: Prepare | None, measured: bool) -> None:
    """`homeflow init-db` and `homeflow demo *args`, in this process. Unmeasured unless asked:
    coverage's tracing more than doubles a build, and tests/integration/test_demo.py builds its
    demo measured, so the demo's code is counted once a run."""
    from homeflow.cli import app
    from tests.support import unmeasured

    # The demo writes its feeds' mappings: into a folder of this build's, then beside the
    # templates (FOLDER / "mappings", under its lock: a served site copies it), never into the
    # working tree's var/mappings.
    written = FOLDER / f"mappings-{uuid.uuid4().hex[:12]}"
    with unmeasured(not measured):
        for command in (["init-db"], ["demo", *args]):
            env = {"HOMEFLOW_DATABASE_URL": url, "HOMEFLOW_MAPPINGS": str(written)}
            done = CliRunner().invoke(app, command, env=env)
            assert done.exit_code == 0, (command, done.output, done.exception)
        if prepare is not None:
            prepare(url)
    if written.exists():
        with locked("mappings"):
            shutil.copytree(written, FOLDER / "mappings", dirs_exist_ok=True)
        shutil.rmtree(written)
    # The command leaves its engine to the garbage collector: close its connections now, so
    # nothing holds the template (SQLite's WAL, PostgreSQL's "being accessed by other users").
    gc.collect()


def _stale(name: str, suffix: str) -> list[Path]:
    """Other versions of the demo `name` is, unused for an hour (another run of the tests, on
    other code, may still be copying a newer one)."""
    prefix = name.rsplit("_", 1)[0]
    return [
        p
        for p in FOLDER.glob(f"{prefix}_*{suffix}")
        if not p.name.startswith(name) and time.time() - p.stat().st_mtime > 3600
    ]


# SQLite: a file, checkpointed so that it holds every page (no -wal file beside it).


def sqlite_template(
    name: str, args: tuple[str, ...], prepare: Prepare | None, measured: bool
) -> Path:
    """The template's file; its ADT history as HL7 files lies beside it (`<name>.hl7`), written
    by every SQLite build, so that a module wanting the files shares the build of one that
    does not."""
    path = FOLDER / f"{name}.db"
    with locked(name):
        if path.exists():
            return path
        building = FOLDER / f"{name}.building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        extra = ("--hl7-out", str(building / "hl7"))
        _run_demo(f"sqlite:///{building / 'homeflow.db'}", (*args, *extra), prepare, measured)
        with contextlib.closing(sqlite3.connect(building / "homeflow.db")) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        os.replace(building / "hl7", FOLDER / f"{name}.hl7")
        os.replace(building / "homeflow.db", path)
        shutil.rmtree(building)
        for old in _stale(name, ".db"):
            old.unlink()
            shutil.rmtree(old.with_suffix(".hl7"), ignore_errors=True)
    return path


# PostgreSQL: a database per template; a marker file beside the SQLite ones says it is whole
# (emptying the folder makes the next run rebuild it too).


def _admin(postgres_url: str):  # type: ignore[no-untyped-def]
    return create_engine(postgres_url, isolation_level="AUTOCOMMIT")


# The demo lives in a schema of its own, named in the URL, as in the tests' other databases:
# `homeflow backup` dumps that schema, and a restore into a new database makes it there.
SCHEMA = "demo"


def _database_url(postgres_url: str, name: str) -> str:
    url = make_url(postgres_url).set(database=name)
    return url.update_query_dict({"options": f"-csearch_path={SCHEMA}"}).render_as_string(
        hide_password=False
    )


def _drop(conn, name: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def postgres_template(postgres_url: str, name: str, args: tuple[str, ...], prepare: Prepare | None, measured: bool) -> str:  # fmt: skip
    marker = FOLDER / f"{name}.pg"
    with locked(name):
        admin = _admin(postgres_url)
        try:
            with admin.connect() as conn:
                if marker.exists() and conn.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                ):
                    return name
                building = f"{name}_b"
                _drop(conn, building)
                _drop(conn, name)
                conn.execute(text(f'CREATE DATABASE "{building}"'))
                made = create_engine(_database_url(postgres_url, building))
                with made.begin() as schema:
                    schema.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
                made.dispose()
                _run_demo(_database_url(postgres_url, building), args, prepare, measured)
                # No session may stay in a database that is copied or renamed.
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": building},
                )
                conn.execute(text(f'ALTER DATABASE "{building}" RENAME TO "{name}"'))
                for old in _stale(name, ".pg"):
                    _drop(conn, old.stem)
                    old.unlink()
                marker.touch()
        finally:
            admin.dispose()
    return name


@contextlib.contextmanager
def postgres_copy(postgres_url: str, template: str) -> Iterator[str]:
    """A database of its own copied from `template`, dropped afterwards; yields its URL."""
    name = f"hfm_{uuid.uuid4().hex[:16]}"
    admin = _admin(postgres_url)
    try:
        with locked(template), admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        yield _database_url(postgres_url, name)
    finally:
        with admin.connect() as conn:
            _drop(conn, name)
        admin.dispose()
