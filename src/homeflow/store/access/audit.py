"""The audit log: every look at or change to identifiable data, through the pages and the FHIR
API, every refused attempt, and every sign-in and sign-out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, desc, func, select, text

from homeflow.domain import clock
from homeflow.domain.audit_chain import (
    GENESIS,
    PRUNE_ACTION,
    AuditRow,
    Broken,
    ChainStart,
    Checkpoint,
    prune_note,
    row_hash,
    verify,
)
from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import READS_AUDIT, Role
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.scope import Forbidden, Viewer
from homeflow.store.audit_checkpoints import settle, write_pending
from homeflow.store.codec import to_db_time


def audit(
    conn: Connection,
    viewer: Viewer,
    action: str,
    what: str,
    spell_key: str | None = None,
) -> None:
    a = t.audit_log
    if conn.dialect.name == "postgresql":
        # One writer of the chain at a time (SQLite's writers queue already).
        conn.execute(text("SELECT pg_advisory_xact_lock(7264002)"))
    before = conn.execute(select(a.c.row_hash).order_by(desc(a.c.id)).limit(1)).scalar()
    new_id = conn.execute(
        a.insert()
        .values(
            at=to_db_time(clock.now()),
            user_email=viewer.email,
            org_code=viewer.org_code,
            action=action,
            what=what[:200],
            spell_key=spell_key,
            client=viewer.client[:60],
        )
        .returning(a.c.id)
    ).scalar_one()
    # Hashed as it reads back, so the verifier sees exactly what was hashed.
    stored = _row(conn.execute(select(a).where(a.c.id == new_id)).one())
    previous = before or GENESIS
    conn.execute(
        a.update()
        .where(a.c.id == new_id)
        .values(prev_hash=previous, row_hash=row_hash(stored, previous))
    )


def _row(r: Any) -> AuditRow:
    return AuditRow(
        r.id, r.at, r.user_email, r.org_code, r.action, r.what, r.spell_key, r.client,
        r.prev_hash, r.row_hash,
    )  # fmt: skip


def verify_audit(
    engine: Engine, checkpoints: Sequence[Checkpoint] = ()
) -> tuple[int, Broken | None, str | None]:
    """Rows checked, the first that breaks the chain (its links, its start, and the rows the
    checkpoints kept outside recorded), and the newest row's hash."""
    a = t.audit_log
    with db.reading(engine) as conn:
        rows = (_row(r) for r in conn.execute(select(a).order_by(a.c.id)))
        checked, broken = verify(rows, checkpoints)
        head = conn.execute(select(a.c.row_hash).order_by(desc(a.c.id)).limit(1)).scalar()
    return checked, broken, head


def chain_ends(engine: Engine) -> tuple[Checkpoint, int] | None:
    """The chain's start and newest row now, and how many rows it holds; None when empty."""
    with db.reading(engine) as conn:
        return _ends(conn, "now")


def _ends(conn: Connection, name: str) -> tuple[Checkpoint, int] | None:
    a = t.audit_log
    first = conn.execute(select(a.c.id, a.c.prev_hash).order_by(a.c.id).limit(1)).one_or_none()
    newest = conn.execute(
        select(a.c.id, a.c.row_hash).order_by(desc(a.c.id)).limit(1)
    ).one_or_none()
    if first is None or newest is None:
        return None
    rows = int(conn.execute(select(func.count()).select_from(a)).scalar_one())
    start = ChainStart(first.id, first.prev_hash or "")
    return Checkpoint(name, start, newest.id, newest.row_hash or ""), rows


def audit_rows(engine: Engine, first: date, last: date) -> list[AuditRow]:
    """The rows written from the start of `first` to the end of `last` (UTC days)."""
    a = t.audit_log
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last + timedelta(days=1), datetime.min.time())
    with db.reading(engine) as conn:
        query = select(a).where(a.c.at >= start, a.c.at < end).order_by(a.c.id)
        return [_row(r) for r in conn.execute(query)]


def prune_audit(engine: Engine, before: date, viewer: Viewer, folder: Path) -> tuple[int, Path]:
    """Delete the rows written before `before` (the retention period), never the newest, and
    record in the chain, and in a checkpoint in `folder`, where the chain now starts. The
    checkpoint is on disk before the deletion commits. Returns how many rows went, and the
    checkpoint."""
    a = t.audit_log
    cut = datetime.combine(before, datetime.min.time())
    with engine.connect() as conn, conn.begin() as transaction:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(7264002)"))
        newest = conn.execute(select(func.max(a.c.id))).scalar()
        if newest is None:
            raise InvalidInput("audit", "the audit log is empty: nothing to prune")
        # By id, not by time: rows of concurrent writers may carry times slightly out of
        # id order, and a hole in the middle would break the chain. The newest row stays,
        # so the chain goes on from it.
        kept = conn.execute(select(func.min(a.c.id)).where(a.c.at >= cut)).scalar()
        first_kept = min(newest, kept if kept is not None else newest)
        gone = int(conn.execute(a.delete().where(a.c.id < first_kept)).rowcount or 0)
        follows = conn.execute(select(a.c.prev_hash).where(a.c.id == first_kept)).scalar()
        note = prune_note(ChainStart(first_kept, follows or ""), before.isoformat())
        audit(conn, viewer, PRUNE_ACTION, note)
        ends = _ends(conn, "prune")
        assert ends is not None  # the prune's own row is there
        pending = write_pending(folder, ends[0], ends[1], f"prune of rows before {before}")
        try:
            transaction.commit()
        except BaseException:
            pending.unlink(missing_ok=True)
            raise
    return gone, settle(pending)


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


def audit_sign_in(
    engine: Engine,
    email: str,
    client: str,
    succeeded: bool,
    locked_for: int | None = None,
    refused_because: str | None = None,
) -> None:
    """A failed sign-in names the address typed (or the identity provider gave); its
    organisation is not known. A refusal for too many failures (a lockout) says for how
    long; any other refusal says why."""
    viewer = Viewer(email[:200], "-", Role.ANALYST, client)
    if refused_because is not None:
        what = f"refused: {refused_because}"[:200]
    elif locked_for is not None:
        what = f"refused: locked out for {locked_for} minutes after too many failures"
    else:
        what = "signed in" if succeeded else "refused: wrong password"
    record(engine, viewer, "sign-in", what)


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
