"""Real databases for every test: SQLite always, PostgreSQL when HOMEFLOW_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

# OWASP's argon2id cost, not RFC 9106's (store/users.py): the suite signs in thousands of times,
# each costing a quarter of a second of CPU at the default. Set before homeflow is imported, and
# so inherited by every server and CLI the tests start.
os.environ.setdefault("HOMEFLOW_PASSWORD_COST", "owasp")
# One OpenMP thread a process: the suite's two workers share the two cores, and scikit-learn's
# gradient boosting (the discharge predictions) spinning two threads against the other worker
# took `predict evaluate` from 15 s to over 3 minutes in a full run. Inherited likewise.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# `homeflow demo` writes its feeds' mappings to HOMEFLOW_MAPPINGS, else var/mappings under the
# folder it runs in: a test that builds a demo without naming a folder wrote them into the
# checkout, where `make run`'s feeds page reads them. A folder of this process's instead.
if "HOMEFLOW_MAPPINGS" not in os.environ:
    os.environ["HOMEFLOW_MAPPINGS"] = tempfile.mkdtemp(prefix="homeflow-test-mappings-")
    atexit.register(shutil.rmtree, os.environ["HOMEFLOW_MAPPINGS"], ignore_errors=True)

import pytest
import typer.testing
from hypothesis import settings
from sqlalchemy import Connection, Engine, create_engine, delete, func, select, text
from sqlalchemy.engine import make_url

from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.bed_projections import BEDS_THROUGH

# Tests never assert on timing: a per-example deadline fails a correct property whenever the
# machine is busy (test_split_tree's did, under a full run), so no property test has one.
settings.register_profile("homeflow", deadline=None, print_blob=True)
settings.load_profile("homeflow")


def _command_made_once() -> None:
    """Typer's test runner makes the Click command from the app afresh at every call: 0.13 s
    of reading every command's signature and type hints, where running one takes 5 ms, and a
    run makes thousands of calls in process. Made once a process instead, as a real
    `homeflow` process makes it once at its start."""
    make = typer.testing._get_command
    made: dict[int, Any] = {}

    def once(app: typer.Typer) -> Any:
        if id(app) not in made:
            made[id(app)] = make(app)
        return made[id(app)]

    typer.testing._get_command = once


_command_made_once()

POSTGRES_URL = os.environ.get("HOMEFLOW_TEST_POSTGRES_URL")
# The engines a run tries: SQLite, and PostgreSQL too when a database is named. `make tests`
# runs them as two passes (HOMEFLOW_TEST_ENGINES=sqlite with coverage, then postgresql
# without it: coverage more than doubles the CPU a test takes, and the second engine runs the
# same code), so a pass may name one.
ENGINES = [
    kind
    for kind in os.environ.get("HOMEFLOW_TEST_ENGINES", "sqlite,postgresql").split(",")
    if kind == "sqlite" or (kind == "postgresql" and POSTGRES_URL)
]

# Fixtures of other modules: the clock pinned (tests/clock.py).
pytest_plugins = ["tests.clock"]


def _postgres_engine(schema: str) -> Engine:
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    # The schema goes in the URL itself, so subprocesses given url_of(engine) use it too.
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return create_engine(url)


def _drop_postgres_schema(schema: str) -> None:
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


_EMPTY_SQLITE: list[Path] = []  # this process's migrated, empty SQLite file, made once


def _empty_sqlite() -> Path:
    """A migrated, empty SQLite file, made once a process: the suite asks for hundreds of
    empty databases, and running every migration through Alembic costs a tenth of a second
    each (more under coverage) where a copy costs a millisecond. Migrating itself is tested
    where it is the point (tests/integration/test_cli_schema.py, test_start_up.py)."""
    if not _EMPTY_SQLITE:
        folder = Path(tempfile.mkdtemp(prefix="homeflow-empty-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        made = db.connect(f"sqlite:///{folder / 'homeflow.db'}")
        db.migrate(made)
        made.dispose()
        # Every page in the file itself, none in a -wal file beside it.
        with closing(sqlite3.connect(folder / "homeflow.db")) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _EMPTY_SQLITE.append(folder / "homeflow.db")
    return _EMPTY_SQLITE[0]


_EMPTY_POSTGRES: list[str] = []  # the statements that make a migrated, empty schema
_SCHEMA_MARK = "t_homeflow_empty_schema"


def _made_like_the_empty_schema(schema: str) -> None:
    """A schema made by replaying a pg_dump of one migrated once a process (with its
    alembic_version row), for the same reason as `_empty_sqlite`: a fifth of a second of
    replay where Alembic takes half a second."""
    assert POSTGRES_URL is not None
    if not _EMPTY_POSTGRES:
        made = f"{_SCHEMA_MARK}_{uuid.uuid4().hex[:12]}"
        eng = _postgres_engine(made)
        db.migrate(eng)
        eng.dispose()
        libpq = make_url(POSTGRES_URL).set(drivername="postgresql")
        dump = subprocess.run(
            ["pg_dump", f"--schema={made}", "--inserts", "--no-owner", "--no-privileges",
             f"--dbname={libpq.render_as_string(hide_password=False)}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        _drop_postgres_schema(made)
        # psql's own lines (\restrict) are for psql, not the server.
        kept = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
        _EMPTY_POSTGRES.append(kept.replace(made, _SCHEMA_MARK))
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        # The driver's own call: the dump is many statements, with no parameters to bind.
        conn.connection.driver_connection.execute(_EMPTY_POSTGRES[0].replace(_SCHEMA_MARK, schema))  # type: ignore[union-attr]
    admin.dispose()


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[Engine]:
    """A migrated, empty database of `kind`, removed afterwards."""
    if kind == "sqlite":
        shutil.copy(_empty_sqlite(), folder / "homeflow.db")
        eng = db.connect(f"sqlite:///{folder / 'homeflow.db'}")
        yield eng
        eng.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    _made_like_the_empty_schema(schema)
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    eng = create_engine(url)
    try:
        yield eng
    finally:
        eng.dispose()
        _drop_postgres_schema(schema)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each engine under test."""
    with fresh_database(request.param, tmp_path) as eng:
        yield eng


@pytest.fixture(scope="session", params=ENGINES)
def shared_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """One served demo system per engine for the web tests that only add to what is there
    (tests/web_site.py); a test that needs a database of its own makes one."""
    from tests.web_site import served_demo

    with served_demo(request.param, tmp_path_factory.mktemp("site")) as site:
        yield site


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def database_url(engine: Engine) -> str:
    """The URL of `engine`, for subprocesses (CLI, server) that open it themselves."""
    return url_of(engine)


def empty_all(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(t.events))
        for table in t.PROJECTIONS:
            conn.execute(delete(table))


@contextmanager
def demo_database(
    kind: str,
    folder: Path,
    *demo_args: str,
    prepare: Callable[[str], None] | None = None,
    hl7: bool = False,
    measured: bool = False,
) -> Iterator[str]:
    """A database of `kind` of its own, holding the demo system `homeflow demo *demo_args`
    builds, then what `prepare(url)` adds; yields its URL. Each demo is built once and copied
    (tests/demo_templates.py), without coverage's tracing unless `measured`. With `hl7`, the
    demo's ADT history as HL7 files is in `folder / "hl7"` (SQLite only)."""
    from tests import demo_templates as templates

    name = templates.template_name(kind, demo_args, prepare, measured)
    if kind == "sqlite":
        template = templates.sqlite_template(name, demo_args, prepare, measured)
        shutil.copy(template, folder / "homeflow.db")
        if hl7:
            shutil.copytree(template.with_suffix(".hl7"), folder / "hl7")
        yield f"sqlite:///{folder / 'homeflow.db'}"
        return
    assert POSTGRES_URL is not None and not hl7
    templates.postgres_template(POSTGRES_URL, name, demo_args, prepare, measured)
    with templates.postgres_copy(POSTGRES_URL, name) as url:
        yield url


_PLACES = (proj.EVENTS_THROUGH, BEDS_THROUGH)


def projections(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection table's rows, in a stable order; not the mark of how far into the log
    they reach, a place that differs between two logs of the same events."""
    with engine.connect() as conn:
        return {
            table.name: sorted(
                (
                    tuple(row)
                    for row in conn.execute(select(table))
                    if table is not t.projection_marks or row.name not in _PLACES
                ),
                key=repr,
            )
            for table in t.PROJECTIONS
        }


def last_seq(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(t.events.c.seq), 0))).scalar_one())


def on_postgresql(item: pytest.Item) -> bool:
    """Whether a test runs on PostgreSQL: parametrised with it, or marked as PostgreSQL's."""
    params = getattr(item, "callspec", None)
    return item.get_closest_marker("postgresql") is not None or (
        params is not None and "postgresql" in params.params.values()
    )


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the tests' ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A pass on PostgreSQL alone runs only the tests that touch it (the others ran in the
    SQLite pass); a test marked `one_engine`, and every browser test not marked
    `every_engine`, runs on SQLite only. Groups for `--dist loadgroup`: the tests of a module
    that share a module's fixture (a served site, a demo copy) run on one worker, so it is
    made once; every other test goes to whichever worker is free."""
    # What a page shows of what it read (words, dates, the order of a list, a day refused
    # before anything is read) is the same on either engine: those tests run on SQLite only.
    # So is what the browser shows and does: the routes the browser tests use run on
    # PostgreSQL in the HTTP tests (tests/integration), which read the same pages, except those
    # marked `every_engine` (signing in through the identity provider has no HTTP test).
    browser = Path(__file__).parent / "browser"

    def sqlite_only(item: pytest.Item) -> bool:
        if item.get_closest_marker("one_engine"):
            return True
        return browser in item.path.parents and not item.get_closest_marker("every_engine")

    once = [i for i in items if sqlite_only(i) and on_postgresql(i)]
    if "sqlite" not in ENGINES:
        once += [i for i in items if not on_postgresql(i)]
    if once:
        config.hook.pytest_deselected(items=once)
        dropped = {id(i) for i in once}
        items[:] = [i for i in items if id(i) not in dropped]
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        definitions = info.name2fixturedefs.values() if info else ()
        if any(d.scope in ("module", "class", "package") for defs in definitions for d in defs):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
