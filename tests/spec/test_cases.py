"""Spec cases, the ehrql way: each file in cases/ is a stream of events and the figures it must
give, worked out by hand from the definitions in docs/returns.md. Every case runs through every
write path, on each engine, and each path is compared with the truth, not with another path.

Write paths: the events appended in time order; shuffled; each twice; the ADT events through the
MLLP listener (a real subprocess, which acknowledges before it projects and catches up after)
with the flow events appended beside them; the ADT events through the HL7 file import; and the
log appended, its views dropped and rebuilt (`homeflow rebuild`)."""

from __future__ import annotations

import random
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from homeflow.domain import events as ev
from homeflow.domain.clock import SYSTEM_ZONE
from homeflow.domain.organisations import Organisation, OrganisationType, Site, Ward, WardType
from homeflow.ingest.feeds import import_hl7
from homeflow.ingest.hl7.mllp import Sender
from homeflow.ingest.hl7.writer import adt_messages
from homeflow.ingest.mapping import FeedMapping
from homeflow.reports.kpi import Level, Period
from homeflow.services.returns import kpi_rows, sitrep_rows
from homeflow.store.codec import event_from_record
from homeflow.store.eventlog import EventLog, rebuild
from homeflow.store.queries import census
from homeflow.store.registry import save_registry
from tests.conftest import ENGINES, fresh_database, url_of
from tests.support import ListenerProcess, free_port

CASES = sorted((Path(__file__).parent / "cases").glob("*.toml"))

ORGANISATIONS = (Organisation("RX1", "Riverside Hospitals", OrganisationType.ACUTE),)
SITES = (Site("RX1A", "Riverside General", "RX1"),)
WARDS = (
    Ward("RX1A-MED", "Medical ward", "RX1A", 4, "General Medicine", WardType.ACUTE),
    Ward("RX1A-SURG", "Surgical ward", "RX1A", 4, "General Surgery", WardType.ACUTE),
)
ADT = (
    ev.Admitted,
    ev.Transferred,
    ev.Discharged,
    ev.AdmissionCancelled,
    ev.TransferCancelled,
    ev.DischargeCancelled,
)


def _with_local_id(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    # A feed names the patient by a hospital number (PID-3); the cases need not.
    if kind == "admitted":
        return {"local_id": payload["patient_id"], **payload}
    return payload


def read_case(path: Path) -> tuple[list[ev.Event], dict[str, Any]]:
    case = tomllib.loads(path.read_text("utf-8"))
    received = datetime(2026, 11, 1, tzinfo=UTC)
    events = [
        event_from_record(
            {
                "key": f"spec:{path.stem}:{n}",
                "source": "spec",
                "type": e["type"],
                "occurred_at": datetime.fromisoformat(e["at"])
                .replace(tzinfo=SYSTEM_ZONE)
                .isoformat(),
                "spell_key": e["spell"],
                "payload": _with_local_id(e["type"], e.get("payload", {})),
            },
            received,
        )
        for n, e in enumerate(case["events"])
    ]
    return events, case["expect"]


def _in_order(engine: Engine, events: list[ev.Event], _folder: Path) -> None:
    EventLog(engine).append(sorted(events, key=lambda e: e.fold_order))


def _shuffled(engine: Engine, events: list[ev.Event], _folder: Path) -> None:
    shuffled = list(events)
    random.Random(len(events)).shuffle(shuffled)
    log = EventLog(engine)
    for event in shuffled:
        log.append([event])


def _twice(engine: Engine, events: list[ev.Event], _folder: Path) -> None:
    doubled = [*events, *events]
    random.Random(7).shuffle(doubled)
    log = EventLog(engine)
    for start in range(0, len(doubled), 3):
        log.append(doubled[start : start + 3])


def _split(events: list[ev.Event]) -> tuple[list[str], list[ev.Event]]:
    """The ADT events as HL7 v2 messages in time order, and the flow events."""
    ordered = sorted(events, key=lambda e: e.fold_order)
    messages = [m for _, m in adt_messages([e for e in ordered if isinstance(e.payload, ADT)])]
    return messages, [e for e in ordered if not isinstance(e.payload, ADT)]


def _through_the_listener(engine: Engine, events: list[ev.Event], _folder: Path) -> None:
    messages, flow = _split(events)
    listener = ListenerProcess(url_of(engine), free_port())
    try:
        sender = Sender(listener.port)
        for message in messages:
            assert b"MSA|AA" in sender.send(message.encode()), message
        sender.close()
    finally:
        listener.stop()
    EventLog(engine).append(flow)


def _file_import(engine: Engine, events: list[ev.Event], _folder: Path) -> None:
    messages, flow = _split(events)
    outcomes = list(import_hl7(engine, iter(messages), FeedMapping(), batch=2))
    assert all(o.accepted for o in outcomes), outcomes
    EventLog(engine).append(flow)


def _rebuilt(engine: Engine, events: list[ev.Event], folder: Path) -> None:
    _in_order(engine, events, folder)
    rebuild(engine)


WRITE_PATHS: dict[str, Callable[[Engine, list[ev.Event], Path], None]] = {
    "in order": _in_order,
    "shuffled": _shuffled,
    "each twice": _twice,
    "MLLP listener": _through_the_listener,
    "HL7 file import": _file_import,
    "rebuilt": _rebuilt,
}


def _figures(engine: Engine, expect: dict[str, Any]) -> dict[str, Any]:
    """The same figures as `expect`, read from homeflow."""
    found: dict[str, Any] = {"census": {}, "sitrep": {}, "delayed_bed_days": {}}
    for day, wards in expect.get("census", {}).items():
        rows = {r.ward_code: r.as_dict() for r in census(engine, date.fromisoformat(day))}
        found["census"][day] = {
            ward: {name: rows[ward][name] for name in wanted} for ward, wanted in wards.items()
        }
    for day, wanted in expect.get("sitrep", {}).items():
        rows = {
            f"{r.metric}|{r.metric_type}|{r.metric_group}": r.value
            for r in sitrep_rows(engine, date.fromisoformat(day), "RX1")
        }
        found["sitrep"][day] = {name: rows.get(name, 0) for name in wanted}
    for span in expect.get("delayed_bed_days", {}):
        first, last = (date.fromisoformat(d) for d in span.split("/"))
        rows = kpi_rows(engine, "delayed-bed-days", Level.SYSTEM, first, last, Period.RANGE)
        found["delayed_bed_days"][span] = sum(r["numerator"] for r in rows)
    return {kind: values for kind, values in found.items() if kind in expect}


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize("path", sorted(WRITE_PATHS))
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_a_case_gives_its_figures_through_every_write_path(
    case: Path, path: str, kind: str, tmp_path: Path
) -> None:
    events, expect = read_case(case)
    with fresh_database(kind, tmp_path) as engine:
        with engine.begin() as conn:
            save_registry(conn, ORGANISATIONS, SITES, WARDS)
        WRITE_PATHS[path](engine, events, tmp_path)
        assert _figures(engine, expect) == expect


def test_there_are_cases() -> None:
    assert len(CASES) >= 5
