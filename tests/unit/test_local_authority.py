"""A patient's local authority of residence: folded from admissions and detail updates, carried
by HL7 v2 in PID-11.9 and by the CSV census, and refused naming the field when it is no code
or names an organisation of another kind."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeflow.demo import system
from homeflow.demo.people import COUNCIL_OF_SITE, council_of_residence
from homeflow.domain import events as ev
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import OrganisationType
from homeflow.domain.patient import fold_patients
from homeflow.ingest.census_csv import read_census
from homeflow.ingest.hl7 import adt
from homeflow.ingest.hl7.parser import parse
from homeflow.ingest.hl7.writer import adt_messages
from homeflow.ingest.mapping import FeedMapping

AT = datetime(2026, 3, 30, 9, tzinfo=UTC)
ORG_OF_SITE = {s.code: s.org_code for s in system.SITES}
SITE_OF_WARD = {w.code: w.site_code for w in system.WARDS}
TYPES = {o.code: o.type for o in system.ORGANISATIONS}
FEED = FeedMapping(organisation="RX1").with_registry(ORG_OF_SITE, SITE_OF_WARD, TYPES)
PATIENTS = ("RX1:nhs:9434765919", "RX1:mrn:RX101:L2")
# Registry councils, a council the registry does not hold (an ONS code), and none sent.
COUNCILS = st.sampled_from(["LAR01", "LAE01", "E06000001", None])


def _event(n: int, payload: ev.Payload) -> ev.Event:
    at = AT + timedelta(minutes=n)
    spell = None if payload.PATIENT_LEVEL else f"RX1:V{n}"
    return ev.Event(f"e{n}", "test", at, at, spell, payload)


def _payload(kind: str, patient: str, council: str | None) -> ev.Payload:
    if kind == "admitted":
        return ev.Admitted(patient, "RX101", "RX101-M01", local_authority=council)
    return ev.PatientDetailsUpdated(patient, local_authority=council)


@given(
    st.lists(
        st.tuples(st.sampled_from(["admitted", "updated"]), st.sampled_from(PATIENTS), COUNCILS),
        max_size=12,
    )
)
@settings(max_examples=40, deadline=None)
def test_a_patient_lives_where_the_latest_event_that_says_so_puts_them(
    steps: list[tuple[str, str, str | None]],
) -> None:
    stream = [_event(n, _payload(*step)) for n, step in enumerate(steps)]
    folded = fold_patients(reversed(stream))  # folded in occurred order, whatever the order given
    for patient in PATIENTS:
        said = [council for _, who, council in steps if who == patient and council]
        if any(who == patient for _, who, _ in steps):
            assert folded[patient].local_authority == (said[-1] if said else None)
        else:
            assert patient not in folded


def _message(pid_11: str, trigger: str = "A01") -> str:
    return (
        f"MSH|^~\\&|PAS|RX101|HF|QDE|20260330100000||ADT^{trigger}|M1|P|2.4\r"
        f"EVN|{trigger}|20260330100000\r"
        f"PID|1||9434765919^^^NHS^NH||Doe^Dee||19400101|F|||{pid_11}\r"
        "PV1|1|I|RX101-M01^^01^RX101|E|||||||||||||||V1\r"
    )


def _read(raw: str) -> ev.Payload:
    return adt.to_event(parse(raw), FEED, AT, raw).payload


def test_the_writer_puts_the_council_in_pid_11_9_and_the_parser_reads_it_back() -> None:
    admitted = ev.Admitted(
        "RX1:nhs:9434765919", "RX101", "RX101-M01", "01", nhs_number="9434765919",
        family_name="Doe", given_name="Dee", birth_date=date(1940, 1, 1), sex="female",
        local_authority="LAE01",
    )  # fmt: skip
    for council in ("LAE01", "E06000001", None):
        sent = ev.Event("k", "test", AT, AT, "RX1:V1", replace(admitted, local_authority=council))
        [(_, raw)] = adt_messages([sent])
        assert ("^^^^^^H^^" in raw) is (council is not None)
        back = _read(raw)
        assert isinstance(back, ev.Admitted) and back.local_authority == council
        assert back.family_name == "Doe" and back.sex == "female"


def test_a_patient_message_moves_the_patient_to_another_council() -> None:
    updated = _read(_message("1 High St^^Eastfield^^EF1 1AA^GBR^H^^LAE01", "A08"))
    assert isinstance(updated, ev.PatientDetailsUpdated) and updated.local_authority == "LAE01"
    # Only the home address says where the patient lives; none sent leaves it as it was.
    temporary = _read(_message("Ward 5^^Riverside^^^^C^^LAR01~^^^^^^H^^LAE01", "A31"))
    assert isinstance(temporary, ev.PatientDetailsUpdated)
    assert temporary.local_authority == "LAE01"
    for silent in ("", "1 High St^^Eastfield", "^^^^^^C^^LAR01"):
        found = _read(_message(silent, "A08"))
        assert isinstance(found, ev.PatientDetailsUpdated) and found.local_authority is None


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        ("^^^^^^H^^Eastfield County", "not an ODS code"),
        ("^^^^^^H^^lae01", "not an ODS code"),
        ("^^^^^^H^^RX1", "'RX1' is not a local authority in the registry (its type is acute)"),
        ("^^^^^^H^^QDE", "not a local authority"),
    ],
)
def test_a_bad_council_is_refused_naming_pid_11_9(sent: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        _read(_message(sent))
    assert refused.value.field == "PID-11.9" and reason in refused.value.reason


def test_an_unknown_council_is_kept_as_given() -> None:
    # The registry holds the system's own councils; a patient may live anywhere in England.
    found = _read(_message("^^^^^^H^^E09000033"))
    assert isinstance(found, ev.Admitted) and found.local_authority == "E09000033"


def test_an_event_refuses_a_council_that_is_no_code() -> None:
    for bad in ("", "LA 01", "la01"):
        with pytest.raises(InvalidInput) as refused:
            ev.Admitted("P1", "RX101", "RX101-M01", local_authority=bad)
        assert refused.value.field == "local_authority"
        with pytest.raises(InvalidInput):
            ev.PatientDetailsUpdated("P1", local_authority=bad)


CENSUS = (
    "ward,bed,local_id,nhs_number,admitted,edd,discharge_ready_date,delay_reason,pathway,"
    "local_authority\n"
)


def test_the_census_carries_the_council_and_names_the_column_when_it_is_bad() -> None:
    wards = {w.code: ORG_OF_SITE[w.site_code] for w in system.WARDS}
    lines = read_census(
        CENSUS + "RY101-C1,01,MB1,,2026-03-20,,,,,LAE01\nRY101-C1,02,MB2,,2026-03-20,,,,,\n",
        SITE_OF_WARD, wards, TYPES,
    )  # fmt: skip
    assert [line.local_authority for line in lines] == ["LAE01", None]
    with pytest.raises(InvalidInput) as refused:
        read_census(CENSUS + "RY101-C1,01,MB1,,2026-03-20,,,,,RY1\n", SITE_OF_WARD, wards, TYPES)
    assert "line 2, local_authority: 'RY1' is not a local authority" in refused.value.reason


def test_the_demo_houses_most_patients_near_their_site_and_some_in_the_other_council() -> None:
    numbers = [f"999{k:06d}0" for k in range(0, 10**6, 997)]
    for site, home in COUNCIL_OF_SITE.items():
        found = [council_of_residence(site, n) for n in numbers]
        away = sum(c != home for c in found) / len(found)
        assert set(found) == {"LAR01", "LAE01"} and 0.08 < away < 0.16
        assert TYPES[home] is OrganisationType.LOCAL_AUTHORITY
