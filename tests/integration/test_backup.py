"""Backup and restore with the real commands, on SQLite and PostgreSQL: a copy taken while
another writer goes on appending events and audit rows restores into an empty database as one
consistent moment — its event log a prefix of the source's, its projections what a rebuild of
that log gives, its audit chain whole."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from homeflow.domain import events as ev
from homeflow.domain.privacy import Role
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access import Viewer, record
from homeflow.store.eventlog import EventLog
from homeflow.store.rebuild import rebuild
from tests.conftest import ENGINES, POSTGRES_URL, demo_database, projections
from tests.support import SHORT_DEMO, homeflow


def keep_writing(url: str, stop: threading.Event) -> None:
    """Admissions and audit rows, one after another, until told to stop."""
    engine = db.connect(url)
    log = EventLog(engine)
    n = 0
    while not stop.is_set():
        n += 1
        at = datetime.now(UTC) - timedelta(minutes=30)
        payload = ev.Admitted(f"LOAD{n}", "RX101", "RX101-M01", None, ev.AdmissionMethod.EMERGENCY)
        log.append([ev.Event(f"load-{n}", "load", at, at, f"RX1:LOAD{n}", payload)])
        record(engine, Viewer("load@rx1.test", "RX1", Role.WARD_STAFF, "load"), "view", f"load {n}")
    engine.dispose()


def empty_target(kind: str, source_url: str, folder: Path) -> tuple[str, str | None]:
    """Where to restore: a new SQLite file, or a new PostgreSQL database (same schema name)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'restored.db'}", None
    assert POSTGRES_URL is not None
    name = f"restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    options = make_url(source_url).query["options"]
    url = make_url(POSTGRES_URL).set(database=name).update_query_dict({"options": options})
    return url.render_as_string(hide_password=False), name


@pytest.mark.parametrize("kind", ENGINES)
def test_a_backup_under_write_load_restores_as_one_consistent_moment(
    kind: str, tmp_path: Path
) -> None:
    with demo_database(kind, tmp_path, *SHORT_DEMO) as url:  # a template other modules share
        stop = threading.Event()
        writer = threading.Thread(target=keep_writing, args=(url, stop))
        writer.start()
        try:
            copy = tmp_path / "homeflow.backup"
            done = homeflow(url, "backup", "--out", str(copy))
        finally:
            stop.set()
            writer.join()
        assert done.returncode == 0, done.stderr
        target, database = empty_target(kind, url, tmp_path)
        try:
            restored = homeflow(target, "restore", str(copy))
            assert restored.returncode == 0, restored.stderr
            again = homeflow(target, "restore", str(copy))
            assert again.returncode == 2 and "already holds" in again.stderr
            source, copied = db.connect(url), db.connect(target)
            check(source, copied)
            assert homeflow(target, "audit", "verify").returncode == 0
            source.dispose()
            copied.dispose()
        finally:
            if database is not None:
                admin = create_engine(str(POSTGRES_URL), isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
                admin.dispose()


def check(source: Engine, copied: Engine) -> None:
    e = t.events
    with copied.connect() as conn:
        kept = [tuple(r) for r in conn.execute(select(e.c.seq, e.c.key).order_by(e.c.seq))]
    with source.connect() as conn:
        original = [tuple(r) for r in conn.execute(select(e.c.seq, e.c.key).order_by(e.c.seq))]
    assert len(kept) > 1000 and kept == original[: len(kept)]
    assert any(key.startswith("load-") for _, key in original)  # the load did write
    before = projections(copied)
    rebuild(copied)
    assert projections(copied) == before
