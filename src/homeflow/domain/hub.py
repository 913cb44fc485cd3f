"""The care transfer hub's rules: referrals by discharge pathway, the NHS Continuing Healthcare
28-day standard, and how long housing and personal health budget requests wait for a decision.

The National Framework for NHS Continuing Healthcare and NHS-funded Nursing Care (2022) expects
the eligibility decision within 28 calendar days of the integrated care board receiving a positive
checklist. The day the checklist is received is day 0: a decision on day 28 is within the
standard, one on day 29 is not, and a case still undecided on day 29 has already breached it.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

CHC_DECISION_DAYS = 28

# Referrals are grouped by the patient's discharge pathway; one not yet given a pathway last.
PATHWAY_GROUPS = ("P0", "P1", "P2", "P3", "")
PATHWAY_NAMES = {
    "P0": "Pathway 0: home, no new support",
    "P1": "Pathway 1: home with support",
    "P2": "Pathway 2: a bed to recover or be assessed in",
    "P3": "Pathway 3: a care home",
    "": "No pathway yet",
}

SERVICE_NAMES = {
    "reablement": "Reablement",
    "home-care": "Home care",
    "community-bed": "Community or discharge-to-assess bed",
    "care-home": "Care home",
    "chc": "NHS Continuing Healthcare",
    "housing": "Housing",
    "trusted-assessor": "Trusted assessment",
    "personal-health-budget": "Personal health budget",
}

# The services whose requests the hub follows to a decision, with their time to decision.
DECIDED_SERVICES = ("housing", "personal-health-budget")


def service_name(service: str) -> str:
    return SERVICE_NAMES.get(service, service.replace("-", " ").capitalize())


def within_chc_standard(checklist_on: date, decided_on: date) -> bool:
    """A decision made within 28 calendar days of the positive checklist (day 0)."""
    return (decided_on - checklist_on).days <= CHC_DECISION_DAYS


@dataclass(frozen=True, slots=True)
class ChcCase:
    """One positive checklist followed to the decision support tool and the decision."""

    spell_key: str
    checklist_on: date
    assessed_on: date | None = None
    assessed_in_hospital: bool | None = None
    decided_on: date | None = None
    eligible: bool | None = None

    @property
    def due_on(self) -> date:
        return self.checklist_on + timedelta(days=CHC_DECISION_DAYS)

    def days(self, today: date) -> int:
        """Days from the checklist to the decision, or to today while it is awaited."""
        return ((self.decided_on or today) - self.checklist_on).days

    def breached(self, today: date) -> bool:
        """Decided after day 28, or still undecided after day 28."""
        return self.days(today) > CHC_DECISION_DAYS


# What each of the hub's CHC figures counts, in the order the page shows them.
CHC_GROUPS = {
    "checklists": "Positive checklists",
    "assessed": "Assessed with the decision support tool",
    "assessed-in-hospital": "Assessed while still in hospital",
    "decided": "Decisions made",
    "eligible": "Eligible",
    "not-eligible": "Not eligible",
    "within": "Decided within 28 days",
    "breached": "Past the 28-day standard",
    "breached-decided": "Decided after 28 days",
    "breached-waiting": "Waiting more than 28 days",
    "waiting": "Waiting, within 28 days",
}


def in_chc_group(case: ChcCase, group: str, today: date) -> bool:
    decided = case.decided_on is not None
    match group:
        case "checklists":
            return True
        case "assessed":
            return case.assessed_on is not None
        case "assessed-in-hospital":
            return case.assessed_on is not None and bool(case.assessed_in_hospital)
        case "decided":
            return decided
        case "eligible":
            return decided and case.eligible is True
        case "not-eligible":
            return decided and case.eligible is False
        case "within":
            return decided and not case.breached(today)
        case "breached":
            return case.breached(today)
        case "breached-decided":
            return decided and case.breached(today)
        case "breached-waiting":
            return not decided and case.breached(today)
        case "waiting":
            return not decided and not case.breached(today)
    raise ValueError(f"{group!r} is not a CHC figure")


def chc_counts(cases: Iterable[ChcCase], today: date) -> dict[str, int]:
    listed = list(cases)
    return {g: sum(in_chc_group(c, g, today) for c in listed) for g in CHC_GROUPS}


def chc_share_within(counts: dict[str, int]) -> float | None:
    """The share of decisions made within 28 days, as NHS England's statistics count it."""
    return counts["within"] / counts["decided"] if counts["decided"] else None


@dataclass(frozen=True, slots=True)
class Request:
    """A housing or personal health budget request and its decision, if made."""

    spell_key: str
    service: str
    made_on: date
    decided_on: date | None = None
    accepted: bool | None = None

    def days(self, today: date) -> int:
        """Days to the decision, or waited so far."""
        return ((self.decided_on or today) - self.made_on).days


def median_days_to_decision(requests: Sequence[Request], today: date) -> float | None:
    decided = [r.days(today) for r in requests if r.decided_on is not None]
    return statistics.median(decided) if decided else None
