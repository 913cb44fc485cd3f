"""Who may see and change what: roles, and how a patient is shown to someone outside their care.

Identifiable data (name, NHS number) is for users of an organisation involved in the care:
the trust treating the patient, or a provider the patient has been referred to. Everyone
else sees initials and age, which is enough to run a system call without a breach.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from enum import StrEnum

from homeflow.domain.errors import InvalidInput


class Role(StrEnum):
    WARD_STAFF = "ward-staff"
    DISCHARGE_TEAM = "discharge-team"
    SYSTEM_COORDINATOR = "system-coordinator"
    ANALYST = "analyst"
    ADMIN = "admin"

    @classmethod
    def parse(cls, value: str, field: str = "role") -> Role:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(r.value for r in cls)
            raise InvalidInput(field, f"{value!r} is not a role; use one of {allowed}") from None


# Recording what happens to a patient is for the people caring for them.
RECORDS_CARE = frozenset({Role.WARD_STAFF, Role.DISCHARGE_TEAM, Role.ADMIN})
# Actions on the daily call are agreed by discharge teams and the system's coordinators.
RECORDS_ACTIONS = frozenset({Role.DISCHARGE_TEAM, Role.SYSTEM_COORDINATOR, Role.ADMIN})
READS_AUDIT = frozenset({Role.ADMIN})
# A system's assessments, improvement projects and collaborative are kept by its coordinators,
# analysts and admins; everyone signed in reads them.
EDITS_IMPROVEMENT = frozenset({Role.SYSTEM_COORDINATOR, Role.ANALYST, Role.ADMIN})
# The directory of trusted services is assured by the system's coordinators and admins.
REVIEWS_DIRECTORY = frozenset({Role.SYSTEM_COORDINATOR, Role.ADMIN})


def may_identify(viewer_org: str, treating_org: str | None, involved: Collection[str]) -> bool:
    return viewer_org == treating_org or viewer_org in involved


def initials(given_name: str, family_name: str) -> str:
    return "".join(part[:1].upper() for part in (given_name, family_name) if part) or "?"


def age_on(birth_date: date | None, on: date) -> int | None:
    if birth_date is None:
        return None
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - before_birthday


def format_nhs_number(nhs_number: str) -> str:
    """NHS numbers are read out and written 3-3-4."""
    return f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}"
