"""Which database, and how to talk to it: SQLite (WAL) by default, PostgreSQL in production."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Engine,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from homeflow.domain.errors import InvalidInput

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_URL = "sqlite:///var/homeflow.db"


def database_url() -> str:
    return os.environ.get("HOMEFLOW_DATABASE_URL", DEFAULT_URL)


def sqlite_busy_seconds() -> float:
    """How long a SQLite writer waits for another's lock before it gives up:
    HOMEFLOW_SQLITE_BUSY_SECONDS, else 30. (The listener then answers no ACK, and the sender
    resends.)"""
    value = os.environ.get("HOMEFLOW_SQLITE_BUSY_SECONDS", "30")
    try:
        seconds = float(value)
    except ValueError:
        raise InvalidInput("HOMEFLOW_SQLITE_BUSY_SECONDS", "must be a number of seconds") from None
    if not 0 < seconds <= 600:
        raise InvalidInput("HOMEFLOW_SQLITE_BUSY_SECONDS", "must be from 0 to 600 seconds")
    return seconds


def connect(url: str | None = None) -> Engine:
    """The engine for `url`. A failed statement's error never carries its values
    (`hide_parameters`): they may be patient data, and errors are logged."""
    url = url or database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": sqlite_busy_seconds()}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


READ_ONLY = "homeflow_read_only"


def _sqlite_begin(conn: Connection) -> None:
    # A writer takes the write lock when its transaction begins, so two writers queue rather
    # than fail; a reader (see `reading`) does not, so in WAL mode it never waits.
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only, which never queues behind writers or other readers."""
    with engine.connect() as conn:
        yield conn.execution_options(**{READ_ONLY: True})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, issue BEGIN (see the "begin" listener above).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Pages read thousands of scattered rows: keep more of the database in memory.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def upsert_insert(conn: Connection, table: Table) -> Any:
    """An INSERT that can take ON CONFLICT DO UPDATE, in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT rows (each with the same columns): by the driver's executemany on SQLite, by
    COPY on PostgreSQL.

    For bulk loads SQLAlchemy's per-row parameter handling costs more than the database's own
    insert; this keeps each column type's conversion (SQLite's text datetimes) and skips the
    rest. On PostgreSQL executemany still sends a statement a row; COPY streams them all.
    """
    if not rows:
        return
    names = list(rows[0])
    dialect = conn.dialect
    converted = [
        (i, fn)
        for i, name in enumerate(names)
        if (fn := _bind_converter(table.c[name].type, dialect)) is not None
    ]
    in_order = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    values: list[tuple[Any, ...]] = []
    if not converted:
        values = [in_order(row) for row in rows]
    else:
        for row in rows:
            value = list(in_order(row))
            for i, fn in converted:
                if value[i] is not None:
                    value[i] = fn(value[i])
            values.append(tuple(value))  # SQLAlchemy takes a list of tuples as executemany
    quote = dialect.identifier_preparer.quote
    columns = f"{quote(table.name)} ({', '.join(quote(n) for n in names)})"
    if dialect.name == "postgresql":
        _copy(conn, f"COPY {columns} FROM STDIN", values)
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {columns} VALUES ({', '.join([mark] * len(names))})", values)


def _copy(conn: Connection, statement: str, values: list[tuple[Any, ...]]) -> None:
    """COPY rows in on the connection's own transaction. A failure is handled as SQLAlchemy
    handles a statement's: raised as its error (an IntegrityError, its values hidden), and a
    lost connection invalidated, so that its next use connects again (the listener keeps
    one connection for its life)."""
    import psycopg

    dbapi_connection = conn.connection.dbapi_connection
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(statement) as copy:
            for value in values:
                copy.write_row(value)
    except psycopg.Error as failed:
        lost = conn.dialect.is_disconnect(cast(Any, failed), dbapi_connection, cursor)
        if lost:
            conn.invalidate(failed)
        raise DBAPIError.instance(
            statement,
            None,
            failed,
            psycopg.Error,
            hide_parameters=True,
            connection_invalidated=lost,
            dialect=conn.dialect,
        ) from failed
    finally:
        cursor.close()


def _bind_converter(column_type: Any, dialect: Any) -> Callable[[Any], Any] | None:
    converter: Callable[[Any], Any] | None = column_type.dialect_impl(dialect).bind_processor(
        dialect
    )
    if dialect.name == "sqlite" and isinstance(column_type, DateTime):
        return sqlite_datetime_text
    if dialect.name == "sqlite" and isinstance(column_type, Date) and converter is not None:
        return partial(sqlite_date_text, otherwise=converter)
    return converter


def sqlite_datetime_text(value: date) -> str:
    """SQLAlchemy's SQLite DATETIME text ('2026-11-22 09:30:00.000000'), formatted by
    `datetime.isoformat` in C: a backfill converts millions, and SQLAlchemy's formatter, which
    builds a dictionary of fields per value, cost as much as SQLite's insert."""
    if not isinstance(value, datetime):
        return f"{value.isoformat()} 00:00:00.000000"
    if value.tzinfo is not None:  # SQLAlchemy writes the wall time and drops the zone
        value = value.replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def sqlite_date_text(value: date, otherwise: Callable[[Any], str]) -> str:
    """SQLAlchemy's SQLite DATE text ('2026-11-22'), by `date.isoformat` (as above)."""
    return value.isoformat() if type(value) is date else otherwise(value)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config  # only when migrating: it is slow to import

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest migration (creates it on an empty database)."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")
    # A projection a migration adds is filled from the log once its tables exist.
    from homeflow.store.bed_projections import fill_if_missing

    with engine.begin() as conn:
        fill_if_missing(conn)


MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


def latest_revision() -> str:
    """The newest schema revision this code has. Revisions are numbered (0001, 0002, ...) and
    each migration's file begins with its number, so this is read without loading Alembic,
    which every command but `init-db` would pay for (tests/integration/test_cli_schema.py holds
    it to Alembic's head)."""
    return max(path.name[:4] for path in MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))


def schema_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at; None when it has none yet."""
    with reading(engine) as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return None if found is None else str(found)
