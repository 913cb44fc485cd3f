"""Who may keep improvement records and support episodes: the pages' flags say what the
store's refusal says, for every role and every kind of organisation."""

from __future__ import annotations

from itertools import product

import pytest

from homeflow.domain.after_discharge.permissions import (
    episode_holders,
    may_record_support,
    support_refusal,
)
from homeflow.domain.improvement.permissions import improvement_refusal, may_keep
from homeflow.domain.privacy import EDITS_IMPROVEMENT, RECORDS_CARE, Role

# (the user's organisation, its system) against the record's system
ORGANISATIONS = [("QDE", "QDE"), ("RX1", "QDE"), ("QZZ", "QZZ"), ("RZ1", "QZZ"), ("RX9", "RX9")]


@pytest.mark.parametrize(("role", "org", "record_system"), [
    (role, org, system) for role, org, system in product(Role, ORGANISATIONS, ("QDE", "RX9"))
])  # fmt: skip
def test_a_page_offers_an_improvement_form_exactly_when_the_store_would_take_it(
    role: Role, org: tuple[str, str], record_system: str
) -> None:
    code, system = org
    refused = improvement_refusal(role, code, system, record_system)
    assert may_keep(role, code, system, record_system) == (refused is None)
    assert (refused is None) == (role in EDITS_IMPROVEMENT and record_system in org)


def test_a_segment_is_set_only_on_a_place_of_the_record_s_system() -> None:
    why = improvement_refusal(Role.ANALYST, "QZZ", "QZZ", "QZZ", {"RX1": "QDE"})
    assert why == "RX1 is not a place of QZZ"
    assert improvement_refusal(Role.ANALYST, "RX2", "QDE", "QDE", {"RX1": "QDE"}) is None


@pytest.mark.parametrize("role", Role)
def test_the_support_form_is_offered_exactly_when_a_new_episode_would_be_taken(
    role: Role,
) -> None:
    assert may_record_support(role) == (support_refusal(role, "RX1", "E1", None) is None)
    assert may_record_support(role) == (role in RECORDS_CARE)


def test_an_episode_is_held_by_its_recorder_or_the_treating_trust_and_its_provider() -> None:
    registry = {"RX1", "RX2", "LAR01"}
    assert episode_holders("RX1", "RX1", "HC-ACORN", registry) == {"RX1"}
    assert episode_holders(None, "RX2", "LAR01", registry) == {"RX2", "LAR01"}
    assert episode_holders("LAR01", "RX1", "LAR01", registry) == {"LAR01"}
    held = episode_holders("RX1", "RX1", "LAR01", registry)
    assert support_refusal(Role.DISCHARGE_TEAM, "LAR01", "E1", held) is None
    assert support_refusal(Role.DISCHARGE_TEAM, "RX2", "E1", held) == (
        "episode E1 is held by another organisation; only it changes it"
    )
