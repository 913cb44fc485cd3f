"""The audit log's hash chain, checked by hand-built cases: a row changed, deleted, inserted
out of order or written without a hash is named; an untouched chain is whole."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from homeflow.domain.audit_chain import (
    GENESIS,
    PRUNE_ACTION,
    AuditRow,
    ChainStart,
    Checkpoint,
    prune_note,
    row_hash,
    verify,
)

T0 = datetime(2026, 12, 1, 9, 0, 0, 123456)


def chain(n: int) -> list[AuditRow]:
    rows, previous = [], GENESIS
    for i in range(1, n + 1):
        row = AuditRow(
            i, T0 + timedelta(minutes=i), f"user{i}@rx1.test", "RX1", "view", f"whiteboard RX101-M0{i}",
            None, "127.0.0.1", previous, None,
        )  # fmt: skip
        row = replace(row, row_hash=row_hash(row, previous))
        rows.append(row)
        previous = row.row_hash or ""
    return rows


def test_an_untouched_chain_is_whole() -> None:
    assert verify(chain(5)) == (5, None)
    assert verify([]) == (0, None)


def test_a_changed_row_is_named() -> None:
    rows = chain(5)
    rows[2] = replace(rows[2], what="whiteboard RX101-M09")
    _, broken = verify(rows)
    assert broken is not None and broken.row_id == 3 and "changed" in broken.reason


def test_a_changed_row_whose_hash_was_recomputed_breaks_the_next_link() -> None:
    rows = chain(5)
    forged = replace(rows[2], user_email="someone@else.test")
    rows[2] = replace(forged, row_hash=row_hash(forged, forged.prev_hash or ""))
    _, broken = verify(rows)
    assert broken is not None and broken.row_id == 4 and "does not follow row 3" in broken.reason


def test_a_deleted_row_is_named_by_the_row_after_it() -> None:
    rows = chain(5)
    del rows[1]
    _, broken = verify(rows)
    assert broken is not None and broken.row_id == 3 and "deleted or changed" in broken.reason


def test_rows_out_of_order_and_rows_without_hashes_are_named() -> None:
    rows = chain(4)
    rows[1], rows[2] = rows[2], rows[1]
    _, broken = verify(rows)
    assert broken is not None and broken.row_id == 3 and "does not follow row 1" in broken.reason
    rows = chain(4)
    _, broken = verify([*rows, rows[1]])
    assert broken is not None and broken.row_id == 2 and "after row 4 out of order" in broken.reason
    rows = chain(4)
    rows[3] = replace(rows[3], row_hash=None)
    _, broken = verify(rows)
    assert broken is not None and broken.row_id == 4 and "no hash" in broken.reason


def test_rows_missing_from_the_start_are_named_unless_a_prune_recorded_the_start() -> None:
    rows = chain(6)
    _, broken = verify(rows[2:])
    assert (
        broken is not None and broken.row_id == 3 and "rows before it were deleted" in broken.reason
    )
    start = ChainStart(3, rows[1].row_hash or "")
    pruned = [*rows[2:], link(PRUNE_ACTION, prune_note(start, "2026-01-01"), rows[-1])]
    assert verify(pruned) == (5, None)
    # Rows deleted after the prune's start, and a start nobody recorded.
    _, broken = verify(pruned[1:])
    assert broken is not None and broken.row_id == 4 and "rows 3 to 3 were deleted" in broken.reason
    # Words like a prune's in any other row record nothing.
    forged = [*rows[2:], link("view", prune_note(start, "2026-01-01"), rows[-1])]
    _, broken = verify(forged)
    assert broken is not None and broken.row_id == 3


def link(action: str, what: str, after: AuditRow) -> AuditRow:
    row = AuditRow(
        after.id + 1, after.at + timedelta(minutes=1), "cli:ig", "-", action, what, None, "cli",
        after.row_hash, None,
    )  # fmt: skip
    return replace(row, row_hash=row_hash(row, after.row_hash or ""))


def checkpoint(rows: list[AuditRow], name: str = "c1") -> Checkpoint:
    return Checkpoint(
        name, ChainStart(rows[0].id, rows[0].prev_hash or ""), rows[-1].id, rows[-1].row_hash or ""
    )


def test_rows_missing_from_the_end_are_found_against_a_checkpoint() -> None:
    rows = chain(8)
    kept = checkpoint(rows[:6])
    assert verify(rows, [kept]) == (8, None)  # rows written since the checkpoint are fine
    _, broken = verify(rows[:4], [kept])
    assert broken is not None and broken.row_id == 6
    assert "the rows after row 4 were deleted" in broken.reason and "c1" in broken.reason
    _, broken = verify([], [kept])
    assert broken is not None and "the log is empty" in broken.reason
    # A chain rewritten whole from row 5 on: each link holds, the checkpoint's row does not.
    forged, previous = rows[:4], rows[3].row_hash or ""
    for row in rows[4:]:
        row = replace(row, what=row.what + " (rewritten)", prev_hash=previous)
        row = replace(row, row_hash=row_hash(row, previous))
        forged.append(row)
        previous = row.row_hash or ""
    _, broken = verify(forged, [kept])
    assert (
        broken is not None
        and broken.row_id == 6
        and "checkpoint c1" in broken.reason
        and "rewritten" in broken.reason
    )


def test_a_start_later_than_the_latest_checkpoints_is_named() -> None:
    rows = chain(8)
    start = ChainStart(3, rows[1].row_hash or "")
    pruned = [*rows[2:], link(PRUNE_ACTION, prune_note(start, "2026-01-01"), rows[-1])]
    assert verify(pruned, [checkpoint(pruned, "after-prune")]) == (7, None)
    # Rows deleted from the start, and a prune row forged for the new start: the checkpoint
    # still says where the chain started.
    start = ChainStart(5, rows[3].row_hash or "")
    again = [*rows[4:], link(PRUNE_ACTION, prune_note(start, "2026-01-02"), rows[-1])]
    _, broken = verify(again, [checkpoint(pruned, "after-prune")])
    assert broken is not None and broken.row_id == 5 and "after-prune" in broken.reason


@given(
    st.integers(0, 5),
    st.sampled_from(["at", "user_email", "org_code", "action", "what", "spell_key", "client"]),
)
def test_any_field_changed_on_any_row_is_found_at_that_row(index: int, name: str) -> None:
    rows = chain(6)
    value = getattr(rows[index], name)
    changed = value + timedelta(microseconds=1) if name == "at" else f"{value or ''}x"
    rows[index] = replace(rows[index], **{name: changed})
    _, broken = verify(rows)
    assert broken is not None and broken.row_id == index + 1
