"""The event log partitioned on PostgreSQL (migration 0022, store/log_partitions.py): a closed
partition keeps its events in the log and its keys unique; a detached one leaves the log whole
in what it promises (a resent event is a duplicate, an event for an archived spell is refused,
a rebuild waits until it is back); and on SQLite every partition command says why not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select, text

from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.store import schema as t
from homeflow.store.eventlog import EventLog
from homeflow.store.log_partitions import (
    attach_partition,
    close_partition,
    detach_partition,
    partitions,
)
from homeflow.store.rebuild import rebuild
from tests.conftest import ENGINES, projections
from tests.support import homeflow


def on_postgresql(test: Callable[..., None]) -> Callable[..., None]:
    for mark in (
        pytest.mark.parametrize("engine", ["postgresql"], indirect=True),
        pytest.mark.skipif("postgresql" not in ENGINES, reason="partitions are PostgreSQL's"),
        pytest.mark.postgresql,
    ):
        test = mark(test)
    return test


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 4, day, hour, tzinfo=UTC)


def _admitted(spell: str, day: int) -> ev.Event:
    at = _at(day, 10)
    return ev.Event(f"{spell}-a", "test", at, at, spell, ev.Admitted(f"P-{spell}", "SITE", "W-A"))


def _discharged(spell: str, day: int) -> ev.Event:
    at = _at(day, 15)
    return ev.Event(f"{spell}-d", "test", at, at, spell, ev.Discharged("home"))


def _states(engine: Engine) -> dict[str, tuple[str, int, int | None]]:
    with engine.connect() as conn:
        return {
            p.name: (
                ("open" if p.open else "closed") if p.attached else "detached",
                p.events,
                p.first_seq,
            )
            for p in partitions(conn)
        }


def _in_log(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_on_sqlite_every_partition_command_says_the_log_is_one_table(
    engine: Engine, database_url: str
) -> None:
    for args in (
        ["log", "partitions"],
        ["log", "close-partition"],
        ["log", "detach", "events_p0001", "--before=2026-01-01"],
        ["log", "attach", "events_p0001"],
    ):
        done = homeflow(database_url, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert "partitioned on PostgreSQL; SQLite keeps it in one table" in done.stderr, args


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_key_is_stored_once_by_the_database_itself(engine: Engine) -> None:
    # Past the log's own duplicate check, straight into the table: the database refuses.
    EventLog(engine).append([_admitted("S1", 1)])
    with pytest.raises(Exception, match=r"UNIQUE|unique"), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO events (key, type, source, occurred_at, received_at, payload)"
                " SELECT key, type, source, occurred_at, received_at, payload FROM events"
            )
        )
    assert _in_log(engine) == 1


@on_postgresql
def test_a_closed_partition_keeps_its_events_in_the_log_and_its_keys_unique(engine: Engine) -> None:
    log = EventLog(engine)
    log.append([_admitted("S1", 1), _admitted("S2", 1)])
    with engine.begin() as conn:
        assert close_partition(conn) == ("events_p0001", "events_p0002")
    assert _states(engine) == {
        "events_p0001": ("closed", 2, 1),
        "events_p0002": ("open", 0, None),
    }
    with engine.begin() as conn, pytest.raises(InvalidInput, match="holds no events yet"):
        close_partition(conn)
    # New events go to the open partition; one already in the closed one is a duplicate.
    result = log.append([_discharged("S1", 2), _admitted("S1", 1)])
    assert result.applied == ["S1-d"] and result.duplicates == ["S1-a"]
    assert _states(engine)["events_p0002"] == ("open", 1, 3)
    assert _in_log(engine) == 3


@on_postgresql
def test_a_detached_partition_archives_its_spells_and_the_log_keeps_its_promises(
    engine: Engine,
) -> None:
    log = EventLog(engine)
    log.append([_admitted("S1", 1), _discharged("S1", 3), _admitted("S2", 2)])
    with engine.begin() as conn:
        close_partition(conn)

    def detach(name: str, line: date) -> int:
        with engine.begin() as conn:
            return detach_partition(conn, name, line)

    with pytest.raises(InvalidInput, match="takes new events"):
        detach("events_p0002", date(2026, 5, 1))
    with pytest.raises(InvalidInput, match="on or after 01/04/2026"):
        detach("events_p0001", date(2026, 4, 1))
    with pytest.raises(
        InvalidInput,
        match=r"1 spells and 0 bed requests with events in events_p0001 are still open \(S2\)",
    ):
        detach("events_p0001", date(2026, 5, 1))
    log.append([_discharged("S2", 4)])
    assert detach("events_p0001", date(2026, 5, 1)) == 2
    kept = projections(engine)
    assert _states(engine)["events_p0001"] == ("detached", 3, 1)
    assert _in_log(engine) == 1
    with pytest.raises(InvalidInput, match="already detached"):
        detach("events_p0001", date(2026, 5, 1))

    # Resent, an archived event is a duplicate; a new event for an archived spell is refused.
    late = ev.Event("S1-late", "test", _at(5, 9), _at(5, 9), "S1", ev.DischargeCancelled())
    result = log.append([_admitted("S1", 1), late])
    assert result.duplicates == ["S1-a"] and result.applied == []
    assert [(r.key, r.field) for r in result.rejected] == [("S1-late", "spell")]
    assert "events_p0001 is detached" in result.rejected[0].reason
    assert projections(engine) == kept  # nothing changed
    with pytest.raises(InvalidInput, match="homeflow log attach events_p0001"):
        rebuild(engine)

    with engine.begin() as conn:
        attach_partition(conn, "events_p0001")
    assert _states(engine)["events_p0001"] == ("closed", 3, 1)
    assert _in_log(engine) == 4
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.archived_spells)).scalar_one() == 0
    rebuild(engine)
    # The whole log again, folded as it was kept (the census, never started here, now is).
    folded = projections(engine)
    assert {k: folded[k] for k in ("spells", "patients")} == {
        k: kept[k] for k in ("spells", "patients")
    }
    result = log.append([late])
    assert result.applied == ["S1-late"]


@on_postgresql
def test_the_commands_list_close_detach_and_attach(engine: Engine, database_url: str) -> None:
    EventLog(engine).append([_admitted("S1", 1), _discharged("S1", 2)])
    closed = homeflow(database_url, "log", "close-partition")
    assert (
        closed.returncode == 0
        and "closed events_p0001; new events go to events_p0002" in closed.stderr
    )
    detached = homeflow(database_url, "log", "detach", "events_p0001", "--before=2026-05-01")
    assert detached.returncode == 0, detached.stderr
    assert "detached events_p0001: 1 spells archived" in detached.stderr
    listed = homeflow(database_url, "log", "partitions")
    assert listed.returncode == 0, listed.stderr
    assert "events_p0001" in listed.stdout and "detached" in listed.stdout
    assert "01/04/2026" in listed.stdout and "02/04/2026" in listed.stdout
    wrong = homeflow(database_url, "log", "attach", "events_p0009")
    assert wrong.returncode == 2 and "PARTITION: 'events_p0009' is not a partition" in wrong.stderr
    again = homeflow(database_url, "log", "attach", "events_p0001")
    assert again.returncode == 0 and "attached events_p0001" in again.stderr
    bad = homeflow(database_url, "log", "detach", "events_p0001", "--before=1/5/2026")
    assert bad.returncode == 2 and "--before" in bad.stderr
