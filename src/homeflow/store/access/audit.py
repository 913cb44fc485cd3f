"""The audit log: every look at or change to identifiable data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, desc, select

from homeflow.domain.privacy import (
    READS_AUDIT,
)
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.scope import Forbidden, Viewer
from homeflow.store.codec import to_db_time


def audit(
    conn: Connection,
    viewer: Viewer,
    action: str,
    what: str,
    spell_key: str | None = None,
) -> None:
    conn.execute(
        t.audit_log.insert().values(
            at=to_db_time(datetime.now(UTC)),
            user_email=viewer.email,
            org_code=viewer.org_code,
            action=action,
            what=what[:200],
            spell_key=spell_key,
            client=viewer.client[:60],
        )
    )


def audit_export(engine: Engine, viewer: Viewer, what: str) -> None:
    """Record a download of identifiable data."""
    with engine.begin() as conn:
        audit(conn, viewer, "export", what)


def audit_view(engine: Engine, viewer: Viewer, what: str, spell_key: str | None = None) -> None:
    """Record a look at identifiable data, in its own short write after the page's reads."""
    with engine.begin() as conn:
        audit(conn, viewer, "view", what, spell_key)


def audit_entries(
    engine: Engine, viewer: Viewer, user: str | None = None, spell_key: str | None = None
) -> list[Any]:
    if viewer.role not in READS_AUDIT:
        raise Forbidden("only admins read the audit log")
    a = t.audit_log
    query = select(a).order_by(desc(a.c.id)).limit(500)
    if user:
        query = query.where(a.c.user_email == user)
    if spell_key:
        query = query.where(a.c.spell_key == spell_key)
    with db.reading(engine) as conn:
        return list(conn.execute(query))
