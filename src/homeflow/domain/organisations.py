"""Who provides care, and where: organisations, sites, wards, beds and patients."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from homeflow.domain.errors import InvalidInput


class OrganisationType(StrEnum):
    ACUTE = "acute"
    COMMUNITY = "community"
    MENTAL_HEALTH = "mental-health"
    LOCAL_AUTHORITY = "local-authority"
    ICB = "icb"


class WardType(StrEnum):
    """Which kind of bed a ward holds; it decides which delay-reason list staff use."""

    ACUTE = "acute"
    COMMUNITY = "community"
    DISCHARGE_TO_ASSESS = "discharge-to-assess"
    MENTAL_HEALTH = "mental-health"

    @property
    def uses_dtoc_reasons(self) -> bool:
        # Mental-health and community services still report the older DToC reasons
        # with a responsible agency; acute wards use the 37 sitrep reasons.
        return self is not WardType.ACUTE


def check_ods_code(field: str, code: str) -> str:
    if not (3 <= len(code) <= 9 and code.isalnum() and code.upper() == code):
        raise InvalidInput(field, f"{code!r} is not an ODS code (3-9 upper-case letters/digits)")
    return code


def check_local_authority(field: str, code: str, registered: Mapping[str, OrganisationType]) -> str:
    """A patient's local authority of residence as a feed sends it. A code the registry holds
    must be a local authority there; a code it does not hold is kept as given, since the
    registry holds only the system's own councils and patients come from anywhere (refusing
    them would lose the admission from the feed for a field no figure of the stay needs)."""
    check_ods_code(field, code)
    kind = registered.get(code)
    if kind is not None and kind is not OrganisationType.LOCAL_AUTHORITY:
        raise InvalidInput(
            field, f"{code!r} is not a local authority in the registry (its type is {kind.value})"
        )
    return code


@dataclass(frozen=True, slots=True)
class Organisation:
    code: str
    name: str
    type: OrganisationType
    parent_code: str | None = None

    def __post_init__(self) -> None:
        check_ods_code("org_code", self.code)


@dataclass(frozen=True, slots=True)
class Site:
    code: str
    name: str
    org_code: str


@dataclass(frozen=True, slots=True)
class Ward:
    code: str
    name: str
    site_code: str
    beds: int
    specialty: str
    type: WardType

    def __post_init__(self) -> None:
        if self.beds < 0:
            raise InvalidInput("beds", f"a ward cannot have {self.beds} beds")

    def bed_labels(self) -> tuple[str, ...]:
        return numbered_beds(self.beds)


def numbered_beds(beds: int) -> tuple[str, ...]:
    """A ward's beds as homeflow numbers them when no feed says otherwise: 01, 02, ..."""
    return tuple(f"{n:02d}" for n in range(1, beds + 1))


# A spell key is the issuing organisation's code and the visit number it gave, "RX1:V0001":
# two trusts' patient administration systems may hand out the same visit numbers. Keys and
# every identifier that reaches an address are checked here: no slash, no "..", nothing that
# is not printable, and short enough to store (the spell key column holds 60 characters).
SPELL_KEY_SEPARATOR = ":"
MAX_VISIT_NUMBER = 48
SPELL_KEY_LENGTH = 60


def check_identifier(field: str, value: str, longest: int = MAX_VISIT_NUMBER) -> str:
    """An identifier from outside that will name a record and appear in an address."""
    if not value or not value.strip():
        raise InvalidInput(field, "is required")
    if len(value) > longest:
        raise InvalidInput(field, f"is {len(value)} characters; at most {longest}")
    if "/" in value or "\\" in value or ".." in value or "?" in value or "#" in value:
        raise InvalidInput(field, f"{value!r} has a character not allowed in an identifier")
    if not all(ch.isprintable() and not ch.isspace() for ch in value):
        raise InvalidInput(field, f"{value!r} has a space or a control character")
    return value


def spell_key(org_code: str, visit_number: str, field: str = "visit_number") -> str:
    """The key of the spell an organisation issued this visit number for."""
    check_ods_code("org_code", org_code)
    return f"{org_code}{SPELL_KEY_SEPARATOR}{check_identifier(field, visit_number)}"


def visit_number_of(key: str) -> str:
    """The visit number a spell key ends with, in upper case: what a search by visit number
    looks up (a key of the form ORG:VISIT, or with more parts before the visit)."""
    return key.rpartition(SPELL_KEY_SEPARATOR)[2].upper()


def issuer_of(key: str) -> str | None:
    """The organisation that issued a spell key, or None for a key without one."""
    org, separator, _visit = key.partition(SPELL_KEY_SEPARATOR)
    return org if separator else None


def nhs_number_check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit of an NHS number, or None when no valid one exists."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid_nhs_number(value: str) -> bool:
    digits = value.replace(" ", "")
    if len(digits) != 10 or not digits.isdigit():
        return False
    return nhs_number_check_digit(digits[:9]) == int(digits[9])


# Every event and patient naming a person checks their number: a feed names the same few
# thousand people again and again.
@lru_cache(maxsize=1 << 16)
def normalise_nhs_number(value: str, field: str = "nhs_number") -> str:
    digits = value.replace(" ", "").replace("-", "")
    if len(digits) != 10 or not digits.isdigit():
        raise InvalidInput(field, f"{value!r} is not 10 digits")
    if not is_valid_nhs_number(digits):
        raise InvalidInput(field, f"{value!r} fails the NHS number modulus-11 check")
    return digits


def checked_nhs_number(value: str, field: str) -> str:
    """`normalise_nhs_number` for a number from a feed or file: the refusal names the field
    and never quotes the number, since feed reasons reach logs and ACKs."""
    digits = value.replace(" ", "").replace("-", "")
    if len(digits) != 10 or not digits.isdigit():
        raise InvalidInput(field, "the NHS number is not 10 digits")
    if not is_valid_nhs_number(digits):
        raise InvalidInput(field, "the NHS number fails the modulus-11 check")
    return digits


PATIENT_KEY_LENGTH = 60  # the events' and spells' patient_id columns hold 60 characters


def patient_key(
    org_code: str, nhs_number: str | None, issuer: str, local_id: str | None, field: str
) -> str:
    """homeflow's key for an organisation's record of a patient: `RX1:nhs:9434765919`, or
    `RX1:mrn:<issuer>:<local id>` without an NHS number. Each organisation keeps its own
    record, so one trust's feed never renames or merges another's patient; the NHS number in
    the key is what links a person's records across organisations (`person_of`).

    A refusal names the field but never echoes the number: reasons reach logs and ACKs."""
    check_ods_code("org_code", org_code)
    if nhs_number:
        return f"{org_code}{SPELL_KEY_SEPARATOR}nhs:{checked_nhs_number(nhs_number, field)}"
    if not local_id:
        raise InvalidInput(field, "no patient identifier")
    key = f"{org_code}{SPELL_KEY_SEPARATOR}mrn:{issuer}:{local_id}"
    if len(key) > PATIENT_KEY_LENGTH or not all(ch.isprintable() for ch in key):
        raise InvalidInput(
            field,
            f"the local identifier and its issuer make a key over {PATIENT_KEY_LENGTH} "
            "characters, or hold a control character",
        )
    return key


def person_of(patient_id: str | None) -> str | None:
    """Who a patient record is about, across organisations: `nhs:<number>` for a record
    keyed by NHS number (an organisation's, or one from before records were kept apart),
    else the record's own key (a local identifier links nothing beyond its organisation)."""
    if patient_id is None:
        return None
    _org, _, rest = patient_id.partition(SPELL_KEY_SEPARATOR)
    for candidate in (patient_id, rest):
        if candidate.startswith("nhs:"):
            return candidate
    return patient_id


@dataclass(frozen=True, slots=True)
class Patient:
    """A person as the record knows them; `patient_id` is homeflow's stable key."""

    patient_id: str
    nhs_number: str | None
    local_id: str | None
    family_name: str
    given_name: str
    birth_date: date | None
    sex: str | None
    # The council of the patient's residence (an ONS/ODS local authority code), whose
    # returns count them: delayed discharges by local authority, say.
    local_authority: str | None = None

    def __post_init__(self) -> None:
        if self.nhs_number is not None:
            normalise_nhs_number(self.nhs_number)
