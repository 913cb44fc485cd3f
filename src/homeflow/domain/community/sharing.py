"""What reaches beyond the treating trust: a person's consent for another organisation to see
an episode of their care, services signposted from the plan, and the directory's services
themselves."""

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
    """Why another organisation would see an episode (UK Core Consent's purposes, simplified).
    What each purpose shares is `permissions.PURPOSE_SHARES`."""

    DIRECT_CARE = "direct-care"
    CARER_SUPPORT = "carer-support"


@dataclass(frozen=True, slots=True)
class ConsentRecorded(CommunityRecord):
    """A person's consent, held by the organisation of one episode of their care, for another
    organisation to see that episode for a purpose (UK Core Consent: given, refused or
    withdrawn, from a date). It shares that episode only, never the person's other records.

    Consents recorded before they belonged to an episode name the person (`nhs_number`) and no
    episode: they are read as held by the person's first episode, whose organisation alone
    could record them. A new consent names its episode (`rules.check_record`)."""

    TYPE: ClassVar[str] = "community-consent-recorded"
    IDENTITY: ClassVar[tuple[str, ...]] = ("episode_id", "nhs_number", "org_code", "purpose")
    org_code: str
    purpose: ConsentPurpose
    status: ConsentStatus
    on: date
    episode_id: str = ""
    nhs_number: str = ""

    def __post_init__(self) -> None:
        if self.nhs_number:
            object.__setattr__(self, "nhs_number", normalise_nhs_number(self.nhs_number))
        elif not self.episode_id:
            raise InvalidInput("episode_id", "is required: a consent belongs to an episode")
        if self.episode_id:
            check_code("episode_id", self.episode_id)
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
