"""The audit log: every look at or change to identifiable data, through the pages and the FHIR
API, every refused attempt, and every sign-in and sign-out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, desc, select

from homeflow.domain.privacy import READS_AUDIT, Role
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


def record(
    engine: Engine, viewer: Viewer, action: str, what: str, spell_key: str | None = None
) -> None:
    """An audit row in a write of its own (a change's row goes in the change's transaction)."""
    with engine.begin() as conn:
        audit(conn, viewer, action, what, spell_key)


def audit_export(engine: Engine, viewer: Viewer, what: str) -> None:
    """Record a download of identifiable data."""
    record(engine, viewer, "export", what)


def audit_view(engine: Engine, viewer: Viewer, what: str, spell_key: str | None = None) -> None:
    """Record a look at identifiable data, in its own short write after the page's reads."""
    record(engine, viewer, "view", what, spell_key)


def audit_sign_in(engine: Engine, email: str, client: str, succeeded: bool) -> None:
    """A failed sign-in names the address typed; its organisation is not known."""
    viewer = Viewer(email[:200], "-", Role.ANALYST, client)
    record(engine, viewer, "sign-in", "signed in" if succeeded else "refused: wrong password")


def audit_refused(engine: Engine, viewer: Viewer, why: str, spell_key: str | None = None) -> None:
    record(engine, viewer, "refused", why, spell_key)


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
