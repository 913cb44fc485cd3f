"""Mapping an identity provider's claims to a homeflow organisation and role, and reading the
sign-in settings; cases from the rules' definition (first matching rule wins; a list claim
matches when it includes the value; nothing else matches)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeflow.config import sign_in_settings
from homeflow.domain.errors import InvalidInput
from homeflow.domain.identity import IdentityRule, email_of, mapped_account
from homeflow.domain.privacy import Role

WARD = IdentityRule("groups", "rx1-ward", "RX1", Role.WARD_STAFF)
FLOW = IdentityRule("groups", "rx1-flow", "RX1", Role.DISCHARGE_TEAM)
COUNCIL = IdentityRule("org", "LAR01", "LAR01", Role.DISCHARGE_TEAM)


def test_the_first_matching_rule_gives_the_organisation_and_role() -> None:
    both = {"groups": ["rx1-flow", "rx1-ward"]}
    assert mapped_account(both, [WARD, FLOW]) == ("RX1", Role.WARD_STAFF)
    assert mapped_account(both, [FLOW, WARD]) == ("RX1", Role.DISCHARGE_TEAM)
    assert mapped_account({"org": "LAR01"}, [WARD, COUNCIL]) == ("LAR01", Role.DISCHARGE_TEAM)


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"groups": []},
        {"groups": "rx1-ward-extra"},  # a string claim must equal the value, not contain it
        {"groups": ["RX1-WARD"]},  # values are compared exactly
        {"groups": {"rx1-ward": True}},  # neither text nor a list
        {"org": ["LAR"]},
    ],
)
def test_claims_no_rule_matches_map_to_nobody(claims: dict[str, object]) -> None:
    assert mapped_account(claims, [WARD, FLOW, COUNCIL]) is None


@given(st.lists(st.text(max_size=8), max_size=6), st.text(max_size=8))
def test_a_list_claim_matches_exactly_when_it_holds_the_value(
    groups: list[str], value: str
) -> None:
    rule = IdentityRule("groups", value, "RX1", Role.ANALYST)
    found = mapped_account({"groups": groups}, [rule])
    assert (found == ("RX1", Role.ANALYST)) == (value in groups)
    assert (found is None) == (value not in groups)


def test_the_email_comes_from_the_named_claim() -> None:
    assert email_of({"upn": "Ann@Trust.nhs.uk"}, "upn") == "ann@trust.nhs.uk"
    with pytest.raises(InvalidInput) as refused:
        email_of({"email": "ann@trust.nhs.uk"}, "upn")
    assert refused.value.field == "upn"


GOOD = """
[sign_in]
local_passwords = false
[sign_in.provider]
issuer = "https://login.example.nhs.uk/"
client_id = "homeflow"
client_secret = "s"
[[sign_in.provider.rules]]
claim = "groups"
value = "g"
org = "RX1"
role = "analyst"
"""


def test_passwords_cannot_be_switched_off_without_a_provider(tmp_path: Path) -> None:
    path = tmp_path / "homeflow.toml"
    path.write_text("[sign_in]\nlocal_passwords = false\n")
    with pytest.raises(InvalidInput) as refused:
        sign_in_settings(str(path))
    assert refused.value.field == "sign_in.local_passwords"


def test_settings_read_with_their_defaults(tmp_path: Path) -> None:
    path = tmp_path / "homeflow.toml"
    path.write_text(GOOD)
    found = sign_in_settings(str(path))
    assert not found.local_passwords and found.provider is not None
    assert found.provider.issuer == "https://login.example.nhs.uk"
    assert found.provider.scopes == ("openid", "email", "profile")
    assert found.provider.email_claim == "email" and not found.provider.provision
    assert found.provider.rules == (IdentityRule("groups", "g", "RX1", Role.ANALYST),)
    (tmp_path / "empty.toml").write_text("")
    assert sign_in_settings(str(tmp_path / "empty.toml")).local_passwords


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            ('issuer = "https://login.example.nhs.uk/"', 'issuer = "login"'),
            "sign_in.provider.issuer",
        ),
        (('client_id = "homeflow"', "client_id = 7"), "sign_in.provider.client_id"),
        (('client_secret = "s"', ""), "sign_in.provider.client_secret"),
        (('role = "analyst"', 'role = "boss"'), "sign_in.provider.rules[1].role"),
        (('org = "RX1"', ""), "sign_in.provider.rules[1].org"),
        (("local_passwords = false", 'local_passwords = "no"'), "sign_in.local_passwords"),
        (
            ('client_id = "homeflow"', 'client_id = "homeflow"\nscopes = ["email"]'),
            "sign_in.provider.scopes",
        ),
        (
            ('client_id = "homeflow"', 'client_id = "homeflow"\nprovision = 1'),
            "sign_in.provider.provision",
        ),
    ],
)
def test_bad_settings_name_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: tuple[str, str], field: str
) -> None:
    monkeypatch.delenv("HOMEFLOW_OIDC_CLIENT_SECRET", raising=False)
    path = tmp_path / "homeflow.toml"
    path.write_text(GOOD.replace(*change))
    with pytest.raises(InvalidInput) as refused:
        sign_in_settings(str(path))
    assert refused.value.field == field
