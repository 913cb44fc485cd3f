"""The feed survives its database: with the MLLP listener taking traffic, PostgreSQL is
restarted (`pg_ctlcluster ... restart`), or SQLite is locked by another writer for longer than
the listener waits. No message is ACKed that is not stored; a message that could not be
stored gets AE or its connection closed, and is stored when resent; the listener reconnects by
itself; every message ends up stored exactly once and the census equals a clean import's.

Restarting PostgreSQL would break every other test using it, so these run on their own after
the parallel suite (`make tests` runs the `database_restart` mark separately)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from homeflow.ingest.hl7.mllp import Sender
from homeflow.store import db
from homeflow.store import schema as t
from tests.conftest import ENGINES, fresh_database, url_of
from tests.support import DAYS, ListenerProcess, adt_census, free_port, hl7_messages, homeflow

pytestmark = pytest.mark.database_restart
SENDERS = 4
LOCKED_SECONDS = 5.0
BUSY_SECONDS = "1"  # the listener's SQLite busy timeout in this test: well under the lock


@dataclass
class Stream:
    """What the senders saw: ACKed messages, and each refusal (AE) or hang-up."""

    acked: set[int] = field(default_factory=set)
    refused: list[tuple[int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def send_resending(
    port: int, messages: list[bytes], share: list[int], stream: Stream, on_ack: Callable[[], None]
) -> None:
    """A patient administration system's sender: each message until it is ACKed AA,
    reconnecting after a hang-up and resending after an AE."""
    sender: Sender | None = None
    for n in share:
        # Five minutes for each message, not for the share: a busy machine is slow, not stuck.
        deadline = time.monotonic() + 300
        while True:
            assert time.monotonic() < deadline, "the listener never took the message again"
            try:
                if sender is None:
                    sender = Sender(port, timeout=120)
                reply = sender.send(messages[n])
            except OSError:
                with stream.lock:
                    stream.refused.append((n, "closed"))
                if sender is not None:
                    sender.close()
                sender = None
                time.sleep(0.2)
                continue
            if b"MSA|AA|" in reply:
                with stream.lock:
                    stream.acked.add(n)
                on_ack()
                break
            # Refused only for the store: a readable message is never rejected (AR).
            assert b"MSA|AE|" in reply, reply
            with stream.lock:
                stream.refused.append((n, "AE"))
            time.sleep(0.2)
    if sender is not None:
        sender.close()


def patient_names(messages: list[bytes]) -> set[str]:
    """The family names in the messages' PID segments."""
    found = set()
    for message in messages:
        for segment in message.decode().split("\r"):
            if segment.startswith("PID|"):
                found.add(segment.split("|")[5].split("^")[0])
    return found - {""}


def restart_postgresql() -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    done = subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def lock_sqlite(url: str) -> None:
    """Another writer holds SQLite's write lock for longer than the listener waits."""
    path = make_url(url).database
    assert path is not None
    other = sqlite3.connect(path, timeout=60, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    time.sleep(LOCKED_SECONDS)
    other.execute("ROLLBACK")
    other.close()


@pytest.mark.parametrize("kind", ENGINES)
def test_the_feed_survives_the_database_going_away(
    kind: str, demo: tuple[str, Path], tmp_path: Path
) -> None:
    demo_url, folder = demo
    messages = hl7_messages(folder)
    with fresh_database(kind, tmp_path) as engine:
        url = url_of(engine)
        assert homeflow(url, "registry", "load-demo").returncode == 0
        engine.dispose()
        port = free_port()
        # faulthandler: a listener that stops answering is aborted below to print its stacks.
        listener = ListenerProcess(
            url,
            port,
            env={"HOMEFLOW_SQLITE_BUSY_SECONDS": BUSY_SECONDS, "PYTHONFAULTHANDLER": "1"},
        )
        stream = Stream()
        fault_failed: list[BaseException] = []

        def fault_once() -> None:
            try:
                if kind == "postgresql":
                    restart_postgresql()
                else:
                    lock_sqlite(url)
            except BaseException as failure:
                fault_failed.append(failure)

        fault = threading.Thread(target=fault_once)
        started = threading.Event()

        def on_ack() -> None:
            with stream.lock:
                due = len(stream.acked) >= len(messages) // 3 and not started.is_set()
                if due:
                    started.set()
            if due:
                fault.start()

        shares = [list(range(k, len(messages), SENDERS)) for k in range(SENDERS)]
        senders = [
            threading.Thread(target=send_resending, args=(port, messages, s, stream, on_ack))
            for s in shares
        ]
        try:
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join(timeout=3600)
            fault.join(timeout=120)
            assert listener.process.poll() is None, "the listener stopped"
            if len(stream.acked) < len(messages):
                listener.process.send_signal(signal.SIGABRT)  # where it is stuck, to its log
        finally:
            log = listener.stop()
        assert not fault_failed, fault_failed
        # The listener's log holds no patient data (asserted below): its end says why it failed.
        assert started.is_set() and len(stream.acked) == len(messages), log[-6000:]
        # The fault was felt, and every message it hit was taken when resent.
        assert stream.refused, "no message met the fault: the test did not test it"
        assert "could not store" in log
        # Each outage is told once in full, then in a line a try, until the store answers again.
        outages = log.count("the store answers again")
        assert outages >= 1 and log.count(" ERROR ") == outages, log
        # What failed is logged, never the values it was storing (patient data).
        assert "[parameters: hidden due to hide_parameters=True]" in log or "[parameters" not in log
        assert not any(name in log for name in patient_names(messages))
        engine = db.connect(url)
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
            keys = conn.execute(select(func.count(func.distinct(t.events.c.key)))).scalar_one()
        engine.dispose()
        assert stored == keys == len(messages)
        for day in DAYS:
            assert adt_census(url, day) == adt_census(demo_url, day)
