"""Each organisation keeps its own record of a patient; people are linked by NHS number.

A property over random pairs of organisations: no patient-level HL7 message (A08, A31, A40)
from one organisation's feed changes the other's patient fold. And the ACK a sender gets
back echoes nothing that could break its MLLP stream.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from homeflow.demo import system
from homeflow.domain import events as ev
from homeflow.domain.activity import Admission, Discharge
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import nhs_number_check_digit, patient_key, person_of
from homeflow.domain.patient import fold_patients, merged_into
from homeflow.ingest.hl7 import adt
from homeflow.ingest.hl7.ack import ack
from homeflow.ingest.hl7.parser import parse
from homeflow.ingest.mapping import FeedMapping
from homeflow.reports.kpi import Readmitted

AT = datetime(2026, 3, 30, 9, tzinfo=UTC)
ORG_OF_SITE = {s.code: s.org_code for s in system.SITES}
SITE_OF_WARD = {w.code: w.site_code for w in system.WARDS}
ORGS = sorted(set(ORG_OF_SITE.values()))


def _nhs(n: int) -> str:
    """The n-th valid NHS number of the 999 range (never given to a real person)."""
    found = (
        f"999{k:06d}{check}"
        for k in range(10**6)
        if (check := nhs_number_check_digit(f"999{k:06d}")) is not None
    )
    return next(number for i, number in enumerate(found) if i == n)


def _feed(org: str) -> FeedMapping:
    return FeedMapping(organisation=org).with_registry(ORG_OF_SITE, SITE_OF_WARD)


def _admitted(org: str, nhs: str, n: int) -> ev.Event:
    site = next(s for s, o in ORG_OF_SITE.items() if o == org)
    ward = next(w for w, s in SITE_OF_WARD.items() if s == site)
    return ev.Event(
        f"seed-{org}-{n}", "test", AT, AT, f"{org}:V{n}",
        ev.Admitted(patient_key(org, nhs, site, None, "nhs"), site, ward, nhs_number=nhs,
                    family_name="Kept", given_name="Kim"),
    )  # fmt: skip


def _patient_message(trigger: str, org: str, n: int, nhs: str, retired: str) -> ev.Event:
    site = next(s for s, o in ORG_OF_SITE.items() if o == org)
    raw = (
        f"MSH|^~\\&|PAS|{site}|HF|QDE|20260330100000||ADT^{trigger}|M{n}|P|2.4\r"
        f"EVN|{trigger}|20260330100000\r"
        f"PID|1||{nhs}^^^NHS^NH||Renamed^Rita||19000101|F\r"
        f"MRG|{retired}^^^NHS^NH\r"
    )
    return adt.to_event(parse(raw), _feed(org), AT + timedelta(hours=1), raw)


@given(
    pair=st.permutations(ORGS).map(lambda orgs: orgs[:2]),
    messages=st.lists(
        st.tuples(st.sampled_from(sorted(adt.PATIENT_TRIGGERS)), st.integers(0, 5), st.integers(0, 5)),
        min_size=1,
        max_size=8,
    ),
)  # fmt: skip
@settings(max_examples=60, deadline=None)
def test_a_patient_message_from_one_organisation_never_changes_anothers_patients(
    pair: list[str], messages: list[tuple[str, int, int]]
) -> None:
    sender, other = pair
    people = [_nhs(n) for n in range(6)]
    theirs = [_admitted(other, nhs, n) for n, nhs in enumerate(people)]
    own = [_admitted(sender, nhs, 10 + n) for n, nhs in enumerate(people)]
    before = fold_patients(theirs + own)
    sent = [
        _patient_message(trigger, sender, k, people[a], people[b])
        for k, (trigger, a, b) in enumerate(messages)
        if trigger != "A40" or a != b
    ]
    after = fold_patients([*theirs, *own, *sent])
    links = merged_into([*theirs, *own, *sent])
    for key, patient in before.items():
        if key.startswith(f"{other}:"):
            assert after[key] == patient
            assert key not in links
    if any(e.payload.TYPE == ev.PatientDetailsUpdated.TYPE for e in sent):  # positive control
        assert any(p.family_name == "Renamed" for k, p in after.items() if k.startswith(sender))


def test_a_readmission_to_another_trust_is_the_same_person() -> None:
    nhs = _nhs(1)
    out = Discharge(patient_key("RX1", nhs, "", None, "x"), "RX101-M01", AT, AT, False, None, None)
    back = Admission(patient_key("RX2", nhs, "", None, "x"), AT + timedelta(days=3), True)
    stranger = Admission(patient_key("RX2", _nhs(2), "", None, "x"), AT + timedelta(days=3), True)
    assert Readmitted([back])(out, 30)
    assert not Readmitted([stranger])(out, 30)
    assert person_of(f"nhs:{nhs}") == person_of(out.patient_id) == f"nhs:{nhs}"
    assert person_of("RX1:mrn:RX101:L1") == "RX1:mrn:RX101:L1"


def test_a_patient_key_refused_never_quotes_the_number() -> None:
    for bad in ("9434765918", "12345"):
        try:
            patient_key("RX1", bad, "", None, "PID-3")
        except InvalidInput as problem:
            assert problem.field == "PID-3" and bad not in problem.reason
        else:
            raise AssertionError(bad)


def test_the_ack_escapes_every_echoed_field_and_holds_no_framing_byte() -> None:
    control = "A\\F\\B\\S\\C\\E\\D\\T\\E\x1cF\x0bG"
    raw = f"MSH|^~\\&|P\x1cAS|RX\x0b101|HF|QDE|20260330||ADT^A01|{control}|P|2.4\rPID|1\r"
    reply = ack(raw, "AR", "PID-3", "a reason with | and ^ and \\ and \x1c in it")
    assert "\x1c" not in reply and "\x0b" not in reply
    segments = reply.split("\r")
    assert segments[0].split("|")[4:6] == ["PAS", "RX101"]
    assert segments[1].split("|")[:3] == ["MSA", "AR", "A\\F\\B\\S\\C\\E\\D\\T\\EFG"]
    assert parse(reply).value("MSA", 2) == "A|B^C\\D&EFG"
    assert parse(reply).value("MSA", 3) == "PID-3: a reason with | and ^ and \\ and  in it"
