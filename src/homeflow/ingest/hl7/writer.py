"""Writing ADT events as HL7 v2.4 messages, as a patient administration system sends them.

The demo uses this to produce feed files that exercise ingestion end to end: MSH-4 is the
site code, PV1-3 is ward^room^bed^site and PV1-19 the visit number (homeflow's spell key).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime

from homeflow.domain import bed_requests as br
from homeflow.domain import events as ev
from homeflow.domain.bed_state import BedStatus, BedStatusSet, ClosureReason
from homeflow.domain.clock import SYSTEM_ZONE
from homeflow.domain.organisations import SPELL_KEY_SEPARATOR, issuer_of
from homeflow.ingest.hl7.bed_status import TABLE_0116

TRIGGERS: dict[type[ev.Payload], str] = {
    ev.Admitted: "A01",
    ev.Transferred: "A02",
    ev.Discharged: "A03",
    ev.AdmissionCancelled: "A11",
    ev.TransferCancelled: "A12",
    ev.DischargeCancelled: "A13",
    ev.LeaveOfAbsenceStarted: "A21",
    ev.LeaveOfAbsenceEnded: "A22",
}
ADMISSION_TYPES = {
    "emergency": "E",
    "elective": "EL",
    "transfer": "T",
    "maternity": "M",
    "other": "O",
}
SEXES = {"female": "F", "male": "M"}


def escape(text: str) -> str:
    """HL7 escape sequences for the default encoding characters (|^~\\&)."""
    return (
        text.replace("\\", "\\E\\")
        .replace("|", "\\F\\")
        .replace("^", "\\S\\")
        .replace("~", "\\R\\")
        .replace("&", "\\T\\")
    )


def hl7_time(instant: datetime) -> str:
    return instant.astimezone(SYSTEM_ZONE).strftime("%Y%m%d%H%M%S%z")


def adt_messages(
    adt_events: Iterable[ev.Event], sending_application: str = "DEMO-PAS", periods: bool = False
) -> Iterator[tuple[ev.Event, str]]:
    """Each ADT event with its HL7 v2.4 message (flow events are not ADT), in given order;
    with `periods`, each mental health delayed discharge period too, as an A08 with homeflow's
    ZDD segment (docs/feeds.md), which a patient administration system does not send.

    Each spell's admission details are remembered so later messages carry PID and PV1 as a
    real feed does.
    """
    admissions: dict[str, tuple[ev.Admitted, datetime]] = {}
    locations: dict[str, tuple[str, str | None]] = {}
    requests: dict[str, br.BedRequested] = {}
    for event in adt_events:
        if isinstance(event.payload, BedStatusSet):
            if (event.payload.status, event.payload.reason) in A20_CODES:
                yield (
                    event,
                    a20_message(event.key, event.occurred_at, event.received_at, event.payload),
                )
            continue
        if isinstance(event.payload, br.BedRequested | br.BedRequestCancelled):
            if isinstance(event.payload, br.BedRequested):
                requests[event.payload.request_id] = event.payload
            request = requests.get(event.payload.request_id)
            if request is not None:
                yield event, _request_message(event, request, sending_application)
            continue
        period = isinstance(event.payload, ev.MhDelayRecorded) and periods
        trigger = "A08" if period else TRIGGERS.get(type(event.payload))
        if trigger is None or event.spell_key is None:
            continue
        payload = event.payload
        if isinstance(payload, ev.Admitted):
            admissions[event.spell_key] = (payload, event.occurred_at)
            locations[event.spell_key] = (payload.ward_code, payload.bed)
        elif isinstance(payload, ev.Transferred):
            locations[event.spell_key] = (payload.ward_code, payload.bed)
            if payload.specialty and event.spell_key in admissions:
                # PV1-10 carries the team the patient is under now.
                admitted, admitted_at = admissions[event.spell_key]
                moved = replace(admitted, specialty=payload.specialty)
                admissions[event.spell_key] = (moved, admitted_at)
        if event.spell_key not in admissions:
            continue
        admitted, admitted_at = admissions[event.spell_key]
        yield (
            event,
            _message(
                event,
                trigger,
                admitted,
                admitted_at,
                locations[event.spell_key],
                sending_application,
            ),
        )


def _visit_number(key: str) -> str:
    """PV1-19 for a spell key: the visit number, with its issuer as assigning authority."""
    issuer = issuer_of(key)
    if issuer is None:
        return escape(key)
    return f"{escape(key[len(issuer) + len(SPELL_KEY_SEPARATOR) :])}^^^{issuer}"


def _message(
    event: ev.Event,
    trigger: str,
    admitted: ev.Admitted,
    admitted_at: datetime,
    location: tuple[str, str | None],
    sending_application: str,
) -> str:
    when = hl7_time(event.occurred_at)
    ward, bed = location
    discharged = event.payload if isinstance(event.payload, ev.Discharged) else None
    identifiers = []
    if admitted.local_id:
        identifiers.append(f"{escape(admitted.local_id)}^^^{admitted.site_code}^MR")
    if admitted.nhs_number:
        identifiers.append(f"{admitted.nhs_number}^^^NHS^NH")
    pv1 = [""] * 46
    pv1[0] = "PV1"
    pv1[1] = "1"
    pv1[2] = "I"
    pv1[3] = f"{escape(ward)}^^{escape(bed or '')}^{admitted.site_code}"
    pv1[4] = ADMISSION_TYPES[admitted.admission_method.value]
    pv1[10] = escape(admitted.specialty or "")
    pv1[19] = _visit_number(event.spell_key or "")
    if discharged is not None:
        pv1[36] = "4" if discharged.died else "1"
        pv1[37] = escape(discharged.destination or "")
        pv1[45] = when
    pv1[44] = hl7_time(admitted_at)
    segments = [
        f"MSH|^~\\&|{sending_application}|{admitted.site_code}|HOMEFLOW|QDE|{hl7_time(event.received_at)}||"
        f"ADT^{trigger}^ADT_A01|{escape(event.key)}|P|2.4",
        f"EVN|{trigger}|{hl7_time(event.received_at)}||||{when}",
        "|".join(
            [
                "PID",
                "1",
                "",
                "~".join(identifiers),
                "",
                f"{escape(admitted.family_name)}^{escape(admitted.given_name)}",
                "",
                admitted.birth_date.strftime("%Y%m%d") if admitted.birth_date else "",
                SEXES.get(admitted.sex or "", "U"),
                "",
                "",
                # PID-11: the home address (type H) with its local authority as the
                # county/parish code (docs/feeds.md).
                f"^^^^^^H^^{escape(admitted.local_authority)}" if admitted.local_authority else "",
            ]
        ).rstrip("|"),
        "|".join(pv1).rstrip("|"),
    ]
    if isinstance(event.payload, ev.MhDelayRecorded):
        segments.append(_zdd(event.payload))
    return "\r".join(segments) + "\r"


def _zdd(period: ev.MhDelayRecorded) -> str:
    end = period.end_date.strftime("%Y%m%d") if period.end_date else ""
    return (
        f"ZDD|1|{escape(period.period_id)}|{period.start_date:%Y%m%d}|{end}|"
        f"{period.reason}|{period.attributable_to}"
    )


WAITING_IN = {
    br.WaitingIn.EMERGENCY_DEPARTMENT: "E",
    br.WaitingIn.ASSESSMENT_UNIT: "I",
    br.WaitingIn.ANOTHER_SITE: "T",
}


def _request_message(event: ev.Event, request: br.BedRequested, sending_application: str) -> str:
    """A14 (pending admit) for a bed request, A27 for its cancellation: PV1-19 the request,
    PV1-10 the specialty, PV1-2 where the patient waits, PV2-2 side room or isolation."""
    trigger = "A14" if isinstance(event.payload, br.BedRequested) else "A27"
    identifiers = []
    if request.local_id:
        identifiers.append(f"{escape(request.local_id)}^^^{request.site_code}^MR")
    if request.nhs_number:
        identifiers.append(f"{request.nhs_number}^^^NHS^NH")
    accommodation = "ISO" if request.isolation else "SR" if request.side_room else ""
    return (
        "\r".join(
            [
                f"MSH|^~\\&|{sending_application}|{request.site_code}|HOMEFLOW|QDE|"
                f"{hl7_time(event.received_at)}||ADT^{trigger}^ADT_A05|{escape(event.key)}|P|2.4",
                f"EVN|{trigger}|{hl7_time(event.received_at)}||||{hl7_time(event.occurred_at)}",
                f"PID|1||{'~'.join(identifiers)}||{escape(request.family_name)}^"
                f"{escape(request.given_name)}|||{SEXES.get(request.sex or '', 'U')}",
                f"PV1|1|{WAITING_IN[request.waiting_in]}|^^^{request.site_code}|||||||"
                f"{escape(request.specialty)}|||||||||{_visit_number(request.request_id)}",
                f"PV2||{accommodation}",
            ]
        )
        + "\r"
    )


# Each bed status and closure reason's HL7 table 0116 code, for the A20s written.
A20_CODES: dict[tuple[BedStatus, ClosureReason | None], str] = {
    **{(status, reason): code for code, (status, reason) in TABLE_0116.items()},
    **{
        (BedStatus.CLOSED, reason): "C"
        for reason in ClosureReason
        if reason is not ClosureReason.INFECTION_CONTROL
    },
}


def a20_message(key: str, occurred: datetime, sent: datetime, status: BedStatusSet) -> str:
    """The A20 a bed management system would send for a bed status (the demo's feed, the spec
    cases' feeds): NPU-1 the ward and bed, NPU-2 the table 0116 code (a closure for another
    reason than infection control is C, its reason not carried; a reservation has no code)."""
    code = A20_CODES[status.status, status.reason]
    return (
        "\r".join(
            [
                f"MSH|^~\\&|BEDS|HOMEFLOW|HOMEFLOW|QDE|{hl7_time(sent)}||ADT^A20^ADT_A20|"
                f"{escape(key)}|P|2.4",
                f"EVN|A20|{hl7_time(sent)}||||{hl7_time(occurred)}",
                f"NPU|{escape(status.ward_code)}^^{escape(status.bed)}|{code}",
            ]
        )
        + "\r"
    )
