"""FHIR R4 Encounter to homeflow events (fhir.resources' R4B model has the R4 shape).

An Encounter is a snapshot; homeflow keeps facts. Each version is read into the facts it
states — admitted, each stay in `location[]`, discharged, cancelled, planned — and every
fact gets a key made from the resource id and what it is, so posting the same Encounter
twice, or a new version that only adds a transfer, adds only what is new.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.encounter import Encounter
from pydantic import ValidationError

from homeflow.domain import events as ev
from homeflow.domain.clock import SYSTEM_ZONE
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import patient_key, spell_key

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ADMISSION_METHOD_URL = (
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AdmissionMethod"
)
DISCHARGE_METHOD_URL = (
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DischargeMethod"
)
ENCOUNTER_STATUSES = {
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
}
INPATIENT_CLASSES = {"IMP", "ACUTE", "NONAC", "SS", "PRENC"}
# Every element the mapper reads as text, checked in the JSON as sent: the model would take a
# number for a dateTime (5 is 1970-01-01T00:00:05Z) or turn it into a code.
TEXT_ELEMENTS = tuple(
    path.split(".")
    for path in (
        "identifier.*.system",
        "identifier.*.value",
        "class.code",
        "subject.reference",
        "subject.identifier.system",
        "subject.identifier.value",
        "period.start",
        "period.end",
        "location.*.status",
        "location.*.location.reference",
        "location.*.location.identifier.value",
        "location.*.period.start",
        "location.*.period.end",
        "extension.*.url",
        "extension.*.valueCodeableConcept.coding.*.code",
        "hospitalization.destination.display",
        "hospitalization.destination.reference",
        "hospitalization.dischargeDisposition.text",
        "hospitalization.dischargeDisposition.coding.*.code",
        "hospitalization.extension.*.url",
        "hospitalization.extension.*.valueCodeableConcept.coding.*.code",
        "serviceProvider.reference",
        "serviceProvider.identifier.value",
    )
)


class Malformed(InvalidInput):
    """The body is not shaped as an R4 Encounter (a list where text belongs, say): HTTP 400,
    where a well-formed Encounter that homeflow cannot take is 422."""


def read_encounter(body: Any) -> Encounter:
    """Validate a request body as an R4 Encounter; errors name the element."""
    if not isinstance(body, dict):
        raise Malformed("Encounter", "the body must be a JSON object")
    if body.get("resourceType") != "Encounter":
        raise Malformed("Encounter.resourceType", "must be 'Encounter'")
    status = body.get("status")
    # Checked before the set lookup: a list or an object is not hashable.
    allowed = ", ".join(sorted(ENCOUNTER_STATUSES))
    if not isinstance(status, str):
        raise Malformed("Encounter.status", f"a JSON {_json_kind(status)} is not one of: {allowed}")
    if status not in ENCOUNTER_STATUSES:
        raise InvalidInput("Encounter.status", f"{status!r} is not one of: {allowed}")
    for path in TEXT_ELEMENTS:
        _check_text(body, path, "Encounter")
    try:
        return Encounter.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p != "__root__")
        raise Malformed(f"Encounter.{where}" if where else "Encounter", first["msg"]) from None


def _check_text(node: Any, steps: list[str], where: str) -> None:
    """The element at `steps` (`*`: each item of a list), when present, is a JSON string; a
    container of the wrong kind on the way is left for the model to refuse."""
    if node is None:
        return
    if not steps:
        if not isinstance(node, str):
            raise Malformed(where, f"must be text, not a JSON {_json_kind(node)}")
        return
    step, rest = steps[0], steps[1:]
    if step == "*":
        for i, item in enumerate(node if isinstance(node, list) else ()):
            _check_text(item, rest, f"{where}[{i}]")
    elif isinstance(node, dict):
        _check_text(node.get(step), rest, f"{where}.{step}")


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "array" if isinstance(value, list) else "object"


def spell_key_of(encounter: Encounter, resource_id: str, org_code: str) -> str:
    """The spell's key: the caller's organisation and the Encounter's identifier (its visit
    number), or its id when it has none; a token of one trust never names another's spell."""
    for identifier in encounter.identifier or []:
        if identifier.value:
            return spell_key(org_code, str(identifier.value), "Encounter.identifier.value")
    return spell_key(org_code, f"fhir-{resource_id}", "Encounter.id")


def patient_id_of(encounter: Encounter, org_code: str) -> str:
    """The caller's organisation's record of the Encounter's patient."""
    subject = encounter.subject
    if subject is None:
        raise InvalidInput("Encounter.subject", "the patient is required")
    identifier = subject.identifier
    nhs = (
        identifier.value
        if identifier is not None and identifier.system == NHS_NUMBER_SYSTEM
        else None
    )
    if not nhs and not subject.reference:
        raise InvalidInput("Encounter.subject", "give a reference or an NHS number identifier")
    return patient_key(
        org_code, nhs, "fhir", subject.reference, "Encounter.subject.identifier.value"
    )


def ward_code_of(location: Any, index: int) -> str:
    ref = location.location
    if ref is None:
        raise InvalidInput(f"Encounter.location[{index}].location", "the ward is required")
    if ref.identifier is not None and ref.identifier.value:
        return str(ref.identifier.value)
    if ref.reference and ref.reference.startswith("Location/"):
        return str(ref.reference).removeprefix("Location/")
    raise InvalidInput(
        f"Encounter.location[{index}].location", "give Location/<ward code> or an identifier"
    )


def instant(value: Any, field: str) -> datetime:
    """A FHIR dateTime as an aware UTC instant; one without an offset is England's local time."""
    if value is None:
        raise InvalidInput(field, "is required")
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=SYSTEM_ZONE)
    return instant.astimezone(UTC)


def _code(extension_url: str, encounter: Encounter, holder: Any = None) -> str | None:
    for extension in (holder if holder is not None else encounter).extension or []:
        if extension.url == extension_url and extension.valueCodeableConcept is not None:
            for coding in extension.valueCodeableConcept.coding or []:
                if coding.code:
                    return str(coding.code)
    return None


def admission_method(code: str | None) -> ev.AdmissionMethod:
    """NHS Data Dictionary admission method: 11-13 elective, 2x emergency, 3x maternity, 81 transfer."""
    if code is None:
        return ev.AdmissionMethod.EMERGENCY
    if code.startswith("1"):
        return ev.AdmissionMethod.ELECTIVE
    if code.startswith("2"):
        return ev.AdmissionMethod.EMERGENCY
    if code.startswith("3"):
        return ev.AdmissionMethod.MATERNITY
    if code == "81":
        return ev.AdmissionMethod.TRANSFER
    return ev.AdmissionMethod.OTHER


def _ward_stays(
    encounter: Encounter, site_of_ward: dict[str, str]
) -> list[tuple[datetime, str, int]]:
    """The Encounter's ward stays that happened (start, ward, index in location), in order."""
    stays = sorted(
        (
            instant(
                loc.period.start if loc.period else None,
                f"Encounter.location[{i}].period.start",
            ),
            ward_code_of(loc, i),
            i,
        )
        for i, loc in enumerate(encounter.location or [])
        if loc.status != "planned"
    )
    for _, ward, i in stays:
        if ward not in site_of_ward:
            raise InvalidInput(
                f"Encounter.location[{i}].location", f"ward {ward!r} is not known to homeflow"
            )
    return stays


def _planned(
    encounter: Encounter, first_ward: str | None, site_of_ward: dict[str, str], org_code: str
) -> ev.AdmissionPlanned:
    period = encounter.period
    start = period.start if period and period.start else None
    site = site_of_ward.get(first_ward or "", "")
    if not site:
        raise InvalidInput("Encounter.location", "a planned encounter needs its ward")
    planned_for = instant(start, "Encounter.period.start").date() if start else None
    return ev.AdmissionPlanned(patient_id_of(encounter, org_code), site, first_ward, planned_for)


def _discharge(encounter: Encounter) -> tuple[datetime, ev.Discharged]:
    period = encounter.period
    ended = instant(period.end if period else None, "Encounter.period.end")
    hospitalization = encounter.hospitalization
    destination = None
    disposition = None
    if hospitalization is not None:
        if hospitalization.destination is not None:
            destination = (
                hospitalization.destination.display or hospitalization.destination.reference
            )
        if hospitalization.dischargeDisposition is not None:
            codes = hospitalization.dischargeDisposition.coding or []
            disposition = codes[0].code if codes else hospitalization.dischargeDisposition.text
    method = _code(DISCHARGE_METHOD_URL, encounter, hospitalization) or _code(
        DISCHARGE_METHOD_URL, encounter
    )
    return ended, ev.Discharged(destination or disposition, method, died=method == "4")


def encounter_events(
    encounter: Encounter,
    resource_id: str,
    site_of_ward: dict[str, str],
    source: str,
    received_at: datetime,
    raw: str,
    org_code: str,
) -> list[ev.Event]:
    """The facts an Encounter version states, as events with stable keys."""
    key = spell_key_of(encounter, resource_id, org_code)
    status = encounter.status
    stays = _ward_stays(encounter, site_of_ward)

    def event(kind: str, at: datetime, payload: ev.Payload) -> ev.Event:
        return ev.Event(
            f"fhir:{resource_id}:{kind}", source, at, received_at, key, payload, raw=raw
        )

    if status == "planned":
        first = stays[0][1] if stays else None
        return [event("planned", received_at, _planned(encounter, first, site_of_ward, org_code))]
    if encounter.class_fhir is not None and encounter.class_fhir.code not in INPATIENT_CLASSES:
        raise InvalidInput(
            "Encounter.class", f"{encounter.class_fhir.code!r} is not an inpatient class"
        )
    period = encounter.period
    admitted_at = instant(period.start if period else None, "Encounter.period.start")
    if not stays:
        raise InvalidInput("Encounter.location", "at least one ward stay is required")
    first_ward = stays[0][1]
    subject_id = encounter.subject.identifier if encounter.subject else None
    admitted = ev.Admitted(
        patient_id_of(encounter, org_code),
        site_of_ward[first_ward],
        first_ward,
        admission_method=admission_method(_code(ADMISSION_METHOD_URL, encounter)),
        nhs_number=str(subject_id.value)
        if subject_id and subject_id.system == NHS_NUMBER_SYSTEM
        else None,
    )
    out = [event("admitted", admitted_at, admitted)]
    for start, ward, _ in stays[1:]:
        out.append(event(f"transfer:{start.isoformat()}:{ward}", start, ev.Transferred(ward)))
    if status in ("cancelled", "entered-in-error"):
        out.append(event("cancelled", received_at, ev.AdmissionCancelled()))
    elif status == "finished":
        out.append(event("discharged", *_discharge(encounter)))
    return out
