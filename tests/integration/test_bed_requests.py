"""Bed requests from the patient administration system: ADT^A14 (pending admit) and A27 (its
cancellation) through the real MLLP listener and the HL7 file import, acknowledged after
commit; a bad message refused naming the field with nothing stored; the request placed by the
patient's A01 into another bed than the one the site team allocated; `homeflow beds requests`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from homeflow.domain import bed_requests as br
from homeflow.domain import events as ev
from homeflow.ingest.feeds import import_hl7
from homeflow.ingest.hl7.mllp import Sender
from homeflow.ingest.mapping import FeedMapping
from homeflow.services.bed_requests import site_requests
from homeflow.store import schema as t
from homeflow.store.eventlog import EventLog
from tests.conftest import ENGINES, fresh_database, url_of
from tests.support import ListenerProcess, free_port, homeflow

NHS = "9990000018"


def a14(
    control: str,
    visit: str,
    pv2: str = "ISO",
    pv1_2: str = "E",
    specialty: str = "General Medicine",
    when: str = "20260302080000",
) -> str:
    return "\r".join([
        f"MSH|^~\\&|PAS|RX101|HF|QDE|{when}||ADT^A14|{control}|P|2.4",
        f"EVN|A14|{when}",
        f"PID|1||{NHS}^^^NHS^NH||Own^Olive||19400101|F",
        f"PV1|1|{pv1_2}|^^^RX101|E||||||{specialty}|||||||||{visit}",
        f"PV2||{pv2}",
    ]) + "\r"  # fmt: skip


def a27(control: str, visit: str, when: str = "20260302090000") -> str:
    return "\r".join([
        f"MSH|^~\\&|PAS|RX101|HF|QDE|{when}||ADT^A27|{control}|P|2.4",
        f"EVN|A27|{when}",
        f"PID|1||{NHS}^^^NHS^NH||Own^Olive||19400101|F",
        f"PV1|1|E|^^^RX101||||||||||||||||{visit}",
    ]) + "\r"  # fmt: skip


# A bad message, and the field it is refused on.
BAD = {
    "no specialty": (a14("B1", "V9", specialty=""), "PV1-10"),
    "an accommodation homeflow does not read": (a14("B2", "V9", pv2="DELUXE"), "PV2-2"),
    "a patient class that says nowhere": (a14("B3", "V9", pv1_2="Q"), "PV1-2"),
    "another trust's site": (a14("B4", "V9").replace("^^^RX101|E", "^^^RX201|E"), "PV1-3"),
    "no visit number": (a14("B5", ""), "PV1-19"),
}


@pytest.fixture(params=ENGINES)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path_factory.mktemp("requests")) as engine:
        assert homeflow(url_of(engine), "registry", "load-demo").returncode == 0
        yield engine


def _events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())


def test_a14_and_a27_over_mllp_bad_ones_refused_naming_the_field(
    engine: Engine, tmp_path: Path
) -> None:
    mapping = tmp_path / "rx1.toml"
    mapping.write_text('[feed]\nsource = "pas-rx1"\norganisation = "RX1"\n')
    listener = ListenerProcess(url_of(engine), free_port(), "--mapping", str(mapping))
    sender = Sender(listener.port)
    try:
        for name, (raw, field) in BAD.items():
            reply = sender.send(raw.encode()).decode()
            assert "MSA|AE|" in reply or "MSA|AR|" in reply, name
            assert f"|{field}:" in reply.split("\r")[1], (name, reply)
        assert _events(engine) == 0
        assert "MSA|AA|" in sender.send(a14("G1", "V1").encode()).decode()
        assert "MSA|AA|" in sender.send(a14("G2", "V2", pv2="SR", pv1_2="I").encode()).decode()
        assert "MSA|AA|" in sender.send(a27("G3", "V2").encode()).decode()
    finally:
        sender.close()
        listener.stop()
    found = {r.request_id: r for r in site_requests(engine, "RX101")}
    first, second = found["RX1:V1"], found["RX1:V2"]
    assert (first.status, first.request.isolation, first.request.sex) == (
        br.RequestStatus.WAITING,
        True,
        "female",
    )
    assert first.request.waiting_in is br.WaitingIn.EMERGENCY_DEPARTMENT
    assert first.request.patient_id == f"RX1:nhs:{NHS}"
    assert second.status is br.RequestStatus.CANCELLED
    assert (second.request.side_room, second.request.isolation) == (True, False)
    assert second.request.waiting_in is br.WaitingIn.ASSESSMENT_UNIT


def test_the_file_import_takes_a14_refuses_bad_ones_and_an_a01_places_the_request(
    engine: Engine,
) -> None:
    raws = [raw for raw, _ in BAD.values()]
    done = list(import_hl7(engine, iter(raws), FeedMapping(organisation="RX1"), batch=2))
    assert [(o.outcome, o.field) for o in done] == [("rejected", f) for _, f in BAD.values()]
    assert _events(engine) == 0
    [ok] = import_hl7(engine, iter([a14("F1", "V5")]), FeedMapping(organisation="RX1"))
    assert ok.accepted, ok
    # The site team gives bed 4 of RX101-M01; the patient goes to bed 5 at 14:00, six hours on.
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    allocated = br.BedAllocated("RX1:V5", "RX1", "RX101-M01", "04")
    admitted = ev.Admitted(f"RX1:nhs:{NHS}", "RX101", "RX101-M01", "05")
    EventLog(engine).append([
        ev.Event("t:alloc", "web", at, at, None, allocated),
        ev.Event("t:a01", "pas", at.replace(hour=14), at, "RX1:S5", admitted),
    ])  # fmt: skip
    [request] = site_requests(engine, "RX101")
    assert request.status is br.RequestStatus.PLACED and request.in_allocated_bed is False
    waits = br.waits([request])
    assert (len(waits.over_four_hours), len(waits.over_twelve_hours)) == (1, 0)
    assert waits.mean_hours == 6.0
    listed = homeflow(url_of(engine), "beds", "requests", "--site=RX101", "--format=json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == [], listed.stdout
