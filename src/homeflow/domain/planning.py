"""Who may see and change a system's capacity planning: its model and scenario files and the
runs made from them.

A server's models folder (docs/simulation.md) belongs to one system: its scenario files are
that system's, and a run belongs to the system of the organisation that asked for it. Only
that system's users see them; of those, only analysts, system coordinators and admins save
or delete a scenario file and run the model. Another system's users, whatever their role,
neither read nor change them.

Pages ask this module whether to offer a form; the store asks it again in the transaction that
keeps the change and its audit row.
"""

from __future__ import annotations

from enum import StrEnum

from homeflow.domain.privacy import Role

# The people who plan a winter with the capacity model.
PLANS = frozenset({Role.ANALYST, Role.SYSTEM_COORDINATOR, Role.ADMIN})


class Planning(StrEnum):
    READ = "read"  # the models, scenario files and runs
    CHANGE = "change"  # save or delete a scenario file
    RUN = "run"  # run the model


def planning_refusal(
    role: Role, viewer_system: str, owner_system: str | None, action: Planning
) -> str | None:
    """Why a user of `viewer_system` in `role` may not `action` what `owner_system` plans
    with; None when they may. `owner_system` None: the folder names no system, so nobody may."""
    if owner_system is None:
        return "the models folder names no system: set [simulation] system (docs/simulation.md)"
    if viewer_system != owner_system:
        return f"these scenarios and runs are {owner_system}'s, kept by its own users"
    if action is not Planning.READ and role not in PLANS:
        return "only analysts, system coordinators and admins change scenarios and run the model"
    return None


def may_plan(role: Role, viewer_system: str, owner_system: str | None, action: Planning) -> bool:
    """Whether a page offers this user the form that does `action`."""
    return planning_refusal(role, viewer_system, owner_system, action) is None
