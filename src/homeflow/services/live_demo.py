"""The demo as a living system: its history stops at the present moment, and with `--live` the
rest of the simulation is added as each event's moment comes, the ADT part optionally sent
over MLLP to a listener as a patient administration system would."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from homeflow.domain import events as ev
from homeflow.domain.clock import now
from homeflow.ingest.hl7.mllp import Sender
from homeflow.ingest.hl7.writer import adt_messages
from homeflow.store.eventlog import EventLog


def split_at(events: Sequence[ev.Event], now: datetime) -> tuple[list[ev.Event], list[ev.Event]]:
    """The events already received at `now`, and the later ones in the order they arrive."""
    history = [e for e in events if e.received_at <= now]
    later = sorted((e for e in events if e.received_at > now), key=lambda e: e.received_at)
    return history, later


def running_clock() -> Callable[[], datetime]:
    """The live demo's clock: from the present moment on, at real speed. A pinned clock
    (HOMEFLOW_NOW) stands still, and a demo played live must still move."""
    start, started = now(), time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - started)


@dataclass
class Played:
    appended: int = 0  # stored through the event log directly
    sent: int = 0  # ADT messages the listener accepted
    refused: int = 0  # ADT messages the listener answered with an error


def play_live(
    engine: Engine,
    history: Sequence[ev.Event],
    later: Sequence[ev.Event],
    stop_at: datetime | None = None,
    mllp: tuple[str, int] | None = None,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_batch: Callable[[Played], None] | None = None,
) -> Played:
    """Add each of `later` once the clock reaches the moment it was received, until `stop_at`
    or the end of the simulation. With `mllp`, ADT events go to that listener as HL7 v2."""
    clock = clock or running_clock()
    log = EventLog(engine)
    messages: dict[str, bytes] = {}
    if mllp is not None:
        ordered = sorted([*history, *later], key=lambda e: e.fold_order)
        messages = {e.key: m.encode() for e, m in adt_messages(ordered)}
    sender = Sender(mllp[1], mllp[0]) if mllp is not None else None
    played = Played()
    pending = list(later)
    try:
        while pending:
            due = pending[0].received_at
            if stop_at is not None and due > stop_at:
                break
            wait = (due - clock()).total_seconds()
            if wait > 0:
                sleep(
                    min(wait, 60.0) if stop_at is None else min(wait, 60.0, _left(stop_at, clock))
                )
                continue
            now = clock()
            batch = []
            while pending and pending[0].received_at <= now:
                batch.append(pending.pop(0))
            direct = [e for e in batch if e.key not in messages]
            if direct:
                played.appended += len(log.append(direct).applied)
            for event in batch:
                if sender is not None and event.key in messages:
                    ack = sender.send(messages[event.key])
                    if b"MSA|AA" in ack:
                        played.sent += 1
                    else:
                        played.refused += 1
            if on_batch is not None:
                on_batch(played)
    finally:
        if sender is not None:
            sender.close()
    return played


def _left(stop_at: datetime, clock: Callable[[], datetime]) -> float:
    return max((stop_at - clock()).total_seconds(), 0.0) + 0.001
