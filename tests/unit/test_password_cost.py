"""argon2id's cost is the deployment's choice (HOMEFLOW_PASSWORD_COST): RFC 9106's by default,
OWASP's minimum when asked, anything else refused naming the variable; a hash made at one cost
is checked at the other, so changing it needs no password reset."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from homeflow.domain.errors import InvalidInput
from homeflow.store.users import PASSWORD_COSTS, password_hasher


def test_the_default_is_rfc_9106s_and_owasps_minimum_is_a_choice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HOMEFLOW_PASSWORD_COST")
    default = password_hasher()
    assert (default.time_cost, default.memory_cost, default.parallelism) == (3, 65_536, 4)
    monkeypatch.setenv("HOMEFLOW_PASSWORD_COST", "owasp")
    small = password_hasher()
    assert (small.time_cost, small.memory_cost, small.parallelism) == (2, 19_456, 1)


def test_an_unknown_cost_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEFLOW_PASSWORD_COST", "cheap")
    with pytest.raises(InvalidInput) as refused:
        password_hasher()
    assert refused.value.field == "HOMEFLOW_PASSWORD_COST" and "'cheap'" in str(refused.value)


def test_a_hash_made_at_one_cost_is_checked_at_the_other() -> None:
    password = "correct horse battery staple"
    made: dict[str, str] = {name: h.hash(password) for name, h in PASSWORD_COSTS.items()}
    for name, hashed in made.items():
        for other in PASSWORD_COSTS.values():
            assert other.verify(hashed, password), name
    assert PasswordHasher().verify(made["owasp"], password)
