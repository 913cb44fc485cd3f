"""Signing in through an organisation's identity provider (OpenID Connect): who the provider
says someone is, mapped to a homeflow organisation and role by the system's own rules.

The provider is trusted for who a person is and which groups or roles it gives them; the rules
decide what that means here. Someone no rule matches is refused, however well signed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import Role


@dataclass(frozen=True, slots=True)
class IdentityRule:
    """People whose `claim` is `value` (or, for a list claim, includes it) work for `org_code`
    as `role`."""

    claim: str
    value: str
    org_code: str
    role: Role

    def matches(self, claims: Mapping[str, object]) -> bool:
        given = claims.get(self.claim)
        if isinstance(given, str):
            return given == self.value
        if isinstance(given, list | tuple):
            return self.value in given
        return False


@dataclass(frozen=True, slots=True)
class IdentityProviderSettings:
    """One OpenID Connect provider: `name` is what the sign-in button says."""

    name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    email_claim: str
    rules: tuple[IdentityRule, ...]
    # Make an account on first sign-in for someone a rule matches; off, an admin adds people.
    provision: bool = False


@dataclass(frozen=True, slots=True)
class SignInSettings:
    local_passwords: bool = True
    provider: IdentityProviderSettings | None = None


def mapped_account(
    claims: Mapping[str, object], rules: Sequence[IdentityRule]
) -> tuple[str, Role] | None:
    """The organisation and role the first matching rule gives, or None."""
    for rule in rules:
        if rule.matches(claims):
            return rule.org_code, rule.role
    return None


def email_of(claims: Mapping[str, object], email_claim: str) -> str:
    """The person's email address from the claim the settings name (lower case)."""
    value = claims.get(email_claim)
    if not isinstance(value, str) or "@" not in value:
        raise InvalidInput(email_claim, "the identity provider sent no email address")
    return value.strip().lower()
