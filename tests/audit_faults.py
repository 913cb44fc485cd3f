"""The audit log made to fail at the database, so a test can show that a change is never
stored without its audit row: a real trigger refuses every insert into `audit_log`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

_SQLITE = (
    "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END",
)
_POSTGRES = (
    "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$",
    "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_down()",
)


@contextmanager
def audit_log_down(url: str) -> Iterator[None]:
    """While inside, every write of an audit row fails, in every process using `url`."""
    engine = create_engine(url)
    postgres = engine.dialect.name == "postgresql"
    try:
        with engine.begin() as conn:
            for statement in _POSTGRES if postgres else _SQLITE:
                conn.execute(text(statement))
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER audit_down" + (" ON audit_log" if postgres else "")))
            if postgres:
                conn.execute(text("DROP FUNCTION audit_down()"))
        engine.dispose()
