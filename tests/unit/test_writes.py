"""Who may record what, case by case from the rules in domain/writes.py."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from homeflow.domain import events as ev
from homeflow.domain.privacy import Role
from homeflow.domain.spell import SpellState, fold_spell
from homeflow.domain.writes import may_answer_referral, may_record_actions, may_record_care, refusal

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _state(*payloads: ev.Payload) -> SpellState:
    events = [
        ev.Event(f"e{n}", "test", T0.replace(hour=9 + n), T0, "RX1:V1", p, recorded_by="x@rx1")
        for n, p in enumerate((ev.Admitted("P1", "RX101", "RX101-M01"), *payloads))
    ]
    return fold_spell("RX1:V1", events)


def test_only_the_treating_trust_refers_and_only_the_provider_answers() -> None:
    state = _state(ev.ReferralMade("R1", ev.ReferralService.REABLEMENT, "RY1"))
    made = ev.ReferralMade("R2", ev.ReferralService.CARE_HOME, "LAR01")
    assert refusal(made, "RX1", Role.DISCHARGE_TEAM, state, "RX1") is None
    # The provider cannot refer the patient on to a third organisation.
    assert refusal(made, "RY1", Role.DISCHARGE_TEAM, state, "RX1")
    accepted = ev.ReferralAccepted("R1")
    assert refusal(accepted, "RY1", Role.DISCHARGE_TEAM, state, "RX1") is None
    assert refusal(accepted, "RX1", Role.DISCHARGE_TEAM, state, "RX1")
    assert refusal(ev.ReferralDeclined("R1", "full"), "LAR01", Role.DISCHARGE_TEAM, state, "RX1")
    assert refusal(ev.ReferralAccepted("R9"), "RY1", Role.DISCHARGE_TEAM, state, "RX1")


def test_care_is_recorded_by_the_treating_trusts_care_roles() -> None:
    state = _state()
    pathway = ev.PathwayAssigned("P1")
    assert refusal(pathway, "RX1", Role.WARD_STAFF, state, "RX1") is None
    assert refusal(pathway, "RX1", Role.ANALYST, state, "RX1")
    assert refusal(pathway, "RY1", Role.WARD_STAFF, state, "RX1")


def test_actions_are_changed_by_their_owner_and_not_after_discharge() -> None:
    action = ev.ActionRecorded("A1", "Chase the care home", "Hub", "LAR01")
    state = _state(action)
    done = ev.ActionRecorded(
        "A1", "Chase the care home", "Hub", "LAR01", status=ev.ActionStatus.DONE
    )
    for org, allowed in (("LAR01", True), ("RX1", True), ("RY1", False)):
        why = refusal(done, org, Role.DISCHARGE_TEAM, state, "RX1", action_recorded_by_org="RX1")
        assert (why is None) == allowed, org
    assert refusal(done, "LAR01", Role.WARD_STAFF, state, "RX1", "RX1")
    new = ev.ActionRecorded("A2", "Book transport", "Ward", "RX1")
    # A new action is added by an organisation involved in the care (the rule asks itself).
    assert refusal(new, "RY1", Role.DISCHARGE_TEAM, state, "RX1")
    referred = _state(action, ev.ReferralMade("R1", ev.ReferralService.REABLEMENT, "RY1"))
    assert refusal(new, "RY1", Role.DISCHARGE_TEAM, referred, "RX1") is None
    left = _state(ev.Discharged("home"))
    assert refusal(new, "RX1", Role.DISCHARGE_TEAM, left, "RX1")


ORGS = st.sampled_from(["RX1", "RX2", "RY1", "LAR01"])


@given(org=ORGS, role=st.sampled_from(list(Role)), treating=ORGS, provider=st.none() | ORGS)
def test_the_pages_flags_are_the_rule_itself(
    org: str, role: Role, treating: str, provider: str | None
) -> None:
    """A page offers a form exactly when the write it posts would be allowed: the flags the
    whiteboard, spell page, stranded list and referrals board show are what `refusal` says."""
    state = _state(ev.ReferralMade("R1", ev.ReferralService.REABLEMENT, provider))
    care = refusal(ev.PathwayAssigned("P1"), org, role, state, treating)
    assert may_record_care(org, role, treating) == (care is None)
    answer = refusal(ev.ReferralAccepted("R1"), org, role, state, treating)
    assert may_answer_referral(org, role, provider, treating) == (answer is None)
    action = refusal(
        ev.ActionRecorded("A9", "Book transport", "Ward", org), org, role, state, treating
    )
    involved = {provider} if provider else set()
    assert may_record_actions(org, role, treating, involved, None) == (action is None)


SYSTEMS = {"RX1": "QDE", "RX2": "QDE", "RY1": "QDE", "LAR01": "QDE", "RZZ": "QXX"}


@given(
    org=st.sampled_from([*SYSTEMS, "QDE", "QXX"]),
    role=st.sampled_from(list(Role)),
    treating=st.sampled_from(list(SYSTEMS)),
    provider=st.none() | st.sampled_from(list(SYSTEMS)),
    escalation=st.booleans(),
)
def test_the_call_is_chaired_by_the_patients_system(
    org: str, role: Role, treating: str, provider: str | None, escalation: bool
) -> None:
    """An action or escalation on a patient in hospital is added by the discharge teams,
    coordinators and admins of an organisation involved in their care, and by a coordinator
    of the patient's system (who chairs the call) whatever organisation treats them; never by
    ward staff or analysts, nor by another system's coordinator. The page's flag is the rule."""
    state = _state(ev.ReferralMade("R1", ev.ReferralService.REABLEMENT, provider))
    involved = {provider} if provider else set()
    system = SYSTEMS[treating]
    allowed = may_record_actions(org, role, treating, involved, system)
    expected = role in (Role.DISCHARGE_TEAM, Role.SYSTEM_COORDINATOR, Role.ADMIN) and (
        org in {treating, provider} or (role is Role.SYSTEM_COORDINATOR and org == system)
    )
    assert allowed == expected
    new = ev.ActionRecorded("A9", "Chase the package", "Hub", "LAR01", escalation=escalation)
    why = refusal(new, org, role, state, treating, treating_system=system)
    assert (why is None) == allowed, why
    # Never once the patient has left hospital.
    left = _state(ev.Discharged("home"))
    assert refusal(new, org, role, left, treating, treating_system=system)


def test_a_coordinator_changes_the_actions_they_recorded_not_a_partners() -> None:
    state = _state(ev.ActionRecorded("A1", "Chase the care home", "Hub", "LAR01"))
    done = ev.ActionRecorded(
        "A1", "Chase the care home", "Hub", "LAR01", status=ev.ActionStatus.DONE
    )
    coordinator = Role.SYSTEM_COORDINATOR
    assert refusal(done, "QDE", coordinator, state, "RX1", "QDE", "QDE") is None
    assert refusal(done, "QDE", coordinator, state, "RX1", "RX1", "QDE")
    # Another system's coordinator adds nothing here.
    assert refusal(
        ev.ActionRecorded("A2", "Call", "Hub"), "QXX", coordinator, state, "RX1", None, "QDE"
    )
