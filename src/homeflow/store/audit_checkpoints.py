"""Checkpoints of the audit chain, kept outside the database: one JSON file a checkpoint in a
folder the information-governance team keeps apart from it (another machine's disk, storage
that cannot be rewritten). Someone able to rewrite the database cannot rewrite these, so rows
deleted from the chain's newest end, or a chain rewritten whole, are found against them."""

from __future__ import annotations

import json
import os
from pathlib import Path

from homeflow.domain import clock
from homeflow.domain.audit_chain import ChainStart, Checkpoint
from homeflow.domain.errors import InvalidInput

PREFIX = "audit-checkpoint-"
FIELD = "--checkpoints"  # the option (and HOMEFLOW_AUDIT_CHECKPOINTS) naming the folder


def read_checkpoints(folder: Path, field: str = FIELD) -> list[Checkpoint]:
    """Every checkpoint in `folder`; a file that is not one is refused by name."""
    if not folder.is_dir():
        raise InvalidInput(field, f"{folder} is not a folder")
    found = []
    for path in sorted(folder.glob(f"{PREFIX}*.json")):
        try:
            data = json.loads(path.read_text("utf-8"))
            found.append(
                Checkpoint(
                    path.name,
                    ChainStart(int(data["start_row"]), str(data["start_follows"])),
                    int(data["newest_row"]),
                    str(data["newest_hash"]),
                )
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InvalidInput(field, f"{path.name} is not a checkpoint ({error})") from None
    return found


def write_pending(
    folder: Path, checkpoint: Checkpoint, rows: int, why: str, field: str = FIELD
) -> Path:
    """The checkpoint written and flushed to disk under a name `read_checkpoints` skips: a
    prune writes it before it commits (no prune without its checkpoint) and `settle`s it
    after (no checkpoint of a prune that did not happen)."""
    if not folder.is_dir():
        raise InvalidInput(field, f"{folder} is not a folder")
    final = folder / f"{PREFIX}{checkpoint.newest_id:012d}.json"
    pending = folder / f".{final.name}.pending"
    text = json.dumps(
        {
            "written_at": clock.now().isoformat(timespec="seconds"),
            "why": why,
            "rows": rows,
            "start_row": checkpoint.start.row_id,
            "start_follows": checkpoint.start.prev_hash,
            "newest_row": checkpoint.newest_id,
            "newest_hash": checkpoint.newest_hash,
        },
        indent=2,
    )
    try:
        with pending.open("w", encoding="utf-8") as f:
            f.write(text + "\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as error:
        raise InvalidInput(field, f"cannot write {pending}: {error.strerror}") from None
    return pending


def settle(pending: Path) -> Path:
    """The pending checkpoint under its own name, read by `verify` from now on."""
    final = pending.with_name(pending.name.removeprefix(".").removesuffix(".pending"))
    pending.replace(final)
    return final
