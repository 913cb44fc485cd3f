"""Each organisation's feed writes only its own patients, spells and wards (issue 27).

RX1's feed (its mapping names RX1) runs through the real MLLP listener and the real file
import; RX2's patient is already on record. Every trigger homeflow accepts is sent naming
another trust's ward, site or prior location, and is refused naming the field with nothing
stored; patient-level messages about RX2's patient change RX1's record, never RX2's; the same
messages about RX1's own patients and places are stored (the positive control). The FHIR API
and the CSV census keep to the token's and the file's organisation the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import person_of
from homeflow.ingest.feeds import import_hl7, receive_census
from homeflow.ingest.hl7.adt import BED_TRIGGERS, PATIENT_TRIGGERS, TRIGGERS
from homeflow.ingest.hl7.mllp import Sender, frame
from homeflow.ingest.mapping import FeedMapping
from homeflow.store import schema as t
from homeflow.store.after_discharge import discharges
from homeflow.store.eventlog import EventLog
from tests.conftest import ENGINES, fresh_database, projections, url_of
from tests.support import ListenerProcess, ServerProcess, free_port, homeflow

RX1_MAPPING = """
[feed]
source = "pas-rx1"
organisation = "RX1"
[wards]
"WD9" = "RX201-M03"
"""
OWN = "9990000018"  # RX1's patient
THEIRS = "9434765919"  # RX2's patient
THEIRS_TOO = "4010232137"  # another of RX2's patients
OWN_PLACE = "RX101-M01^^04^RX101"
# A location in a message from RX1's feed that is not RX1's, and the field it is refused on.
FOREIGN_PLACES = {
    "another trust's ward with the feed's own site": ("RX201-M03^^04^RX101", "", "PV1-3"),
    "an unknown site": ("RX101-M01^^04^ZZZ", "", "PV1-3"),
    "another trust's site": ("RX201-M03^^04^RX201", "", "PV1-3"),
    "a mapping to another trust's ward": ("WD9^^04^RX101", "", "PV1-3"),
    "another trust's prior location": (OWN_PLACE, "RX201-M03^^04^RX201", "PV1-6"),
}
# What must be on record before a trigger can apply to a spell.
BEFORE = {"A02": ("A01",), "A12": ("A01", "A02"), "A13": ("A01", "A03"), "A22": ("A01", "A21")}
ADMITTING = {"A01", "A04", "A05", "A06"}
AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def message(
    control: str,
    trigger: str,
    place: str = OWN_PLACE,
    prior: str = "",
    visit: str = "V1",
    nhs: str = OWN,
    name: str = "Own^Olive",
    born: str = "19400101",
    retired: str = "9990000026",
    when: str = "20260330100000",
    sending_facility: str = "RX101",
) -> bytes:
    segments = [
        f"MSH|^~\\&|PAS|{sending_facility}|HF|QDE|{when}||ADT^{trigger}|{control}|P|2.4",
        f"EVN|{trigger}|{when}",
    ]
    if trigger in BED_TRIGGERS:  # a bed status update: the bed's location in NPU-1, no patient
        return ("\r".join([*segments, f"NPU|{place}|U"]) + "\r").encode()
    segments.append(f"PID|1||{nhs}^^^NHS^NH||{name}||{born}|F")
    if trigger == "A40":
        segments.append(f"MRG|{retired}^^^NHS^NH")
    # PV1-10, the specialty: an A14's bed request names the one it needs.
    segments.append(f"PV1|1|I|{place}|E||{prior}||||General Medicine|||||||||{visit}")
    return ("\r".join(segments) + "\r").encode()


@dataclass
class Feeds:
    url: str
    engine: Engine
    port: int
    mapping: Path
    base: str
    tokens: dict[str, str]

    def send(self, raw: bytes) -> str:
        sender = Sender(self.port)
        try:
            return sender.send(raw).decode()
        finally:
            sender.close()

    def events(self) -> tuple[int, int]:
        with self.engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
            last = conn.execute(select(func.coalesce(func.max(t.events.c.seq), 0))).scalar_one()
        return int(count), int(last)

    def stored(self, control: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(
                select(t.feed_messages).where(t.feed_messages.c.control_id == control)
            ).one()

    def patient(self, patient_id: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(
                select(t.patients).where(t.patients.c.patient_id == patient_id)
            ).one_or_none()

    def spell(self, key: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(select(t.spells).where(t.spells.c.spell_key == key)).first()

    def events_of(self, prefix: str) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(t.events.c.key)
                    .where(t.events.c.patient_id.like(f"{prefix}%"))
                    .order_by(t.events.c.seq)
                ).scalars()
            )


def wait_for(found: Callable[[], Any]) -> Any:
    """The listener acknowledges on commit and projects when the feed pauses."""
    deadline = time.monotonic() + 30
    while not (value := found()):
        assert time.monotonic() < deadline, "the listener never projected the message"
        time.sleep(0.05)
    return value


@pytest.fixture(scope="module", params=ENGINES)
def feeds(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Feeds]:
    folder = tmp_path_factory.mktemp("feeds")
    with fresh_database(request.param, folder) as engine:
        url = url_of(engine)
        assert homeflow(url, "registry", "load-demo", measured=False).returncode == 0
        # RX2's patients, from RX2's own feed.
        rx2 = [
            message("RX2-1", "A01", "RX201-M03^^04^RX201", "", "E1", THEIRS, "Eastfield^Edna", "19500505", sending_facility="RX201"),
            message("RX2-2", "A01", "RX201-M04^^01^RX201", "", "E2", THEIRS_TOO, "Eastfield^Eric", "19510606", sending_facility="RX201"),
        ]  # fmt: skip
        done = list(import_hl7(engine, (m.decode() for m in rx2), FeedMapping(organisation="RX2")))
        assert [o.outcome for o in done] == ["applied", "applied"], done
        mapping = folder / "rx1.toml"
        mapping.write_text(RX1_MAPPING)
        tokens = {}
        for org in ("RX1", "RX2"):
            made = homeflow(url, "token", "create", "--org", org, "--scope", "fhir", measured=False)
            assert made.returncode == 0, made.stderr
            tokens[org] = made.stdout.strip()
        port = free_port()
        listener = ListenerProcess(url, port, "--mapping", str(mapping))
        server = ServerProcess(url)
        feeds = Feeds(url, engine, port, mapping, server.base, tokens)
        try:
            # RX1's own patient, admitted through its own feed.
            assert "MSA|AA|" in feeds.send(message("RX1-SEED", "A01", visit="S1"))
            yield feeds
        finally:
            server.stop()
            listener.stop()


# An A20 names one location, its bed's (NPU-1): no prior location to send.
CASES = [
    (trigger, case)
    for trigger in sorted(TRIGGERS)
    for case in FOREIGN_PLACES
    if not (trigger in BED_TRIGGERS and FOREIGN_PLACES[case][2] == "PV1-6")
]


def refused_on(trigger: str, field: str) -> str:
    return "NPU-1" if trigger in BED_TRIGGERS else field


@pytest.mark.parametrize(("trigger", "case"), CASES)
def test_every_trigger_naming_another_organisations_place_is_refused(
    feeds: Feeds, trigger: str, case: str
) -> None:
    place, prior, field = FOREIGN_PLACES[case]
    field = refused_on(trigger, field)
    control = f"X-{trigger}-{list(FOREIGN_PLACES).index(case)}"
    before = feeds.events()
    reply = feeds.send(message(control, trigger, place, prior, visit=f"X{trigger}"))
    msa = reply.split("\r")[1]
    assert msa.startswith(("MSA|AE|", "MSA|AR|")) and f"|{field}:" in msa, reply
    assert "ERR|" in reply
    assert feeds.events() == before  # nothing stored
    kept = feeds.stored(control)
    assert (kept.outcome, kept.field, kept.event_key) == ("rejected", field, None)
    assert kept.reason and kept.raw.startswith("MSH|")


@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
def test_every_trigger_about_the_feeds_own_patient_and_places_is_stored(
    feeds: Feeds, trigger: str
) -> None:
    """The positive control: the same messages with RX1's own ward, site and patient."""
    visit = f"OK{trigger}"
    for n, earlier in enumerate(BEFORE.get(trigger, () if trigger in ADMITTING else ("A01",))):
        raw = message(f"OK-{trigger}-{n}", earlier, visit=visit, when=f"202603300{n}0000")
        assert "MSA|AA|" in feeds.send(raw)
    before = feeds.events()
    reply = feeds.send(message(f"OK-{trigger}", trigger, visit=visit, prior=OWN_PLACE))
    assert "MSA|AA|" in reply, reply
    assert feeds.events()[0] == before[0] + 1
    assert feeds.stored(f"OK-{trigger}").outcome == "applied"
    if trigger not in PATIENT_TRIGGERS | BED_TRIGGERS:
        assert wait_for(lambda: feeds.spell(f"RX1:{visit}")).patient_id == f"RX1:nhs:{OWN}"


@pytest.mark.parametrize("trigger", sorted(PATIENT_TRIGGERS))
def test_a_patient_message_about_another_trusts_patient_changes_only_the_feeds_own_record(
    feeds: Feeds, trigger: str
) -> None:
    """RX1's A08/A31 naming RX2's patient's NHS number updates RX1's record of that person;
    RX1's A40 retiring RX2's patient's number merges RX1's records. RX2's stays as it was."""
    theirs = feeds.patient(f"RX2:nhs:{THEIRS}")
    theirs_too = feeds.patient(f"RX2:nhs:{THEIRS_TOO}")
    assert (theirs.family_name, theirs.birth_date) == ("Eastfield", date(1950, 5, 5))
    rx2_events = feeds.events_of("RX2:")
    if trigger == "A40":
        # RX1's own record of the person the merge retires, so that the merge (whatever the
        # order the tests run in) is seen to land on RX1's records.
        own_record = message("P-A40-own", "A08", nhs=THEIRS_TOO, name="Own^Ottilie")
        assert "MSA|AA|" in feeds.send(own_record)
        wait_for(lambda: feeds.patient(f"RX1:nhs:{THEIRS_TOO}"))
    raw = message(
        f"P-{trigger}", trigger, nhs=THEIRS, name="Renamed^Rita", born="19000101",
        retired=THEIRS_TOO,
    )  # fmt: skip
    assert "MSA|AA|" in feeds.send(raw)
    if trigger == "A40":
        wait_for(lambda: feeds.patient(f"RX1:nhs:{THEIRS_TOO}").merged_into == f"RX1:nhs:{THEIRS}")
    else:
        own = wait_for(lambda: feeds.patient(f"RX1:nhs:{THEIRS}"))
        assert (own.family_name, own.birth_date) == ("Renamed", date(1900, 1, 1))
    assert feeds.patient(f"RX2:nhs:{THEIRS}") == theirs
    assert feeds.patient(f"RX2:nhs:{THEIRS_TOO}") == theirs_too
    assert theirs_too.merged_into is None
    assert feeds.events_of("RX2:") == rx2_events
    # RX2's whiteboard and spell page show RX2's record.
    assert feeds.spell("RX2:E1").patient_id == f"RX2:nhs:{THEIRS}"


def test_a_patient_message_whose_organisation_cannot_be_told_is_refused(feeds: Feeds) -> None:
    """A feed without an organisation, from a sending facility that is no known site."""
    before = feeds.events()
    raw = message("NOORG", "A08", nhs=THEIRS, sending_facility="NOWHERE").decode()
    [outcome] = import_hl7(feeds.engine, [raw], FeedMapping(source="anon"))
    assert (outcome.outcome, outcome.field) == ("rejected", "MSH-4"), outcome
    assert "organisation" in (outcome.reason or "")
    assert feeds.events() == before


def test_the_file_import_refuses_every_foreign_place_and_stores_nothing(
    feeds: Feeds, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    expected = {}
    for n, (trigger, case) in enumerate(CASES):
        place, prior, field = FOREIGN_PLACES[case]
        control = f"F-{n}"
        expected[control] = refused_on(trigger, field)
        (folder / f"{n:03d}.hl7").write_bytes(frame(message(control, trigger, place, prior)))
    before = feeds.events()
    done = homeflow(feeds.url, "ingest", "hl7", str(folder), "--mapping", str(feeds.mapping))
    assert done.returncode == 1 and f"{len(CASES)} rejected" in done.stderr, done.stderr
    assert feeds.events() == before
    for control, field in expected.items():
        kept = feeds.stored(control)
        assert (kept.outcome, kept.field) == ("rejected", field), control


def test_the_ack_escapes_what_it_echoes_and_keeps_the_senders_stream_whole(
    feeds: Feeds,
) -> None:
    """MSH-10 holding an MLLP end byte and the encoding characters (sent escaped)."""
    control = "C\\F\\1\\S\\2\\E\\3\x1c4\x0b5"
    sender = Sender(feeds.port)
    try:
        sender.sock.sendall(frame(message(control, "A08", nhs=OWN)))
        reply = b""
        while not reply.endswith(b"\x1c\r"):
            chunk = sender.sock.recv(65536)
            assert chunk, "the listener closed the connection"
            reply += chunk
        # One frame: no framing byte but its own start and end.
        assert reply.count(b"\x1c") == 1 and reply.count(b"\x0b") == 1, reply
        msa = reply[1:-2].decode().split("\r")[1]
        assert msa == "MSA|AA|C\\F\\1\\S\\2\\E\\345", msa
        # The stream goes on: the next message is answered in its own frame.
        assert b"MSA|AA|NEXT" in sender.send(message("NEXT", "A08", nhs=OWN))
    finally:
        sender.close()


def test_the_listeners_log_never_carries_a_patients_number_name_or_birth_date(
    feeds: Feeds,
) -> None:
    port = free_port()
    listener = ListenerProcess(feeds.url, port, "--mapping", str(feeds.mapping))
    try:
        sender = Sender(port)
        bad_number = message("LOG-1", "A01", nhs="9434765918", name="Secret^Sally", born="19331122")
        foreign = message("LOG-2", "A01", "RX201-M03^^04^RX101", nhs=THEIRS, name="Secret^Sam")
        bad_birth = message("LOG-3", "A08", nhs=THEIRS, name="Secret^Sue", born="1933XX22")
        for raw in (bad_number, foreign, bad_birth):
            assert b"MSA|AR|" in sender.send(raw)
        sender.close()
    finally:
        log = listener.stop()
    assert "LOG-1" in log and "PID-3" in log  # the refusals are logged...
    for secret in ("9434765918", THEIRS, "Secret", "19331122", "1933XX22"):
        assert secret not in log, log  # ...without what the messages said about the patient


def test_a_readmission_to_another_trust_is_found_by_nhs_number(feeds: Feeds) -> None:
    """RX1 discharges RX2's patient's NHS number; RX2's emergency admission of 30/03 (its own
    record of the person) is that discharge's readmission."""
    for n, trigger in enumerate(("A01", "A03")):
        when = f"2026030{5 + n}100000"
        raw = message(f"RA-{n}", trigger, visit="RA1", nhs=THEIRS, when=when)
        assert "MSA|AA|" in feeds.send(raw)
    wait_for(lambda: (s := feeds.spell("RX1:RA1")) is not None and s.discharged_at is not None)
    with feeds.engine.connect() as conn:
        found = {d.spell_key: d for d in discharges(conn, date(2026, 3, 6), date(2026, 3, 6))}
    assert found["RX1:RA1"].readmitted_after == 24


def test_records_keyed_before_organisations_kept_their_own_are_kept_and_rebuilt_alike(
    feeds: Feeds,
) -> None:
    """An event stored before this change names the shared record (`nhs:...`): it is read as
    stored, links to the person, and `homeflow rebuild` gives the same projections."""
    legacy = f"nhs:{THEIRS_TOO}"
    EventLog(feeds.engine).append(
        [
            ev.Event(
                "legacy-1", "pas", AT, AT, "RX1:OLD1",
                ev.Admitted(legacy, "RX101", "RX101-M05", nhs_number=THEIRS_TOO, family_name="Old"),
            )
        ]
    )  # fmt: skip
    assert feeds.spell("RX1:OLD1").patient_id == legacy
    assert feeds.patient(legacy).family_name == "Old"
    assert person_of(legacy) == person_of(f"RX2:nhs:{THEIRS_TOO}")
    folded = ("spells", "ward_stays", "patients")  # the census is materialised by a rebuild
    before = {name: rows for name, rows in projections(feeds.engine).items() if name in folded}
    done = homeflow(feeds.url, "rebuild")
    assert done.returncode == 0, done.stderr
    after = projections(feeds.engine)
    assert {name: after[name] for name in folded} == before
    assert [r for r in after["patients"] if r[0] == legacy]


# ---- FHIR: the token's organisation ------------------------------------------------------


def _encounter(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Encounter",
        "status": "in-progress",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "identifier": [{"system": "https://example.nhs.uk/visit", "value": "FV1"}],
        "subject": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": THEIRS}},
        "period": {"start": "2026-03-30T10:00:00+01:00"},
        "location": [
            {
                "location": {"reference": "Location/RX101-M02"},
                "status": "active",
                "period": {"start": "2026-03-30T10:00:00+01:00"},
            }
        ],
    }
    body.update(changes)
    return body


def _post(feeds: Feeds, body: Any, org: str = "RX1") -> httpx.Response:
    return httpx.post(
        f"{feeds.base}/fhir/Encounter",
        json=body,
        headers={"Authorization": f"Bearer {feeds.tokens[org]}"},
        timeout=30,
    )


NOT_STRINGS = [[], {}, 5, True]
BAD_FIELDS = [
    ("Encounter.status", lambda v: _encounter(status=v)),
    ("Encounter.identifier", lambda v: _encounter(identifier=[{"value": v}])),
    ("Encounter.subject", lambda v: _encounter(subject={"reference": v})),
    ("Encounter.location", lambda v: _encounter(location=[{"location": {"reference": v}}])),
    ("Encounter.period", lambda v: _encounter(period={"start": v})),
]


@pytest.mark.parametrize("value", NOT_STRINGS, ids=repr)
@pytest.mark.parametrize(("field", "build"), BAD_FIELDS, ids=[f for f, _ in BAD_FIELDS])
def test_fhir_a_field_that_is_not_text_is_a_400_naming_it(
    feeds: Feeds, field: str, build: Callable[[Any], Any], value: Any
) -> None:
    before = feeds.events()
    answer = _post(feeds, build(value))
    assert answer.status_code == 400, answer.text
    issue = answer.json()["issue"][0]
    assert answer.json()["resourceType"] == "OperationOutcome"
    assert any(e.startswith(field) for e in issue["expression"]), issue
    assert feeds.events() == before


@pytest.mark.parametrize(
    "changes",
    [
        {"serviceProvider": {"reference": "Organization/RX2"}},
        {"serviceProvider": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RX2"}}},
        {"location": [{"location": {"reference": "Location/RX201-M03"}, "status": "active", "period": {"start": "2026-03-30T10:00:00+01:00"}}]},
    ],
    ids=["service provider by reference", "service provider by ODS code", "another trust's ward"],
)  # fmt: skip
def test_fhir_an_encounter_naming_another_organisation_is_refused(
    feeds: Feeds, changes: dict[str, Any]
) -> None:
    before = feeds.events()
    answer = _post(feeds, _encounter(identifier=[{"value": "FX1"}], **changes))
    assert answer.status_code == 403, answer.text
    assert answer.json()["resourceType"] == "OperationOutcome"
    assert feeds.events() == before


def test_fhir_an_encounter_for_another_trusts_patient_is_the_tokens_own_record(
    feeds: Feeds,
) -> None:
    theirs = feeds.patient(f"RX2:nhs:{THEIRS}")
    own = _encounter(serviceProvider={"reference": "Organization/RX1"})
    answer = _post(feeds, own)
    assert answer.status_code == 201, answer.text
    assert feeds.spell("RX1:FV1").patient_id == f"RX1:nhs:{THEIRS}"
    assert feeds.patient(f"RX2:nhs:{THEIRS}") == theirs
    found = httpx.get(
        f"{feeds.base}/fhir/Encounter",
        params={"patient": f"https://fhir.nhs.uk/Id/nhs-number|{THEIRS}"},
        headers={"Authorization": f"Bearer {feeds.tokens['RX1']}"},
        timeout=30,
    ).json()
    assert [e["resource"]["id"] for e in found.get("entry", [])] == [answer.json()["id"]]


# ---- The CSV census: the file's organisation ---------------------------------------------

CENSUS = "ward,bed,local_id,nhs_number,admitted,edd,discharge_ready_date,delay_reason,pathway\n"


def test_a_census_is_one_organisations_and_keys_its_own_patients(feeds: Feeds) -> None:
    before = feeds.events()
    mixed = CENSUS + f"RY101-C1,01,MB1,{THEIRS},2026-03-20,,,,\nRX201-M03,02,MB2,,2026-03-21,,,,\n"
    with pytest.raises(InvalidInput) as refused:
        receive_census(feeds.engine, mixed, date(2026, 3, 30))
    assert "line 3, ward: 'RX201-M03' belongs to RX2, not to RY1" in refused.value.reason
    assert feeds.events() == before
    theirs = feeds.patient(f"RX2:nhs:{THEIRS}")
    own = CENSUS + f"RY101-C1,01,MB1,{THEIRS},2026-03-20,,,,\n"
    assert receive_census(feeds.engine, own, date(2026, 3, 30))["admitted"]
    assert feeds.patient(f"RY1:nhs:{THEIRS}") is not None
    assert feeds.patient(f"RX2:nhs:{THEIRS}") == theirs
