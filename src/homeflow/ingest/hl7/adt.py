"""ADT messages to homeflow events.

One message becomes one event whose idempotency key is the sending facility and MSH-10, so a
resent message is a duplicate however often it arrives. Problems are `InvalidInput` naming
the segment and field (`PV1-19`), which the listener returns in MSA-3 and ERR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TypedDict

from homeflow.domain import bed_requests as br
from homeflow.domain import events as ev
from homeflow.domain.clock import SYSTEM_ZONE
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import check_local_authority, patient_key, spell_key
from homeflow.ingest.hl7 import bed_status, zdd
from homeflow.ingest.hl7.parser import Message, component_of
from homeflow.ingest.mapping import FeedMapping

SUPPORTED_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8")
SPELL_TRIGGERS = {
    "A01",
    "A02",
    "A03",
    "A04",
    "A05",
    "A06",
    "A07",
    "A11",
    "A12",
    "A13",
    "A21",
    "A22",
}
PATIENT_TRIGGERS = {"A08", "A31", "A40"}
# A14 pending admit and A27 its cancellation: a bed request (domain/bed_requests.py).
REQUEST_TRIGGERS = {"A14", "A27"}
# A20, a bed status update (ingest/hl7/bed_status.py): about a bed, not a patient.
BED_TRIGGERS = {bed_status.TRIGGER}
TRIGGERS = SPELL_TRIGGERS | PATIENT_TRIGGERS | REQUEST_TRIGGERS | BED_TRIGGERS
# The triggers whose event records where the patient is (or is planned to be).
LOCATED = {"A01", "A02", "A04", "A05", "A06"}
# PV1-4 admission type, as HL7 UK sends it.
ADMISSION_METHODS = {
    "E": ev.AdmissionMethod.EMERGENCY,
    "EL": ev.AdmissionMethod.ELECTIVE,
    "R": ev.AdmissionMethod.ELECTIVE,
    "C": ev.AdmissionMethod.ELECTIVE,
    "T": ev.AdmissionMethod.TRANSFER,
    "M": ev.AdmissionMethod.MATERNITY,
    "N": ev.AdmissionMethod.MATERNITY,
}
SEXES = {"F": "female", "M": "male"}
TS = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?$")


class UnmappedWard(InvalidInput):
    """The ward is not known to homeflow and not in the feed's mapping: hold the message."""


@dataclass(frozen=True, slots=True)
class Received:
    """What a message says, before it is an event: kept with the stored message."""

    control_id: str
    trigger: str
    sending_facility: str


def header(message: Message) -> Received:
    control_id = message.value("MSH", 10)
    if not control_id:
        raise InvalidInput("MSH-10", "the message control id is missing")
    kind = message.value("MSH", 9, 1)
    trigger = message.value("MSH", 9, 2) or message.value("EVN", 1)
    if kind != "ADT":
        raise InvalidInput("MSH-9", f"{kind or 'nothing'!r} is not an ADT message")
    if trigger not in TRIGGERS:
        raise InvalidInput("MSH-9", f"ADT^{trigger} is not a supported trigger event")
    version = message.value("MSH", 12)
    if version not in SUPPORTED_VERSIONS:
        raise InvalidInput("MSH-12", f"version {version or 'none'!r} is not supported")
    return Received(control_id, trigger, message.value("MSH", 4))


def hl7_instant(text: str, field: str) -> datetime:
    match = TS.match(text)
    if not match:
        raise InvalidInput(field, f"{text!r} is not an HL7 timestamp (YYYYMMDDHHMM[SS][+ZZZZ])")
    year, month, day, hour, minute, second, offset = match.groups()
    # No offset: the sending system's local time, which in England is the system zone.
    zone = UTC if offset else SYSTEM_ZONE
    try:
        instant = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=zone,
        )
    except ValueError as error:
        raise InvalidInput(field, f"{text!r}: {error}") from None
    return instant - _utc_offset(offset) if offset else instant.astimezone(UTC)


@lru_cache(maxsize=256)
def _utc_offset(offset: str) -> timedelta:
    # A feed sends one or two offsets (GMT and BST): worked out once, not per message.
    sign = 1 if offset[0] == "+" else -1
    return sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))


def to_event(message: Message, mapping: FeedMapping, received_at: datetime, raw: str) -> ev.Event:
    """The event a message stands for; raises InvalidInput naming SEG-n on bad input."""
    head = header(message)
    occurred_text = message.value("EVN", 6) or message.value("EVN", 2) or message.value("MSH", 7)
    if not occurred_text:
        raise InvalidInput("EVN-6", "no time the event occurred (EVN-6, EVN-2 or MSH-7)")
    occurred = hl7_instant(occurred_text, "EVN-6")
    if head.trigger in BED_TRIGGERS:
        payload: ev.Payload = bed_status.bed_status(message, mapping)
        spell_key = None
    else:
        payload, spell_key = _payload(message, head.trigger, mapping)
    return ev.Event(
        key=f"hl7:{head.sending_facility}:{head.control_id}",
        source=mapping.source,
        occurred_at=occurred,
        received_at=received_at,
        spell_key=spell_key,
        payload=payload,
        raw=raw,
    )


def _payload(message: Message, trigger: str, mapping: FeedMapping) -> tuple[ev.Payload, str | None]:
    if trigger == "A08" and zdd.carries_period(message):
        return _delay_period(message, mapping)
    identifiers = _identifiers(message, "PID", 3)
    if trigger in PATIENT_TRIGGERS:
        # A patient-level message acts on its organisation's record only: the key carries it.
        org = _patient_organisation(message, mapping)
        _places(message, trigger, org, mapping)
        patient_id = patient_key(org, *identifiers, "PID-3")
        if trigger == "A40":
            retired = patient_key(org, *_identifiers(message, "MRG", 1), "MRG-1")
            return ev.PatientsMerged(patient_id, retired), None
        details = _details(message, identifiers, mapping)
        return ev.PatientDetailsUpdated(patient_id, **details), None
    visit = message.value("PV1", 19)
    if not visit:
        raise InvalidInput("PV1-19", "the visit number (spell) is missing")
    site_sent = message.value("PV1", 3, 4) or message.value("MSH", 4)
    issuer = _issuer(message, visit, mapping.site(site_sent), mapping)
    spell_key = _spell_key(visit, issuer)
    site, ward = _places(message, trigger, issuer, mapping)
    patient_id = patient_key(issuer, *identifiers, "PID-3")
    if trigger in REQUEST_TRIGGERS:
        request_id = _spell_key(visit, issuer)
        if trigger == "A27":
            return br.BedRequestCancelled(request_id, issuer), None
        return _bed_request(message, request_id, issuer, site, patient_id, identifiers), None
    if trigger in ("A01", "A04", "A06"):
        assert ward is not None
        return _admitted(message, patient_id, site, ward, identifiers, mapping), spell_key
    if trigger == "A05":
        planned = message.value("PV2", 8)
        return (
            ev.AdmissionPlanned(
                patient_id,
                site,
                ward,
                hl7_instant(planned, "PV2-8").date() if planned else None,
            ),
            spell_key,
        )
    if trigger == "A02":
        assert ward is not None
        return ev.Transferred(
            ward,
            message.value("PV1", 3, 3) or None,
            message.value("PV1", 10) or None,
        ), spell_key
    if trigger in ("A03", "A07"):
        return _discharged(message, trigger, mapping), spell_key
    simple: dict[str, ev.Payload] = {
        "A11": ev.AdmissionCancelled(),
        "A12": ev.TransferCancelled(),
        "A13": ev.DischargeCancelled(),
        "A21": ev.LeaveOfAbsenceStarted(),
        "A22": ev.LeaveOfAbsenceEnded(),
    }
    return simple[trigger], spell_key


def _admitted(
    message: Message,
    patient_id: str,
    site: str,
    ward: str,
    identifiers: tuple[str | None, str, str | None],
    mapping: FeedMapping,
) -> ev.Admitted:
    method = ADMISSION_METHODS.get(message.value("PV1", 4), ev.AdmissionMethod.OTHER)
    details = _details(message, identifiers, mapping)
    return ev.Admitted(
        patient_id,
        site,
        ward,
        message.value("PV1", 3, 3) or None,
        method,
        message.value("PV1", 10) or None,
        nhs_number=details["nhs_number"],
        local_id=details["local_id"],
        family_name=details["family_name"] or "",
        given_name=details["given_name"] or "",
        birth_date=details["birth_date"],
        sex=details["sex"],
        local_authority=details["local_authority"],
    )


def _discharged(message: Message, trigger: str, mapping: FeedMapping) -> ev.Discharged:
    disposition = message.value("PV1", 36)
    sent_destination = message.value("PV1", 37)
    destination = mapping.discharge_destinations.get(sent_destination, sent_destination)
    if trigger == "A07":  # an outpatient visit that ended: where to, unless sent
        destination = destination or "outpatient"
    return ev.Discharged(destination or None, disposition or None, died=disposition == "4")


# PV2-2, the accommodation a pending admission needs (HL7 table 0129, user-defined): the
# values homeflow reads (docs/feeds.md). PV1-2's patient class says where the patient waits.
NEEDS = {"SR": (True, False), "ISO": (True, True)}
WAITING_IN = {
    "E": br.WaitingIn.EMERGENCY_DEPARTMENT,
    "I": br.WaitingIn.ASSESSMENT_UNIT,
    "T": br.WaitingIn.ANOTHER_SITE,
}


def _bed_request(
    message: Message,
    request_id: str,
    issuer: str,
    site: str,
    patient_id: str,
    identifiers: tuple[str | None, str, str | None],
) -> br.BedRequested:
    """An A14: a decision to admit on the site of PV1-3 (or MSH-4), for the specialty PV1-10."""
    specialty = message.value("PV1", 10)
    if not specialty:
        raise InvalidInput("PV1-10", "the specialty (hospital service) the bed is for is missing")
    accommodation = message.value("PV2", 2, 1)
    if accommodation and accommodation not in NEEDS:
        raise InvalidInput("PV2-2", f"{accommodation!r} is not SR (side room) or ISO (isolation)")
    side_room, isolation = NEEDS.get(accommodation, (False, False))
    patient_class = message.value("PV1", 2) or "E"
    if patient_class not in WAITING_IN:
        raise InvalidInput(
            "PV1-2", f"patient class {patient_class!r} is not E, I or T (where the patient waits)"
        )
    return br.BedRequested(
        request_id,
        issuer,
        site,
        patient_id,
        specialty,
        WAITING_IN[patient_class],
        side_room,
        isolation,
        SEXES.get(message.value("PID", 8)),
        identifiers[0],
        identifiers[2],
        message.value("PID", 5, 1),
        message.value("PID", 5, 2),
    )


def _delay_period(message: Message, mapping: FeedMapping) -> tuple[ev.Payload, str]:
    """An A08 with a ZDD segment records the mental health delayed discharge period of the
    spell PV1-19 names, and nothing else (the patient's details come in their own A08)."""
    visit = message.value("PV1", 19)
    if not visit:
        raise InvalidInput("PV1-19", "the visit number (spell) of the period is missing")
    site_sent = message.value("PV1", 3, 4) or message.value("MSH", 4)
    issuer = _issuer(message, visit, mapping.site(site_sent), mapping)
    return zdd.delay_period(message), _spell_key(visit, issuer)


def _patient_organisation(message: Message, mapping: FeedMapping) -> str:
    """Whose patient an A08, A31 or A40 is about: the feed's organisation, else the trust of
    the site the sending facility (MSH-4) names."""
    org = mapping.organisation or mapping.org_of_site.get(mapping.site(message.value("MSH", 4)))
    if not org:
        raise InvalidInput(
            "MSH-4",
            "cannot tell which organisation's patient this is: the sending facility is not a "
            "known site and the feed's mapping names no organisation",
        )
    return org


def _issuer(message: Message, visit: str, site: str, mapping: FeedMapping) -> str:
    """The organisation that issued the visit number: the feed's trust when its mapping names
    one, else the assigning authority of PV1-19, else the trust of the site the message names."""
    issuer = mapping.organisation or message.value("PV1", 19, 4) or mapping.org_of_site.get(site)
    if not issuer:
        raise InvalidInput(
            "PV1-19", f"cannot tell which organisation issued visit number {visit!r}"
        )
    return issuer


def _spell_key(visit: str, issuer: str) -> str:
    try:
        return spell_key(issuer, visit, "PV1-19")
    except InvalidInput as problem:
        field = "PV1-19.4" if problem.field == "org_code" else problem.field
        raise InvalidInput(field, problem.reason) from None


def _places(
    message: Message, trigger: str, issuer: str, mapping: FeedMapping
) -> tuple[str, str | None]:
    """The site and ward of the message, every location it names checked to be the
    issuer's: the site, the ward (required where the event records it, checked wherever it
    is sent: A05's planned ward too) and the prior location (PV1-6), which is not used."""
    located = trigger in LOCATED
    site = _site(message, issuer, mapping, located)
    site_sent = message.value("PV1", 3, 4) or message.value("MSH", 4)
    ward = _ward(message, 3, site_sent, issuer, mapping, located, trigger != "A05")
    _prior_location(message, issuer, mapping)
    return site, ward


def _site(message: Message, issuer: str, mapping: FeedMapping, located: bool) -> str:
    """The site of the message's location (PV1-3.4, else MSH-4), as homeflow names it. It must
    be a site of the issuer: one trust's feed never writes into another's spells or wards. A
    site homeflow does not know is refused wherever a location is sent or recorded."""
    in_pv1 = message.value("PV1", 3, 4)
    field = "PV1-3" if in_pv1 else "MSH-4"
    site = mapping.site(in_pv1 or message.value("MSH", 4))
    owner = mapping.org_of_site.get(site)
    if owner is None and (located or in_pv1 or message.value("PV1", 3)):
        raise InvalidInput(field, f"site {site!r} is not a site homeflow knows (map it in [sites])")
    if owner is not None and owner != issuer:
        raise InvalidInput(field, f"site {site!r} belongs to {owner}, not to {issuer}")
    return site


def _ward(
    message: Message,
    field: int,
    site_sent: str,
    issuer: str,
    mapping: FeedMapping,
    recorded: bool,
    required: bool,
) -> str | None:
    """The homeflow ward a location field (PV1-3, PV1-6) names, which must be the issuer's.

    A ward the event records that is neither known nor mapped holds the message for a
    mapping; one only passed through (a discharge's, a prior location) that is not known is
    not checked, since nothing of it is stored."""
    name = f"PV1-{field}"
    sent = message.value("PV1", field, 1)
    if not sent:
        if recorded and required:
            raise InvalidInput(name, "the ward (point of care) is missing")
        return None
    ward = mapping.ward(site_sent, sent)
    if ward is None:
        if recorded:
            raise UnmappedWard(
                name, f"ward {sent!r} at {site_sent!r} is not mapped to a homeflow ward"
            )
        return None
    owner = mapping.org_of_ward(ward)
    if owner is None:
        raise InvalidInput(name, f"ward {ward!r} is not a ward homeflow knows")
    if owner != issuer:
        raise InvalidInput(name, f"ward {ward!r} belongs to {owner}, not to {issuer}")
    return ward


def _prior_location(message: Message, issuer: str, mapping: FeedMapping) -> None:
    """PV1-6, the prior location, when sent: its site and ward must be the issuer's."""
    if not message.value("PV1", 6):
        return
    site_sent = message.value("PV1", 6, 4)
    if site_sent:
        site = mapping.site(site_sent)
        owner = mapping.org_of_site.get(site)
        if owner is None:
            raise InvalidInput("PV1-6", f"site {site!r} is not a site homeflow knows")
        if owner != issuer:
            raise InvalidInput("PV1-6", f"site {site!r} belongs to {owner}, not to {issuer}")
    _ward(message, 6, site_sent or message.value("MSH", 4), issuer, mapping, False, False)


def _identifiers(message: Message, segment: str, field: int) -> tuple[str | None, str, str | None]:
    """(NHS number, issuer of the first local id, first local id) from a CX list such as PID-3."""
    enc = message.encoding
    text = message.raw(segment, field)
    nhs: str | None = None
    issuer, local = "", None
    for identifier in text.split(enc.repetition) if text else ():
        number = component_of(identifier, enc, 1)
        authority = component_of(identifier, enc, 4)
        if authority == "NHS" or component_of(identifier, enc, 5) == "NH":
            nhs = nhs or number
        elif local is None and number:
            issuer, local = authority, number
    return nhs, issuer, local


class Details(TypedDict):
    nhs_number: str | None
    local_id: str | None
    family_name: str | None
    given_name: str | None
    birth_date: date | None
    sex: str | None
    local_authority: str | None


def _details(
    message: Message, identifiers: tuple[str | None, str, str | None], mapping: FeedMapping
) -> Details:
    """PID fields; what was not sent is None, so an update never blanks what is known."""
    nhs, _, local = identifiers
    return {
        "nhs_number": nhs,
        "local_id": local,
        "family_name": message.value("PID", 5, 1) or None,
        "given_name": message.value("PID", 5, 2) or None,
        "birth_date": _birth_date(message.value("PID", 7)),
        "sex": SEXES.get(message.value("PID", 8)),
        "local_authority": _local_authority(message, mapping),
    }


def _local_authority(message: Message, mapping: FeedMapping) -> str | None:
    """PID-11.9, the county/parish code of the patient's home address (address type H, or
    the first address with no type), read as their local authority of residence (docs/feeds.md)."""
    enc = message.encoding
    for address in message.repetitions("PID", 11):
        if component_of(address, enc, 7) in ("H", ""):
            code = component_of(address, enc, 9).strip()
            if code:
                return check_local_authority("PID-11.9", code, mapping.organisation_types)
            return None
    return None


def _birth_date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise InvalidInput("PID-7", "is not a date of birth (YYYYMMDD)") from None
