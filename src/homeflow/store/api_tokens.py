"""Bearer tokens for the APIs: shown once when made, only their SHA-256 kept. A token acts for
one organisation, ends on its expiry date, and can be revoked by its id (the first twelve
characters of its hash, which `homeflow token list` shows)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select, update

from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput
from homeflow.store import schema as t
from homeflow.store.codec import from_db_time, to_db_time
from homeflow.store.registry import require_organisation

TOKEN_ID_LENGTH = 12


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a token acts for."""

    org_code: str
    scope: str
    token_id: str


@dataclass(frozen=True, slots=True)
class TokenInfo:
    token_id: str
    org_code: str
    scope: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def create_token(engine: Engine, org_code: str, scope: str, days: int = 90) -> str:
    if not 1 <= days <= 366:
        raise InvalidInput("days", "a token lasts from 1 to 366 days")
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with engine.begin() as conn:
        require_organisation(conn, org_code)
        conn.execute(
            insert(t.api_tokens).values(
                token_hash=_hash(token),
                org_code=org_code,
                scope=scope,
                created_at=to_db_time(now),
                expires_at=to_db_time(now + timedelta(days=days)),
            )
        )
    return token


def caller_for(engine: Engine, token: str) -> Caller | None:
    """Who a token acts for, while it has neither expired nor been revoked."""
    a = t.api_tokens
    with engine.connect() as conn:
        row = conn.execute(
            select(a).where(
                a.c.token_hash == _hash(token),
                a.c.revoked_at.is_(None),
                a.c.expires_at > to_db_time(clock.now()),
            )
        ).first()
    return Caller(row.org_code, row.scope, row.token_hash[:TOKEN_ID_LENGTH]) if row else None


def list_tokens(engine: Engine) -> list[TokenInfo]:
    a = t.api_tokens
    with engine.connect() as conn:
        rows = conn.execute(select(a).order_by(a.c.created_at)).all()
    return [
        TokenInfo(
            r.token_hash[:TOKEN_ID_LENGTH],
            r.org_code,
            r.scope,
            from_db_time(r.created_at) or datetime.min,
            from_db_time(r.expires_at) or datetime.min,
            from_db_time(r.revoked_at),
        )
        for r in rows
    ]


def revoke_token(engine: Engine, token_id: str) -> None:
    a = t.api_tokens
    if len(token_id) != TOKEN_ID_LENGTH:
        raise InvalidInput(
            "TOKEN_ID", f"give the {TOKEN_ID_LENGTH}-character id `token list` shows"
        )
    with engine.begin() as conn:
        done = conn.execute(
            update(a)
            .where(a.c.token_hash.startswith(token_id, autoescape=True), a.c.revoked_at.is_(None))
            .values(revoked_at=to_db_time(clock.now()))
        )
    if done.rowcount == 0:
        raise InvalidInput("TOKEN_ID", f"no token in use has the id {token_id!r}")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
