"""The audit log as a hash chain: each row's hash covers its place in the log, its content and
the hash of the row before it, so a row changed, deleted or slipped in out of order breaks the
chain from that row on, and `verify` names the first row where it breaks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64  # what the first row of the log follows


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime  # UTC, as stored (naive)
    user_email: str
    org_code: str
    action: str
    what: str
    spell_key: str | None
    client: str
    prev_hash: str | None
    row_hash: str | None


def row_hash(row: AuditRow, prev_hash: str) -> str:
    # Fields joined by a separator no field can hold unescaped: length-prefixed, so moving
    # text from one field to the next changes the hash.
    fields = (
        str(row.id),
        row.at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
        row.user_email,
        row.org_code,
        row.action,
        row.what,
        row.spell_key or "",
        row.client,
        prev_hash,
    )
    text = "".join(f"{len(f)}:{f}" for f in fields)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Broken:
    row_id: int
    reason: str


def verify(rows: Iterable[AuditRow]) -> tuple[int, Broken | None]:
    """How many rows were checked, and the first that breaks the chain (rows in id order).
    The oldest row kept anchors the chain: after older rows are pruned it follows their hash."""
    previous: AuditRow | None = None
    checked = 0
    for row in rows:
        checked += 1
        if row.row_hash is None or row.prev_hash is None:
            return checked, Broken(row.id, "has no hash: written outside homeflow")
        if previous is not None:
            if row.id <= previous.id:
                return checked, Broken(row.id, f"comes after row {previous.id} out of order")
            if row.prev_hash != previous.row_hash:
                return checked, Broken(
                    row.id,
                    f"does not follow row {previous.id}: a row between was deleted or changed",
                )
        if row_hash(row, row.prev_hash) != row.row_hash:
            return checked, Broken(row.id, "was changed after it was written")
        previous = row
    return checked, None
