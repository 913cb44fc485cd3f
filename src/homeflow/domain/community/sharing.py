"""What reaches beyond the treating trust: a person's consent for another organisation to see
their plan, services signposted from the plan, and the directory's services themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar

from homeflow.domain.community.records import CommunityRecord, check_code, check_text
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import check_ods_code, normalise_nhs_number


class ConsentStatus(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class ConsentPurpose(StrEnum):
    """Why another organisation would see a plan (UK Core Consent's purposes, simplified)."""

    DIRECT_CARE = "direct-care"
    CARER_SUPPORT = "carer-support"


@dataclass(frozen=True, slots=True)
class ConsentRecorded(CommunityRecord):
    """A person's consent for an organisation outside their treating trust to see their plan
    for a purpose (UK Core Consent: given, refused or withdrawn, from a date)."""

    TYPE: ClassVar[str] = "community-consent-recorded"
    IDENTITY: ClassVar[tuple[str, ...]] = ("nhs_number", "org_code", "purpose")
    nhs_number: str
    org_code: str
    purpose: ConsentPurpose
    status: ConsentStatus
    on: date

    def __post_init__(self) -> None:
        object.__setattr__(self, "nhs_number", normalise_nhs_number(self.nhs_number))
        check_ods_code("org_code", self.org_code)


@dataclass(frozen=True, slots=True)
class SignpostRecorded(CommunityRecord):
    """A service from the directory offered to the person, against a need in their plan."""

    TYPE: ClassVar[str] = "community-signpost-recorded"
    IDENTITY: ClassVar[tuple[str, ...]] = ("episode_id", "service_id", "on")
    episode_id: str
    service_id: str
    on: date
    need: str
    note: str = ""

    def __post_init__(self) -> None:
        check_code("episode_id", self.episode_id)
        check_text("service_id", self.service_id, True)
        check_text("need", self.need, True)
        check_text("note", self.note)


@dataclass(frozen=True, slots=True)
class DirectoryServiceRecorded(CommunityRecord):
    """A trusted service outside the trust, as its HSDS 3.0 document (canonical JSON), so an
    export gives back what came in. The document is checked where it is read."""

    TYPE: ClassVar[str] = "directory-service-recorded"
    IDENTITY: ClassVar[tuple[str, ...]] = ("service_id",)
    service_id: str
    document: str

    def __post_init__(self) -> None:
        check_text("service_id", self.service_id, True)
        if len(self.service_id) > 200:
            raise InvalidInput("service_id", "is longer than 200 characters")
