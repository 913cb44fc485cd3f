"""The OpenID Connect relying party: Authlib runs the authorization code flow with PKCE,
state and nonce; joserfc checks the ID token against the provider's published keys.

The provider's discovery document and keys are fetched on first use and kept; the keys are
fetched again when a token names a key not yet seen (the provider rotated its keys).
"""

from __future__ import annotations

import threading
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from joserfc.jws import extract_compact

from homeflow.domain.identity import IdentityProviderSettings
from homeflow.store.sign_in_flows import SignInFlow

TIMEOUT_SECONDS = 10
CLOCK_SKEW_SECONDS = 60
# Symmetric algorithms would let anyone holding the client secret mint tokens: never accepted.
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]


class ProviderRefused(Exception):
    """The identity provider's answer could not be trusted or was a refusal; says why."""


class CodeRefused(ProviderRefused):
    """The provider's token endpoint refused the code (forged, used already, or expired):
    the browser brought back something the provider never gave it, or gave someone else."""


class IdentityProvider:
    def __init__(self, settings: IdentityProviderSettings, redirect_uri: str) -> None:
        self.settings = settings
        self.redirect_uri = redirect_uri
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._lock = threading.Lock()

    @property
    def origin(self) -> str:
        parts = urlsplit(self.settings.issuer)
        return f"{parts.scheme}://{parts.netloc}"

    def new_flow(self) -> SignInFlow:
        return SignInFlow(generate_token(43), generate_token(43), generate_token(64))

    def authorization_url(self, flow: SignInFlow) -> str:
        url, _ = self._client().create_authorization_url(
            self._endpoint("authorization_endpoint"),
            state=flow.state,
            nonce=flow.nonce,
            code_verifier=flow.code_verifier,
        )
        return str(url)

    def sign_out_url(self, post_sign_out: str) -> str | None:
        """Where to send someone to sign out at the provider too (RP-initiated logout), so
        the next person at a shared computer is not signed in as them; None if it has none."""
        endpoint = self._discovered().get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        query = urlencode(
            {"client_id": self.settings.client_id, "post_logout_redirect_uri": post_sign_out}
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def claims(self, code: str, flow: SignInFlow) -> dict[str, Any]:
        """Exchange the code for tokens; the ID token's checked claims, with the userinfo
        endpoint's for the same person added."""
        client = self._client()
        try:
            token = client.fetch_token(
                self._endpoint("token_endpoint"),
                code=code,
                code_verifier=flow.code_verifier,
                timeout=TIMEOUT_SECONDS,
            )
        except AuthlibBaseError as error:
            # The token endpoint's error answer (invalid_grant, ...), read by Authlib.
            raise CodeRefused(f"the identity provider refused the code ({error})") from None
        except (requests.RequestException, ValueError) as error:
            raise ProviderRefused(
                f"the code could not be exchanged for a token ({error})"
            ) from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise ProviderRefused("the provider sent no ID token")
        claims = self._checked_id_token(id_token, flow.nonce)
        userinfo = self._discovered().get("userinfo_endpoint")
        if isinstance(userinfo, str):
            try:
                answer = client.get(userinfo, timeout=TIMEOUT_SECONDS)
                answer.raise_for_status()
                extra = answer.json()
            except (requests.RequestException, ValueError) as error:
                raise ProviderRefused(f"the userinfo endpoint failed ({error})") from None
            if not isinstance(extra, dict) or extra.get("sub") != claims["sub"]:
                raise ProviderRefused("the userinfo endpoint described someone else")
            claims = {**extra, **claims}
        return claims

    def _checked_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            decoded = jwt.decode(id_token, self._key_set(id_token), algorithms=SIGNING_ALGORITHMS)
            jwt.JWTClaimsRegistry(
                leeway=CLOCK_SKEW_SECONDS,
                iss={"essential": True, "value": self.settings.issuer},
                aud={"essential": True, "value": self.settings.client_id},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as error:
            raise ProviderRefused(f"the ID token failed its checks ({error})") from None
        claims = dict(decoded.claims)
        audience = claims["aud"]
        shared = isinstance(audience, list) and len(audience) > 1
        if shared and claims.get("azp") != self.settings.client_id:
            raise ProviderRefused("the ID token was issued to another application")
        return claims

    def _client(self) -> OAuth2Session:
        return OAuth2Session(
            self.settings.client_id,
            self.settings.client_secret,
            scope=" ".join(self.settings.scopes),
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
        )

    def _discovered(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                found = self._fetch(f"{self.settings.issuer}/.well-known/openid-configuration")
                if found.get("issuer") != self.settings.issuer:
                    raise ProviderRefused("the provider's discovery document names another issuer")
                self._metadata = found
            return self._metadata

    def _endpoint(self, name: str) -> str:
        value = self._discovered().get(name)
        if not isinstance(value, str):
            raise ProviderRefused(f"the provider's discovery document has no {name}")
        return value

    def _key_set(self, id_token: str) -> KeySet:
        kid = _key_id(id_token)
        with self._lock:
            known = self._keys
        if known is None or (kid is not None and all(k.kid != kid for k in known.keys)):
            published = self._fetch(self._endpoint("jwks_uri"))
            try:
                known = KeySet.import_key_set(cast(KeySetSerialization, published))
            except (JoseError, ValueError, KeyError, TypeError):
                raise ProviderRefused("the provider's published keys could not be read") from None
            with self._lock:
                self._keys = known
        return known

    def _fetch(self, url: str) -> dict[str, Any]:
        try:
            answer = requests.get(url, timeout=TIMEOUT_SECONDS)
            answer.raise_for_status()
            found = answer.json()
        except (requests.RequestException, ValueError) as error:
            raise ProviderRefused(f"the identity provider did not answer ({error})") from None
        if not isinstance(found, dict):
            raise ProviderRefused(f"{url} did not return a JSON object")
        return found


def _key_id(id_token: str) -> str | None:
    try:
        header = extract_compact(id_token.encode()).protected
    except (JoseError, ValueError):
        raise ProviderRefused("the ID token is not a signed token") from None
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None
