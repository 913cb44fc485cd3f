"""OpenID Connect sign-ins under way: begun by one request, finished by the provider's
redirect back, possibly at another web worker. A flow is used once and lives ten minutes."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select

from homeflow.domain import clock
from homeflow.store import schema as t
from homeflow.store.codec import to_db_time

FLOW_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class SignInFlow:
    state: str
    nonce: str
    code_verifier: str


def _hash(browser: str) -> str:
    return hashlib.sha256(browser.encode()).hexdigest()


def _now() -> datetime:
    now = to_db_time(clock.now())
    assert now is not None
    return now


def begin_flow(engine: Engine, flow: SignInFlow, browser: str) -> None:
    """Keep a flow for the browser holding the `browser` secret; old flows go."""
    now = _now()
    f = t.sign_in_flows
    with engine.begin() as conn:
        conn.execute(delete(f).where(f.c.started_at < now - FLOW_LIFETIME))
        conn.execute(
            f.insert().values(
                state=flow.state,
                browser_hash=_hash(browser),
                nonce=flow.nonce,
                code_verifier=flow.code_verifier,
                started_at=now,
            )
        )


def take_flow(engine: Engine, state: str, browser: str | None) -> SignInFlow | None:
    """The flow `state` names, once, if this browser began it in the last ten minutes."""
    f = t.sign_in_flows
    with engine.begin() as conn:
        row = conn.execute(select(f).where(f.c.state == state[:64])).one_or_none()
        if row is None:
            return None
        conn.execute(delete(f).where(f.c.state == row.state))
    if browser is None or not hmac.compare_digest(row.browser_hash, _hash(browser)):
        return None
    if row.started_at < _now() - FLOW_LIFETIME:
        return None
    return SignInFlow(row.state, row.nonce, row.code_verifier)
