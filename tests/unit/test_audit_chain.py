"""The audit log's hash chain, checked by hand-built cases: a row changed, deleted, inserted
out of order or written without a hash is named; an untouched chain is whole."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from homeflow.domain.audit_chain import GENESIS, AuditRow, row_hash, verify

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


def test_the_oldest_row_kept_anchors_a_pruned_chain() -> None:
    assert verify(chain(6)[2:]) == (4, None)


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
