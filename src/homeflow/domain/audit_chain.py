"""The audit log as a hash chain: each row's hash covers its place in the log, its content and
the hash of the row before it, so a row changed, deleted or slipped in out of order breaks the
chain from that row on, and `verify` names the first row where it breaks.

Its ends are anchored too. The first row follows GENESIS, or the row a prune (itself a row of
the chain) recorded as the new start: rows missing from the beginning are found. Checkpoints
kept outside the database record the start and the newest row at their time: rows missing
from the end, or a chain rewritten whole, are found against them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64  # what the first row of the log follows
PRUNE_ACTION = "prune"  # the row a prune writes, recording where the chain now starts
_STARTS = re.compile(r"the chain starts at row (\d+) after ([0-9a-f]{64})$")


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


@dataclass(frozen=True, slots=True)
class ChainStart:
    """The first row of the chain, and the hash it follows (GENESIS, or a pruned row's)."""

    row_id: int
    prev_hash: str


def prune_note(start: ChainStart, before: str) -> str:
    """What a prune's row says: the rows it deleted and where the chain starts after it."""
    return (
        f"rows before row {start.row_id} deleted (written before {before}); "
        f"the chain starts at row {start.row_id} after {start.prev_hash}"
    )


def _pruned_to(row: AuditRow) -> ChainStart | None:
    found = _STARTS.search(row.what) if row.action == PRUNE_ACTION else None
    return ChainStart(int(found.group(1)), found.group(2)) if found else None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain's two ends at one time, kept outside the database: its start, and its newest
    row with that row's hash."""

    name: str  # where it is kept (a file's name), to say which checkpoint a break contradicts
    start: ChainStart
    newest_id: int
    newest_hash: str


def verify(
    rows: Iterable[AuditRow], checkpoints: Sequence[Checkpoint] = ()
) -> tuple[int, Broken | None]:
    """How many rows were checked, and the first that breaks the chain (rows in id order):
    each link; the first row's anchor (GENESIS, or the start the latest prune recorded); and
    every checkpoint's rows, where the checkpoint's time is not pruned away."""
    previous: AuditRow | None = None
    first: AuditRow | None = None
    pruned_to: ChainStart | None = None
    wanted = {c.newest_id for c in checkpoints} | {c.start.row_id for c in checkpoints}
    seen: dict[int, AuditRow] = {}
    checked = 0
    for row in rows:
        checked += 1
        first = first or row
        pruned_to = _pruned_to(row) or pruned_to
        if row.id in wanted:
            seen[row.id] = row
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
    if first is None or previous is None:
        return checked, _empty(checkpoints)
    return checked, _start_broken(first, pruned_to) or _against(
        checkpoints, seen, first.id, previous.id
    )


def _empty(checkpoints: Sequence[Checkpoint]) -> Broken | None:
    if not checkpoints:
        return None
    latest = max(checkpoints, key=lambda c: c.newest_id)
    return Broken(
        latest.newest_id,
        f"is missing, with every row: the log is empty, but checkpoint {latest.name} "
        f"recorded rows {latest.start.row_id} to {latest.newest_id}",
    )


def _start_broken(first: AuditRow, pruned_to: ChainStart | None) -> Broken | None:
    """The first row must be where the chain began, or where the latest prune left it."""
    start = pruned_to or ChainStart(first.id, GENESIS)
    if pruned_to is None and first.prev_hash != GENESIS:
        return Broken(
            first.id,
            "follows a row that is not in the log, and no prune recorded the chain starting "
            "here: the rows before it were deleted",
        )
    if first.id > start.row_id:
        return Broken(
            first.id,
            f"is the first row, but the latest prune left the chain starting at row "
            f"{start.row_id}: rows {start.row_id} to {first.id - 1} were deleted",
        )
    if first.id < start.row_id or first.prev_hash != start.prev_hash:
        return Broken(first.id, "is not the row the latest prune left the chain starting at")
    return None


def _against(
    checkpoints: Sequence[Checkpoint], seen: dict[int, AuditRow], first_id: int, last_id: int
) -> Broken | None:
    """Each checkpoint's rows, where they are not older than the chain's start, must be there
    as recorded; and the chain must not start after the latest checkpoint's start (a prune
    always leaves a checkpoint)."""
    if not checkpoints:
        return None
    latest = max(checkpoints, key=lambda c: c.newest_id)
    if first_id > latest.start.row_id:
        return Broken(
            first_id,
            f"is the first row, but checkpoint {latest.name} recorded the chain starting at "
            f"row {latest.start.row_id}: rows {latest.start.row_id} to {first_id - 1} were "
            "deleted",
        )
    for c in sorted(checkpoints, key=lambda c: c.newest_id):
        if c.newest_id >= first_id:
            row = seen.get(c.newest_id)
            if row is None and c.newest_id > last_id:
                return Broken(
                    c.newest_id,
                    f"is missing: checkpoint {c.name} recorded it, but the log ends at row "
                    f"{last_id}: the rows after row {last_id} were deleted",
                )
            if row is None:
                return Broken(c.newest_id, f"is missing: checkpoint {c.name} recorded it")
            if row.row_hash != c.newest_hash:
                return Broken(
                    c.newest_id,
                    f"is not the row checkpoint {c.name} recorded: the chain was rewritten",
                )
        if c.start.row_id >= first_id:
            row = seen.get(c.start.row_id)
            if row is None or row.prev_hash != c.start.prev_hash:
                return Broken(c.start.row_id, f"is not the start checkpoint {c.name} recorded")
    return None
