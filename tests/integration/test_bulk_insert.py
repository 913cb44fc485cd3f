"""`insert_rows`, the bulk insert of the event log and its projections (executemany on SQLite,
COPY on PostgreSQL): a refusal is SQLAlchemy's error, as a statement's is, and on PostgreSQL a
connection lost under it is given up, so the next transaction on it connects again."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from homeflow.store import schema as t
from homeflow.store.db import insert_rows
from tests.conftest import ENGINES, POSTGRES_URL


def row(key: str) -> dict[str, object]:
    return {
        "key": key,
        "type": "patient_details_updated",
        "source": "test",
        "spell_key": None,
        "patient_id": "RX1:P1",
        "occurred_at": datetime(2026, 11, 20, 9, 30),
        "received_at": datetime(2026, 11, 20, 9, 31),
        "payload": "{}",
        "raw": None,
        "recorded_by": None,
    }


def test_rows_are_stored_and_a_refused_row_is_an_integrity_error(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_rows(conn, t.events, [row("a"), row("b")])
    with pytest.raises(IntegrityError), engine.begin() as conn:
        insert_rows(conn, t.events, [row("c"), row("a")])  # "a" is stored: all or nothing
    with engine.connect() as conn:
        stored = conn.execute(select(t.events.c.key, t.events.c.occurred_at).order_by("seq"))
        assert [tuple(r) for r in stored] == [
            ("a", datetime(2026, 11, 20, 9, 30)),
            ("b", datetime(2026, 11, 20, 9, 30)),
        ]


@pytest.mark.postgresql
@pytest.mark.skipif("postgresql" not in ENGINES, reason="COPY is PostgreSQL's")
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_connection_lost_under_a_bulk_insert_connects_again(engine: Engine) -> None:
    assert POSTGRES_URL is not None
    with engine.connect() as conn:  # one connection kept, as the listener keeps one
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        conn.commit()
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        admin.dispose()
        with pytest.raises(DBAPIError) as lost, conn.begin():
            insert_rows(conn, t.events, [row("a")])
        assert lost.value.connection_invalidated
        with conn.begin():
            insert_rows(conn, t.events, [row("b")])
        assert conn.execute(select(func.count()).select_from(t.events)).scalar_one() == 1
