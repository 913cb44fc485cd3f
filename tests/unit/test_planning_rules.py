"""Who may read, change and run a system's capacity planning (domain/planning), case by case."""

from __future__ import annotations

import pytest

from homeflow.domain.planning import PLANS, Planning, may_plan, planning_refusal
from homeflow.domain.privacy import Role


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Planning))
def test_only_the_owning_systems_planners_change_and_run(role: Role, action: Planning) -> None:
    own = planning_refusal(role, "QDE", "QDE", action)
    assert (own is None) == (action is Planning.READ or role in PLANS)
    # Another system's users are refused whatever their role, even to read.
    assert planning_refusal(role, "QZZ", "QDE", action) == (
        "these scenarios and runs are QDE's, kept by its own users"
    )
    # A folder that names no system is nobody's.
    assert "names no system" in str(planning_refusal(role, "QDE", None, action))
    assert may_plan(role, "QDE", "QDE", action) == (own is None)
