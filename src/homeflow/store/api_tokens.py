"""Bearer tokens for the APIs: shown once when made, only their SHA-256 kept."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from homeflow.store import schema as t
from homeflow.store.codec import to_db_time
from homeflow.store.registry import require_organisation


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a token acts for."""

    org_code: str
    scope: str


def create_token(engine: Engine, org_code: str, scope: str) -> str:
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        require_organisation(conn, org_code)
        conn.execute(
            insert(t.api_tokens).values(
                token_hash=_hash(token),
                org_code=org_code,
                scope=scope,
                created_at=to_db_time(datetime.now(UTC)),
            )
        )
    return token


def caller_for(engine: Engine, token: str) -> Caller | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(t.api_tokens).where(t.api_tokens.c.token_hash == _hash(token))
        ).first()
    return Caller(row.org_code, row.scope) if row else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
