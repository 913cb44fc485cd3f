"""Only `homeflow init-db` changes a schema. Every other command, run against a database with
no homeflow schema or one at an older revision, changes nothing and ends with one line naming
what to run (exit 2); against a SQLite file that is not there, it creates none. The commands
are every command of the command line: a new one fails here until it is given a way to run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import Engine, inspect, text

from homeflow.cli import app
from homeflow.store import db
from tests.conftest import ENGINES, fresh_database, url_of
from tests.support import free_port, homeflow

Files = Callable[[Path], list[str]]


def _file(folder: Path, name: str, content: str = "") -> str:
    (folder / name).write_text(content)
    return str(folder / name)


# A way to run each command that reaches its database (its files made in `folder`).
RUNS: dict[str, Files] = {
    "append": lambda f: ["append", _file(f, "events.jsonl")],
    "assessment export": lambda f: [
        "assessment", "export", "--framework=hicm-2015", "--system=QDE", "--date=2026-03-31",
        f"--out={f / 'a.csv'}",
    ],
    "assessment import": lambda f: [
        "assessment", "import", _file(f, "a.csv"), "--framework=hicm-2015", "--system=QDE",
        "--date=2026-03-31",
    ],
    "assessment list": lambda f: ["assessment", "list"],
    "audit checkpoint": lambda f: ["audit", "checkpoint", f"--to={f}"],
    "audit export": lambda f: [
        "audit", "export", "--from=2026-03-01", "--to=2026-03-31", f"--out={f / 'a.csv'}"
    ],
    "audit prune": lambda f: ["audit", "prune", f"--checkpoints={f}", "--older-than-days=30"],
    "audit verify": lambda f: ["audit", "verify"],
    "backtest": lambda f: ["backtest", "--level=icb", "--to=2026-03-31"],  # --input: no database
    "calibrate": lambda f: [
        "calibrate", "--from=2026-03-01", "--to=2026-03-31", f"--out={f / 'm.toml'}"
    ],
    "census": lambda f: ["census", "--date=2026-03-31"],
    "demo": lambda f: ["demo", "--days=1", "--end=2026-03-31"],
    "directory export": lambda f: ["directory", "export", f"--out={f / 'd.json'}"],
    "directory import": lambda f: ["directory", "import", _file(f, "d.json", "[]")],
    "dtoc": lambda f: ["dtoc", "--month=2026-03", f"--out={f / 'd.csv'}"],
    "drd": lambda f: ["drd", "--month=2026-03"],
    "feeds": lambda f: ["feeds"],
    "forecast": lambda f: ["forecast", "--level=icb", "--to=2026-03-31", f"--out={f / 'f.csv'}"],
    "framework add": lambda f: [
        "framework", "add", "local-tips", f"--tips={_file(f, 't.csv', 'tip' + chr(10) + 'a')}",
        "--system=QDE", "--title=Tips",
    ],
    "beds requests": lambda f: ["beds", "requests", "--site=RX1A"],
    "beds state": lambda f: ["beds", "state", "--site=RX1A"],
    "delays longest": lambda f: ["delays", "longest", "--date=2026-03-31"],
    "delays internal": lambda f: ["delays", "internal", "--date=2026-03-31"],
    "predict discharges": lambda f: ["predict", "discharges", "--date=2026-03-31", "--at=06:00"],
    "predict evaluate": lambda f: ["predict", "evaluate", "--from=2026-03-01", "--to=2026-03-31"],
    "predict train": lambda f: ["predict", "train", "--through=2026-03-31"],
    "framework list": lambda f: ["framework", "list"],
    "home-care tree": lambda f: ["home-care", "tree", "--date=2026-03-31"],
    "ic-return": lambda f: ["ic-return", "--week-ending=2026-03-29", f"--out={f / 'i.csv'}"],
    "ingest capacity": lambda f: ["ingest", "capacity", _file(f, "c.csv")],
    "ingest census": lambda f: ["ingest", "census", _file(f, "c.csv"), "--date=2026-03-31"],
    "ingest episodes": lambda f: ["ingest", "episodes", _file(f, "e.csv")],
    "ingest hl7": lambda f: ["ingest", "hl7", _file(f, "a.hl7")],
    "kpi": lambda f: [
        "kpi", "nctr", "--from=2026-03-01", "--to=2026-03-31", f"--out={f / 'k.csv'}"
    ],
    "listen": lambda f: ["listen", f"--port={free_port()}"],
    "log attach": lambda f: ["log", "attach", "events_p0001"],
    "log close-partition": lambda f: ["log", "close-partition"],
    "log detach": lambda f: ["log", "detach", "events_p0001", "--before=2026-01-01"],
    "log partitions": lambda f: ["log", "partitions"],
    "messages": lambda f: ["messages"],
    "mh-delays": lambda f: ["mh-delays", "--month=2026-03"],
    "ingest mh-delays": lambda f: ["ingest", "mh-delays", _file(f, "m.csv")],
    "messages replay": lambda f: ["messages", "replay", "--all-rejected"],
    "opel": lambda f: ["opel", "--date=2026-03-31"],
    "opel submit": lambda f: ["opel", "submit", _file(f, "o.csv")],
    "outcomes": lambda f: ["outcomes", "--from=2026-03-01", "--to=2026-03-31"],
    "pdsa list": lambda f: ["pdsa", "list", "--date=2026-03-31"],
    "rebuild": lambda f: ["rebuild"],
    "registry load-demo": lambda f: ["registry", "load-demo"],
    "report weekly": lambda f: ["report", "weekly", "--date=2026-03-31", f"--out={f / 'r.html'}"],
    "series import": lambda f: [
        "series", "import", _file(f, "s.csv", "date,value" + chr(10)), "--id=falls",
        "--system=QDE", "--title=Falls", "--better=lower",
    ],
    "serve": lambda f: ["serve", f"--port={free_port()}"],
    "simulate": lambda f: ["simulate", _file(f, "m.toml"), f"--out={f / 'r.parquet'}"],
    "sitrep": lambda f: ["sitrep", "--date=2026-03-31", f"--out={f / 's.csv'}"],
    "smart-list": lambda f: ["smart-list", "--date=2026-03-31"],
    "team add": lambda f: ["team", "add", "t1", "--name=Team", "--org=RX1"],
    "team list": lambda f: ["team", "list"],
    "token create": lambda f: ["token", "create", "--org=RX1"],
    "token list": lambda f: ["token", "list"],
    "token revoke": lambda f: ["token", "revoke", "abc"],
    "user add": lambda f: [
        "user", "add", "a@b.test", "--org=RX1", "--role=analyst", "--password-stdin"
    ],
    "user demo": lambda f: ["user", "demo"],
    "validate": lambda f: ["validate", "--to=2026-03-01", "--days=7", "--reps=5"],
}  # fmt: skip
# A command that would keep running (a server, a listener) runs as a real process, so that one
# that started would fail on its timeout rather than hang the tests.
PROCESSES = {"serve", "listen"}
# The commands that never read RUNS' way: why each is not tried.
OTHERS = {
    "init-db": "creates or upgrades the schema: the one command that does",
    "backup": "copies the database whatever its schema (a copy before an upgrade)",
    "restore": "fills a database that has no schema yet",
    "spc": "reads only its --input file",
}


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[str]:
    subcommands = getattr(command, "commands", {})
    if path and (not subcommands or command.callback is not None):
        yield " ".join(path)
    for name, sub in subcommands.items():
        yield from _commands(sub, (*path, name))


def test_every_command_is_tried_or_has_a_reason_not_to_be() -> None:
    walked = set(_commands(typer.main.get_command(app)))
    assert walked == set(RUNS) | set(OTHERS), walked ^ (set(RUNS) | set(OTHERS))


def test_the_latest_revision_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    engine = db.connect("sqlite://")
    assert (
        db.latest_revision()
        == ScriptDirectory.from_config(db.alembic_config(engine)).get_current_head()
    )


def _run(name: str, url: str, folder: Path) -> Any:
    if name in PROCESSES:
        return homeflow(url, *RUNS[name](folder), process=True, timeout=60)
    return homeflow(url, *RUNS[name](folder), stdin="a long enough password\n")


def _refused(done: Any, needed: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: database: "), done.stderr
    assert needed in done.stderr and "homeflow init-db" in done.stderr, done.stderr


@pytest.fixture(scope="module", params=ENGINES)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One database per engine: each test sets the revision it says it is at."""
    with fresh_database(request.param, tmp_path_factory.mktemp("schema")) as engine:
        yield engine


def _at(engine: Engine, revision: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        if revision is not None:
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
            conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": revision})


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


@pytest.mark.parametrize("name", sorted(set(RUNS) - PROCESSES))
def test_no_sqlite_file_is_created(name: str, tmp_path: Path) -> None:
    database = tmp_path / "missing" / "homeflow.db"
    _refused(_run(name, f"sqlite:///{database}", tmp_path), "does not exist")
    assert not database.parent.exists()


@pytest.mark.parametrize("name", sorted(set(RUNS) - PROCESSES))
def test_a_database_without_a_schema_is_left_without_one(
    name: str, database: Engine, tmp_path: Path
) -> None:
    _at(database, None)
    tables = _tables(database)
    _refused(_run(name, url_of(database), tmp_path), "has no homeflow schema")
    assert _tables(database) == tables


@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_database_at_an_older_revision_is_not_upgraded(
    name: str, database: Engine, tmp_path: Path
) -> None:
    older = f"{int(db.latest_revision()) - 1:04d}"
    _at(database, older)
    _refused(_run(name, url_of(database), tmp_path), f"is at schema {older}")
    with database.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == older
