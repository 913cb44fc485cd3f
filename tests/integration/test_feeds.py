"""Feeds end to end: files, the MLLP listener (killed mid-stream), mapping and replay."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from homeflow.domain.clock import SYSTEM_ZONE
from homeflow.ingest.feeds import APPLIED, import_hl7
from homeflow.ingest.hl7.listener import Listener
from homeflow.ingest.hl7.mllp import Sender, frame
from homeflow.ingest.mapping import FeedMapping
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.rebuild import rebuild
from homeflow.store.users import add_user
from tests.conftest import ENGINES, fresh_database, last_seq, projections, url_of
from tests.support import (
    DAYS,
    DEMO_END,
    ListenerProcess,
    ServerProcess,
    adt_census,
    free_port,
    hl7_messages,
    homeflow,
    listening,
)
from tests.web_site import PASSWORD, Site, csrf_of, signed_in


@pytest.fixture(params=ENGINES)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as engine:
        url = url_of(engine)
        assert homeflow(url, "registry", "load-demo").returncode == 0
        yield url


def test_ingesting_the_demo_hl7_files_gives_the_demo_census(
    demo: tuple[str, Path], empty_url: str
) -> None:
    demo_url, folder = demo
    done = homeflow(empty_url, "ingest", "hl7", str(folder))
    assert done.returncode == 0, done.stderr
    assert "0 rejected, 0 held" in done.stderr
    for day in DAYS:
        assert adt_census(empty_url, day) == adt_census(demo_url, day)
    again = homeflow(empty_url, "ingest", "hl7", str(folder))
    assert again.returncode == 0 and "0 applied" in again.stderr


def test_a_backfill_interrupted_after_some_transactions_leaves_views_a_rebuild_would_make(
    demo: tuple[str, Path], empty_url: str
) -> None:
    """Views follow a backfill every few transactions and at its end, even an early end."""
    _, folder = demo
    raws = [m.decode() for m in hl7_messages(folder)]
    engine = db.connect(empty_url)
    assert len(raws) > 300
    with engine.begin() as conn:  # the census kept day by day, as the import moves it
        proj.extend_census(conn, date.fromisoformat(DEMO_END))
    outcomes = import_hl7(engine, raws, FeedMapping(), batch=40, project_every=100)
    taken = [outcome for _, outcome in zip(range(250), outcomes, strict=False)]
    outcomes.close()  # the user stops it (Ctrl-C) part way through a transaction's outcomes
    assert {o.outcome for o in taken} == {APPLIED}
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
        assert stored == 280  # seven whole transactions, the one being read included
        assert proj.projected_through(conn) == last_seq(conn)
    imported = projections(engine)
    assert imported["spells"]
    rebuild(engine)
    assert projections(engine) == imported
    engine.dispose()


def test_the_listener_gives_the_demo_census_and_survives_sigkill(
    demo: tuple[str, Path], empty_url: str
) -> None:
    demo_url, folder = demo
    messages = hl7_messages(folder)
    acked: set[int] = set()
    lock = threading.Lock()
    port = free_port()
    listener = ListenerProcess(empty_url, port)
    killed = threading.Event()

    def send_share(share: list[int]) -> None:
        sender = Sender(port)
        try:
            for n in share:
                reply = sender.send(messages[n])
                assert b"MSA|AA|" in reply, reply
                with lock:
                    acked.add(n)
                    if len(acked) >= len(messages) // 3 and not killed.is_set():
                        killed.set()
                        listener.process.send_signal(signal.SIGKILL)
        except (ConnectionError, OSError):
            pass
        finally:
            sender.close()

    shares = [list(range(k, len(messages), 4)) for k in range(4)]
    threads = [threading.Thread(target=send_share, args=(share,)) for share in shares]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=600)
    listener.process.wait(timeout=30)
    assert killed.is_set() and len(acked) < len(messages)

    # A real sender resends whatever it has no ACK for; some were committed before the kill.
    listener = ListenerProcess(empty_url, port)
    try:
        sender = Sender(port)
        for n in range(len(messages)):
            if n not in acked:
                assert b"MSA|AA|" in sender.send(messages[n])
        sender.close()
    finally:
        listener.stop()

    from homeflow.store import db

    engine = db.connect(empty_url)
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
        distinct = conn.execute(select(func.count(func.distinct(t.events.c.key)))).scalar_one()
    engine.dispose()
    assert stored == distinct == len(messages)
    for day in DAYS:
        assert adt_census(empty_url, day) == adt_census(demo_url, day)


MAPPING = """
[feed]
source = "pas-north"
[wards]
"RX101/WARD 9" = "RX101-M09"
"""


def _message(control: str, trigger: str, ward: str, when: str, extra_pv1: str = "") -> bytes:
    return (
        f"MSH|^~\\&|PAS|RX101|HF|QDE|{when}||ADT^{trigger}|{control}|P|2.4\r"
        f"EVN|{trigger}|{when}\r"
        f"PID|1||9434765919^^^NHS^NH||Smith^Ann||19400101|F\r"
        f"PV1|1|I|{ward}^^04^RX101|E|||||||||||||||VISIT1{extra_pv1}\r"
    ).encode()


def test_a_listener_whose_writer_stops_exits_rather_than_leave_senders_waiting(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault that stops the writer (not the store: that is answered and retried) ends the
    listener with an error, so its supervisor starts it again; the sender's message is not
    ACKed and its connection is closed, not left waiting for an answer that cannot come."""

    def broken(_listener: Listener, _first: object) -> list[object]:
        raise RuntimeError("a fault in the writer")

    monkeypatch.setattr(Listener, "_gather", broken)
    engine = db.connect(empty_url)
    try:
        with pytest.raises(RuntimeError, match="writer stopped"), listening(engine) as port:
            sender = Sender(port, timeout=60)
            with pytest.raises(ConnectionError):
                sender.send(_message("W1", "A01", "RX101-M01", "20260330100000"))
            sender.close()
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(t.events)) == 0
    finally:
        engine.dispose()


def test_an_unmapped_ward_is_held_then_replayed_after_the_mapping_is_fixed(
    empty_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.hl7").write_bytes(_message("M1", "A01", "WARD 9", "20260330100000"))
    (folder / "b.hl7").write_bytes(_message("M2", "A03", "WARD 9", "20260331110000"))
    first = homeflow(empty_url, "ingest", "hl7", str(folder))
    assert first.returncode == 1 and "1 held for mapping" in first.stderr
    listed = homeflow(empty_url, "messages", "--rejected")
    assert "PV1-3" in listed.stdout and "WARD 9" in listed.stdout
    mapping = tmp_path / "north.toml"
    mapping.write_text(MAPPING)
    replayed = homeflow(
        empty_url, "messages", "replay", "--all-rejected", "--mapping", str(mapping)
    )
    assert replayed.returncode == 0, replayed.stderr
    assert "applied" in replayed.stderr
    census = {r[0]: r for r in adt_census(empty_url, "2026-03-30")}
    assert census["RX101-M09"][2] == "1"  # occupied at midnight
    assert "WARD 9" not in homeflow(empty_url, "messages", "--rejected").stdout


def test_a_message_from_the_future_is_refused_and_kept_with_its_reason(
    empty_url: str, tmp_path: Path
) -> None:
    """A sender whose clock runs hours fast: its message names occurred_at and why, is kept,
    and is stored on replay once the tolerance (a setting) allows it."""
    folder = tmp_path / "in"
    folder.mkdir()
    now = datetime.now(SYSTEM_ZONE)
    (folder / "a.hl7").write_bytes(
        _message("P1", "A01", "RX101-M01", f"{now - timedelta(hours=1):%Y%m%d%H%M%S}")
    )
    ahead = now + timedelta(hours=3)
    (folder / "b.hl7").write_bytes(_message("F1", "A02", "RX101-M02", f"{ahead:%Y%m%d%H%M%S}"))
    first = homeflow(empty_url, "ingest", "hl7", str(folder))
    assert first.returncode == 1, first.stderr
    assert "1 applied" in first.stderr and "1 rejected" in first.stderr, first.stderr
    listed = homeflow(empty_url, "messages", "--rejected").stdout
    assert "occurred_at" in listed and "ahead of the clock" in listed, listed
    with db.reading(db.connect(empty_url)) as conn:
        wards = list(conn.execute(select(t.spells.c.ward_code)))
    assert [tuple(w) for w in wards] == [("RX101-M01",)]  # the transfer is not applied
    settings_file = tmp_path / "homeflow.toml"
    settings_file.write_text("[event_log]\nfuture_tolerance_minutes = 240\n")
    replayed = homeflow(
        empty_url,
        "messages",
        "replay",
        "--all-rejected",
        env={"HOMEFLOW_CONFIG": str(settings_file)},
    )
    assert replayed.returncode == 0, replayed.stderr
    with db.reading(db.connect(empty_url)) as conn:
        wards = list(conn.execute(select(t.spells.c.ward_code)))
    assert [tuple(w) for w in wards] == [("RX101-M02",)]


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (
            b"MSH|^~\\&|PAS|RX101|HF|QDE|20260330||ADT^A01|X1|P|2.4\rPID|1||9434765919^^^NHS^NH\rPV1|1|I|RX101-M01^^1^RX101",
            "PV1-19",
        ),
        (b"MSH|^~\\&|PAS|RX101|HF|QDE|20260330||ADT^A01|X2|P|9.9\rPV1|1|I", "MSH-12"),
        (b"MSH|^~\\&|PAS|RX101|HF|QDE|20260330||ORU^R01|X3|P|2.4\rPV1|1|I", "MSH-9"),
        (
            b"MSH|^~\\&|PAS|RX101|HF|QDE|20260330||ADT^A01|X4|P|2.4\rPID|1||9434765918^^^NHS^NH\rPV1|1|I|RX101-M01||||||||||||||||V9",
            "PID-3",
        ),
        (
            b"MSH|^~\\&|PAS|RX101|HF|QDE|2026-03-30||ADT^A02|X5|P|2.4\rPID|1||1^^^X^MR\rPV1|1|I|RX101-M01||||||||||||||||V9",
            "EVN-6",
        ),
    ],
)
def test_the_listener_answers_bad_messages_with_ar_naming_the_field(
    empty_url: str, message: bytes, field: str
) -> None:
    port = free_port()
    listener = ListenerProcess(empty_url, port)
    try:
        sender = Sender(port)
        reply = sender.send(message).decode()
        sender.close()
    finally:
        listener.stop()
    assert "MSA|AR|" in reply and field in reply.split("\r")[1]
    assert "ERR|" in reply


@st.composite
def hostile_bytes(draw: st.DrawFn) -> bytes:
    good = _message("F1", "A01", "RX101-M01", "20260330100000")
    kind = draw(st.sampled_from(["truncate", "binary", "separators", "huge", "no-msh", "frame"]))
    if kind == "truncate":
        # Cut anywhere before the visit number: what is left can never be applied.
        return frame(good[: draw(st.integers(0, good.index(b"VISIT1")))])
    if kind == "binary":
        return frame(draw(st.binary(max_size=300)).replace(b"\x1c\r", b""))
    if kind == "separators":
        return frame(good.replace(b"|", draw(st.sampled_from([b"", b"^", b"||"]))))
    if kind == "huge":
        return frame(good + b"ZZZ|" + b"x" * draw(st.integers(70_000, 200_000)))
    if kind == "no-msh":
        return frame(good[good.index(b"\r") + 1 :])
    return draw(
        st.sampled_from(
            [b"\x0b" + good, good + b"\x1c\r", b"junk" + frame(good), b"\x1c\r\x0b\x0b"]
        )
    )


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    folder = tmp_path_factory.mktemp("fuzz")
    with fresh_database("sqlite", folder) as engine:
        url = url_of(engine)
        assert homeflow(url, "registry", "load-demo").returncode == 0
        port = free_port()
        listener = ListenerProcess(url, port, "--max-message-bytes", "65536")
        sender = Sender(port)
        assert b"MSA|AA|" in sender.send(_message("BASE", "A01", "RX101-M02", "20260329090000"))
        sender.close()
        # The listener acknowledges on commit and projects when the feed pauses: wait for the
        # spell to be projected, so that no test sees the projection arrive as a change.
        deadline = time.monotonic() + 60
        while ("RX1:VISIT1",) not in [row[:1] for row in _snapshot(engine)]:
            assert time.monotonic() < deadline, "the listener never projected the first message"
            time.sleep(0.1)
        yield url, port
        assert listener.process.poll() is None, "the listener died"
        listener.stop()


def _snapshot(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(t.spells).order_by(t.spells.c.spell_key))] + [
            tuple(r) for r in conn.execute(select(t.events.c.key).order_by(t.events.c.key))
        ]


@given(hostile_bytes())
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_malformed_input_never_crashes_the_listener_or_changes_stored_data(
    fuzz_target: tuple[str, int], payload: bytes
) -> None:
    import socket

    from homeflow.store import db

    url, port = fuzz_target
    engine = db.connect(url)
    before = _snapshot(engine)
    reply = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
            while chunk := sock.recv(65536):
                reply += chunk
        except OSError:
            pass  # the listener closed a connection it could not trust: allowed
    # Either an ACK that is not AA, or the connection closed with no ACK.
    assert b"MSA|AA|" not in reply
    assert _snapshot(engine) == before
    engine.dispose()


def test_the_integration_engineer_fixes_a_mapping_and_replays_in_the_browser(
    empty_url: str, tmp_path: Path
) -> None:
    """Journey 10 on the feeds page: a held message with its field and reason, a bad mapping
    refused naming the section, a good one saved, the replay storing what it now maps."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.hl7").write_bytes(_message("M1", "A01", "WARD 9", "20260330100000"))
    assert homeflow(empty_url, "ingest", "hl7", str(folder)).returncode == 1
    engine = db.connect(empty_url)
    add_user(engine, "admin@qde.test", "QDE", "admin", PASSWORD)
    add_user(engine, "analyst@qde.test", "QDE", "analyst", PASSWORD)
    engine.dispose()
    mappings = tmp_path / "mappings"
    server = ServerProcess(empty_url, env={"HOMEFLOW_MAPPINGS": str(mappings)})
    try:
        site = Site(empty_url, server.base)
        assert signed_in(site, "analyst@qde.test").get("/feeds").status_code == 403
        admin = signed_in(site, "admin@qde.test")
        page = admin.get("/feeds").text
        assert "PV1-3" in page and "WARD 9" in page and "held" in page
        bad = admin.post(
            "/feeds/hl7/mapping",
            data={"csrf_token": csrf_of(page), "mapping": '[feed]\nsource = "hl7"\n[ward]\n"WARD 9" = "X"\n'},
        )  # fmt: skip
        assert bad.status_code == 400 and "ward" in bad.text and "not a mapping section" in bad.text
        assert not (mappings / "hl7.toml").exists()
        good = '[feed]\nsource = "hl7"\n[wards]\n"RX101/WARD 9" = "RX101-M09"\n'
        saved = admin.post(
            "/feeds/hl7/mapping", data={"csrf_token": csrf_of(page), "mapping": good}
        )
        assert saved.status_code == 200 and (mappings / "hl7.toml").read_text() == good
        replayed = admin.post("/feeds/hl7/replay", data={"csrf_token": csrf_of(page)})
        assert "hl7 replayed: 1 applied" in replayed.text
        assert "Nothing refused or held" in replayed.text
    finally:
        server.stop()
    census = {r[0]: r for r in adt_census(empty_url, "2026-03-30")}
    assert census["RX101-M09"][2] == "1"
