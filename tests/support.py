"""Helpers for tests that run homeflow as a user would: the CLI (in this process by Typer's
runner, or as a real subprocess), the web server and the MLLP listener as real subprocesses,
and an MLLP client. The benchmarks and the screenshot script start their server with
`ServerProcess` too."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

from homeflow.ingest.hl7.mllp import split_file

# Set by coverage (`patch = ["subprocess"]`) so that the processes the tests start are measured.
COVERAGE_VARIABLES = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")


def homeflow(
    url: str,
    *args: str,
    stdin: str | None = None,
    timeout: float = 600,
    measured: bool = True,
    env: dict[str, str] | None = None,
    process: bool = False,
) -> subprocess.CompletedProcess[str]:
    """The `homeflow` command as a user runs it, against the database at `url`: its exit code,
    standard output and standard error.

    It runs in this process, through Typer's runner (a real process costs 1-2 s of start-up);
    an exception the command does not handle is raised here, as it is the traceback a real
    process would print. `process=True` starts a real `python -m homeflow.cli`, for a test
    about the process itself (its entry point, a signal, a lock held by another process);
    `timeout` is for that process.

    A fixture that only builds data passes `measured=False`: the command runs without
    coverage's tracing, at about half the time, and is measured in the tests about it.
    """
    if not process:
        return _in_process(url, args, stdin, measured, env or {})
    variables = {**os.environ, **(env or {}), "HOMEFLOW_DATABASE_URL": url, "COLUMNS": "200"}
    if not measured:
        for name in COVERAGE_VARIABLES:
            variables.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "homeflow.cli", *args],
        env=variables,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _in_process(
    url: str, args: tuple[str, ...], stdin: str | None, measured: bool, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    from typer.testing import CliRunner

    from homeflow.cli import app

    variables = {**env, "HOMEFLOW_DATABASE_URL": url, "COLUMNS": "200"}
    with unmeasured(not measured):
        done = CliRunner().invoke(
            app,
            list(args),
            input=stdin,
            env=variables,
            catch_exceptions=False,
            prog_name="homeflow",
        )
    return subprocess.CompletedProcess(
        ["homeflow", *args], done.exit_code, done.stdout, done.stderr
    )


@contextmanager
def unmeasured(pause: bool) -> Iterator[None]:
    """Coverage's tracing paused (when it runs), as the environment without
    COVERAGE_PROCESS_START leaves a real process unmeasured."""
    import coverage

    current = coverage.Coverage.current() if pause else None
    if current is None:
        yield
        return
    current.stop()
    try:
        yield
    finally:
        current.start()


def hl7_messages(folder: Path) -> list[bytes]:
    return [m for path in sorted(folder.glob("*.hl7")) for m in split_file(path.read_bytes())]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_listening(port: int, stopped: Callable[[], bool], seconds: float) -> None:
    """Until something accepts connections on `port`; not if what should is `stopped`."""
    deadline = time.monotonic() + seconds
    while not stopped():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on port {port}"
            time.sleep(0.02)


@contextmanager
def listening(engine: Engine) -> Iterator[int]:
    """The MLLP listener in this process, on a thread and event loop of its own, for tests of
    what is stored from a feed rather than of the process (its start, signals, its log): it
    costs no interpreter start. Yields its port; stops it as SIGTERM would, at the end."""
    from homeflow.ingest.hl7.listener import Listener
    from homeflow.ingest.mapping import FeedMapping

    port = free_port()
    stopping = asyncio.Event()
    loops: list[asyncio.AbstractEventLoop] = []
    failed: list[BaseException] = []

    async def serve() -> None:
        loops.append(asyncio.get_running_loop())
        await Listener(engine, FeedMapping()).serve("127.0.0.1", port, stopping)

    def run() -> None:
        try:
            asyncio.run(serve())  # as `homeflow listen` runs it: what is left is cancelled
        except BaseException as failure:
            failed.append(failure)

    thread = threading.Thread(target=run, name=f"listener:{port}")
    thread.start()
    try:
        _wait_until_listening(port, lambda: bool(failed), 60)
        yield port
    finally:
        if loops:
            # A listener that has already stopped (its writer failed) has closed its loop.
            with contextlib.suppress(RuntimeError):
                loops[0].call_soon_threadsafe(stopping.set)
        thread.join(timeout=60)
    if failed:
        raise failed[0]


class _CommandProcess:
    """`python -m homeflow.cli COMMAND ...` as a real subprocess, its log kept in a file, not a
    pipe: a pipe nobody reads until the end fills (64 KiB) when the process logs a lot (a
    listener through a database outage), and the process then blocks writing its log."""

    def __init__(self, url: str, argv: list[str], env: dict[str, str] | None) -> None:
        self._argv = argv
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "homeflow.cli", *argv],
            env={**os.environ, "HOMEFLOW_DATABASE_URL": url, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )

    def stop(self, kill_after: float | None = None) -> str:
        """SIGTERM, then what the process logged. It must stop by itself within 30 s, unless
        `kill_after` says how long to wait before killing it."""
        from tests.timeline import process_ended

        process_ended(self._argv, self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=kill_after or 30)
        except subprocess.TimeoutExpired:
            if kill_after is None:
                raise
            self.process.kill()
            self.process.wait()
        self._log.seek(0)
        printed = self._log.read().decode(errors="replace")
        self._log.close()
        return printed


class ListenerProcess(_CommandProcess):
    """`homeflow listen` as a real subprocess; `stop()` returns its log."""

    def __init__(self, url: str, port: int, *extra: str, env: dict[str, str] | None = None) -> None:
        self.port = port
        super().__init__(url, ["listen", "--port", str(port), *extra], env)
        try:
            _wait_until_listening(port, lambda: self.process.poll() is not None, 60)
        except AssertionError as late:
            raise RuntimeError(f"the listener did not start:\n{self.stop(kill_after=5)}") from late
        if self.process.poll() is not None:
            raise RuntimeError(self.stop())


class ServerProcess(_CommandProcess):
    """`homeflow serve` as a real subprocess, ready when its OpenAPI schema answers."""

    def __init__(
        self, url: str, *extra: str, env: dict[str, str] | None = None, port: int | None = None
    ) -> None:
        import httpx

        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        super().__init__(url, ["serve", "--port", str(self.port), *extra], env)
        # Generous: a busy 2-core machine can take long to import the app; a server that
        # exits is reported at once, with what it printed.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                httpx.get(f"{self.base}/openapi.json", timeout=5)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        printed = self.stop()[-2000:]
        raise RuntimeError(f"the server did not start:\n{printed}")

    def stop(self, kill_after: float | None = 20) -> str:
        return super().stop(kill_after)


def community_events(url: str) -> int:
    """How many community records the database at `url` holds."""
    from sqlalchemy import create_engine, func, select

    from homeflow.store import schema as t

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.scalar(
                select(func.count())
                .select_from(t.events)
                .where(t.events.c.type.like("community-%"))
            )
            return int(found or 0)
    finally:
        engine.dispose()


# The demo the feed tests send as HL7 (tests/integration/conftest.py builds it), and the days
# their census is compared on.
DEMO_END = "2026-03-31"
# The short demo the modules that only read a demo share (one build per engine, not one each).
SHORT_DEMO = ("--days", "10", "--end", DEMO_END, "--seed", "5")
DAYS = ("2026-03-26", "2026-03-29", DEMO_END)
ADT_COLUMNS = (
    "ward_code",
    "beds",
    "occupied",
    "stranded",
    "super_stranded",
    "admissions",
    "discharges",
    "discharges_before_noon",
)


def adt_census(url: str, day: str) -> list[tuple[str, ...]]:
    """The census columns that ADT alone determines (NCTR comes from flow events)."""
    done = homeflow(url, "census", "--date", day, "--format", "csv")
    assert done.returncode == 0, done.stderr
    return [tuple(r[c] for c in ADT_COLUMNS) for r in csv.DictReader(io.StringIO(done.stdout))]
