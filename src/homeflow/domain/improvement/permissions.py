"""Who may keep a system's improvement records: its assessments, frameworks, projects and PDSA
cycles, actions, smart-list segments, manual series and collaborative.

A record belongs to the system it names (`system`). Only that system's coordinators,
analysts and admins record or change it: a user whose organisation belongs to the system (a
trust or council of the integrated care board, or the board itself). The id a form posts
never moves a record to another system: the system is part of what names each record.
Everyone signed in may read any system's records; they hold no patient's data.

Pages ask this module whether to show a form; the store asks it again, in the transaction
that stores the change.
"""

from __future__ import annotations

from collections.abc import Mapping

from homeflow.domain.privacy import EDITS_IMPROVEMENT, Role


def improvement_refusal(
    role: Role,
    org_code: str,
    org_system: str,
    record_system: str,
    places: Mapping[str, str] | None = None,
) -> str | None:
    """Why a user of `org_code` (of the system `org_system`) in `role` may not record or
    change `record_system`'s record; None when they may. `places` gives the system of each
    place the record is about (a smart-list segment's place): each must be the record's."""
    if role not in EDITS_IMPROVEMENT:
        return f"a {role} user does not keep the improvement programme's records"
    if record_system not in (org_code, org_system):
        return f"only {record_system}'s coordinators, analysts and admins keep its records"
    for place, system in sorted((places or {}).items()):
        if system != record_system:
            return f"{place} is not a place of {record_system}"
    return None


def may_keep(role: Role, org_code: str, org_system: str, record_system: str) -> bool:
    """Whether the page offers this user the forms that change `record_system`'s records."""
    return improvement_refusal(role, org_code, org_system, record_system) is None
