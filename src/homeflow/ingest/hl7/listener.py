"""The MLLP listener: many connections, one writer, ACK only after commit.

Each connection's messages are answered in order. Messages from all connections go to one
writer that commits them in groups (one transaction for as many as are waiting), so the
ACK a sender receives always describes what is durably stored: the message, its outcome and
its event in the log. The projections (census, spells, patients) follow the log in larger
batches: when the feed pauses for `pause_seconds`, every `projection_interval` seconds, or every
`projection_batch` messages, whichever comes first; a listener that was killed brings them up
to date when it starts again. On SIGTERM the listener stops accepting, finishes what it has
received, answers it, projects it, and exits.

The writer runs on the event loop's own thread. While it commits there is nothing else for
the loop to do (every sender is waiting for its ACK), and handing each group to a worker
thread cost more, in the hand-over of the interpreter lock, than it saved.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from homeflow.domain import clock
from homeflow.ingest.feeds import DUPLICATE, HELD, REJECTED, Outcome, receive_hl7
from homeflow.ingest.hl7.ack import ack
from homeflow.ingest.hl7.mllp import Deframer, FramingError, frame
from homeflow.ingest.mapping import FeedMapping
from homeflow.store.eventlog import SpellCache, catch_up, lock_writers

log = logging.getLogger("homeflow.listener")


@dataclass
class Pending:
    raw: str
    done: asyncio.Future[Outcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Listener:
    def __init__(
        self,
        engine: Engine,
        mapping: FeedMapping,
        max_message_bytes: int = 1 << 20,
        group: int = 500,
        projection_interval: float = 1.0,
        projection_batch: int = 5000,
        gather_seconds: float = 0.002,
        pause_seconds: float = 0.05,
    ) -> None:
        self.engine = engine
        self.mapping = mapping
        self.max_message_bytes = max_message_bytes
        self.group = group
        self.projection_interval = projection_interval
        self.projection_batch = projection_batch
        self.gather_seconds = gather_seconds
        self.pause_seconds = pause_seconds
        self.queue: asyncio.Queue[Pending] = asyncio.Queue()
        self.connections: set[asyncio.Task[None]] = set()
        self.cache = SpellCache()
        self.unprojected = 0
        self.store: Connection | None = None
        self.failing = False  # the last attempt to reach the store failed
        self.project_after = 0.0  # the loop's time before which a failed projection waits

    async def serve(self, host: str, port: int, stopping: asyncio.Event | None = None) -> None:
        """Listen until `stopping` is set, or, without one, until SIGTERM or SIGINT."""
        if stopping is None:
            stopping = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stopping.set)
        self._project()  # what a killed listener committed but not projected
        server = await asyncio.start_server(self._connection, host, port, limit=1 << 16)
        writer = asyncio.create_task(self._write())
        log.info("listening for MLLP on %s:%d", host, port)
        stop = asyncio.create_task(stopping.wait())
        await asyncio.wait({stop, writer}, return_when=asyncio.FIRST_COMPLETED)
        if writer.done():
            # Without its writer the listener would take connections and never answer them:
            # stop, so that whatever supervises it sees the failure and starts it again.
            server.close()
            stop.cancel()
            log.error("the writer stopped: %r", writer.exception())
            raise RuntimeError("the MLLP listener's writer stopped") from writer.exception()
        log.info("stopping: finishing messages in flight")
        server.close()
        await server.wait_closed()
        await self.queue.join()
        for task in list(self.connections):
            task.cancel()
        writer.cancel()
        self._project()
        if self.store is not None:
            self.store.close()
        log.info("stopped")

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        peer = writer.get_extra_info("peername")
        deframer = Deframer(self.max_message_bytes)
        try:
            while data := await reader.read(1 << 16):
                for message in deframer.feed(data):
                    pending = Pending(message.decode("utf-8", errors="replace"))
                    await self.queue.put(pending)
                    outcome = await pending.done
                    writer.write(frame(self._ack(pending.raw, outcome).encode("utf-8")))
                    await writer.drain()
        except FramingError as problem:
            log.warning("closing connection from %s: %s", peer, problem)
        except (ConnectionError, asyncio.IncompleteReadError):
            log.info("connection from %s lost", peer)
        except asyncio.CancelledError:
            pass
        finally:
            self.connections.discard(task)
            writer.close()

    def _ack(self, raw: str, outcome: Outcome) -> str:
        if outcome.accepted:
            return ack(raw, "AA", reason="duplicate" if outcome.outcome == DUPLICATE else None)
        # The log names the message and the field, never the reason: a reason may quote what
        # the message carried (a number, a date of birth). The reason is kept with the
        # message (`homeflow messages --rejected`, the feeds page) and sent back in the ACK.
        if outcome.outcome == HELD:
            log.warning("message %r held: %s", outcome.control_id, outcome.field)
            return ack(raw, "AE" if self.mapping.strict else "AA", outcome.field, outcome.reason)
        # Unreadable or unsupported messages are refused (AR); readable ones that cannot be
        # applied, such as a discharge before its admission, are application errors (AE).
        code = "AE" if outcome.outcome == REJECTED and outcome.event_key else "AR"
        log.warning("message %r %s: %s", outcome.control_id, code, outcome.field)
        return ack(raw, code, outcome.field, outcome.reason)

    def _connection_to_store(self) -> Connection:
        # One connection for the listener's life: checking one out of the pool for every
        # group of messages costs as much as committing it.
        if self.store is None:
            self.store = self.engine.connect()
        return self.store

    def _failed(self, what: str, problem: Exception) -> None:
        """The store could not be reached: said in full the first time, in a line while it lasts
        (senders resend several times a second, and a log full of one traceback hides the rest).

        After a failure the connection may be broken in a way the driver has not noticed (the
        server restarted between statements): the next attempt starts on a new one."""
        if self.failing:
            log.warning("%s: %s again", what, type(problem).__name__)
        else:
            log.exception(what)
        self.failing = True
        if self.store is not None:
            self.store.invalidate()
            self.store.close()
            self.store = None

    def _reached(self) -> None:
        if self.failing:
            log.info("the store answers again")
        self.failing = False

    def _store(self, batch: list[Pending]) -> list[Outcome]:
        conn = self._connection_to_store()
        with conn.begin():
            return receive_hl7(
                conn, [p.raw for p in batch], self.mapping, clock.now(), self.cache, False
            )

    def _project(self) -> None:
        try:
            conn = self._connection_to_store()
            with conn.begin():
                lock_writers(conn)
                catch_up(conn, self.cache)
        except Exception as problem:  # the log is safe; the next projection or restart catches up
            self._failed("could not bring the projections up to date", problem)
            self.project_after = asyncio.get_running_loop().time() + self.projection_interval
        else:
            self._reached()
            self.unprojected = 0

    async def _next(self) -> Pending | None:
        """The next message; None when the feed has paused and the projections are behind."""
        if not self.unprojected:
            return await self.queue.get()
        # After a failed projection, wait a while before the next try.
        retry = self.project_after - asyncio.get_running_loop().time()
        try:
            return await asyncio.wait_for(self.queue.get(), max(self.pause_seconds, retry))
        except TimeoutError:
            return None

    async def _gather(self, first: Pending) -> list[Pending]:
        """The first message and those of the other connections, committed together.

        A sender waits for each ACK, so no more messages can come than there are connections:
        wait a moment for theirs (a group commit costs about as much as a single one).
        """
        batch = [first]
        deadline = asyncio.get_running_loop().time() + self.gather_seconds
        while len(batch) < self.group:
            if not self.queue.empty():
                batch.append(self.queue.get_nowait())
                continue
            left = deadline - asyncio.get_running_loop().time()
            if len(batch) >= len(self.connections) or left <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self.queue.get(), timeout=left))
            except TimeoutError:
                break
        return batch

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        projected_at = loop.time()
        while True:
            first = await self._next()
            if first is None:
                self._project()
                projected_at = loop.time()
                continue
            batch = await self._gather(first)
            try:
                outcomes = self._store(batch)
            except Exception as problem:  # the store is down: no ACK, the sender will resend
                self._failed(f"could not store {len(batch)} messages", problem)
                for p in batch:
                    p.done.set_exception(ConnectionError(str(problem)))
            else:
                self._reached()
                for p, outcome in zip(batch, outcomes, strict=True):
                    p.done.set_result(outcome)
                self.unprojected += len(batch)
            finally:
                for _ in batch:
                    self.queue.task_done()
            if self.unprojected >= self.projection_batch or (
                self.unprojected and loop.time() - projected_at >= self.projection_interval
            ):
                self._project()
                projected_at = loop.time()
