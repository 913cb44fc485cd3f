"""The audit log's hash chain on real SQLite and PostgreSQL, through the command an IG lead
runs: whole after real writes, and broken at the first row changed or deleted behind
homeflow's back; exported by dates; pruned after its retention period."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, select, update

from homeflow.domain.audit_chain import GENESIS, AuditRow, row_hash
from homeflow.domain.privacy import Role
from homeflow.store import schema as t
from homeflow.store.access import Viewer, audit_view, record
from homeflow.store.registry import save_registry
from tests.conftest import url_of
from tests.support import homeflow


def written(engine: Engine, n: int) -> list[int]:
    from homeflow.demo import system

    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    for i in range(n):
        viewer = Viewer(f"nurse{i % 3}@rx1.test", "RX1", Role.WARD_STAFF, "10.0.0.7")
        if i % 2:
            audit_view(engine, viewer, f"whiteboard RX101-M0{i % 9 + 1}", f"RX1:V{i:04d}")
        else:
            record(engine, viewer, "change", f"edd of RX1:V{i:04d}")
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(t.audit_log.c.id).order_by(t.audit_log.c.id))]


def test_the_chain_is_whole_then_names_the_first_row_changed_or_deleted(engine: Engine) -> None:
    ids = written(engine, 8)
    url = url_of(engine)
    whole = homeflow(url, "audit", "verify")
    assert whole.returncode == 0 and "8 rows chained" in whole.stderr, whole.stderr
    a = t.audit_log
    with engine.begin() as conn:
        conn.execute(update(a).where(a.c.id == ids[4]).values(what="nothing to see"))
    changed = homeflow(url, "audit", "verify")
    assert changed.returncode == 1 and f"row {ids[4]}" in changed.stderr, changed.stderr
    assert "changed" in changed.stderr
    with engine.begin() as conn:
        conn.execute(update(a).where(a.c.id == ids[4]).values(what=f"edd of RX1:V{4:04d}"))
        conn.execute(delete(a).where(a.c.id == ids[2]))
    deleted = homeflow(url, "audit", "verify")
    assert deleted.returncode == 1 and f"row {ids[3]}" in deleted.stderr, deleted.stderr


def test_the_log_is_exported_by_dates_and_pruned_after_its_retention(
    engine: Engine, tmp_path: Path
) -> None:
    written(engine, 5)
    a = t.audit_log
    old = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=400)
    with engine.connect() as conn:
        first_id = conn.execute(select(a.c.id).order_by(a.c.id).limit(1)).scalar_one()
    url = url_of(engine)
    today = datetime.now(UTC).date()
    out = tmp_path / "audit.csv"
    done = homeflow(
        url,
        "audit",
        "export",
        "--from",
        f"{today:%Y-%m-%d}",
        "--to",
        f"{today:%Y-%m-%d}",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert (
        len(rows) == 5 and rows[0]["user"] == "nurse0@rx1.test" and len(rows[0]["row_hash"]) == 64
    )
    bad = homeflow(
        url, "audit", "export", "--from", "2026-12-05", "--to", "2026-12-01", "--out", str(out)
    )
    assert bad.returncode == 2 and "--to" in bad.stderr
    # Rows written long ago (as if kept for 400 days) are pruned; what is left is still a
    # whole chain, its start recorded in the chain and in a checkpoint.
    backdate(engine, first_id, old)
    unset = homeflow(url, "audit", "prune")
    assert unset.returncode == 2 and "retention" in unset.stderr
    retention = {"HOMEFLOW_AUDIT_RETENTION_DAYS": "365"}
    nowhere = homeflow(url, "audit", "prune", env=retention)
    assert nowhere.returncode == 2 and "--checkpoints" in nowhere.stderr, nowhere.stderr
    assert count(engine) == 5  # nothing pruned without its checkpoint
    kept = tmp_path / "checkpoints"
    kept.mkdir()
    pruned = homeflow(url, "audit", "prune", "--checkpoints", str(kept), env=retention)
    assert pruned.returncode == 0 and "1 audit rows" in pruned.stderr, pruned.stderr
    assert len(list(kept.glob("audit-checkpoint-*.json"))) == 1
    assert homeflow(url, "audit", "verify").returncode == 0
    whole = homeflow(url, "audit", "verify", "--checkpoints", str(kept))
    assert whole.returncode == 0 and "agrees with the checkpoints" in whole.stderr, whole.stderr


def backdate(engine: Engine, up_to: int, at: datetime) -> None:
    """Rows up to id `up_to` as if written at `at`, the chain hashed again over them (as it
    would have been, had they been written then)."""
    a = t.audit_log
    with engine.begin() as conn:
        conn.execute(update(a).where(a.c.id <= up_to).values(at=at))
        previous = GENESIS
        for r in conn.execute(select(a).order_by(a.c.id)).all():
            row = AuditRow(
                r.id, r.at, r.user_email, r.org_code, r.action, r.what, r.spell_key, r.client,
                previous, None,
            )  # fmt: skip
            hashed = row_hash(row, previous)
            conn.execute(
                update(a).where(a.c.id == r.id).values(prev_hash=previous, row_hash=hashed)
            )
            previous = hashed


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(t.audit_log.c.id)).all())


def test_rows_deleted_from_the_start_are_named(engine: Engine) -> None:
    """Deleting the oldest rows of a copy (not a prune) once left verify "whole"."""
    ids = written(engine, 30)
    with engine.begin() as conn:
        conn.execute(delete(t.audit_log).where(t.audit_log.c.id < ids[12]))
    broken = homeflow(url_of(engine), "audit", "verify")
    assert broken.returncode == 1, broken.stderr
    assert f"broken at row {ids[12]}" in broken.stderr and "deleted" in broken.stderr


def test_rows_deleted_from_the_end_are_named_against_a_checkpoint(
    engine: Engine, tmp_path: Path
) -> None:
    ids = written(engine, 20)
    url = url_of(engine)
    kept = tmp_path / "checkpoints"
    kept.mkdir()
    made = homeflow(url, "audit", "checkpoint", "--to", str(kept))
    assert made.returncode == 0 and f"to {ids[-1]}" in made.stderr, made.stderr
    written(engine, 3)  # rows after the checkpoint are no loss
    assert homeflow(url, "audit", "verify", "--checkpoints", str(kept)).returncode == 0
    with engine.begin() as conn:
        conn.execute(delete(t.audit_log).where(t.audit_log.c.id > ids[-6]))
    assert homeflow(url, "audit", "verify").returncode == 0  # the database alone cannot tell
    broken = homeflow(url, "audit", "verify", env={"HOMEFLOW_AUDIT_CHECKPOINTS": str(kept)})
    assert broken.returncode == 1, broken.stderr
    assert f"broken at row {ids[-1]}" in broken.stderr
    assert f"the rows after row {ids[-6]} were deleted" in broken.stderr
    # A checkpoint is not written over a chain that contradicts the ones kept.
    refused = homeflow(url, "audit", "checkpoint", "--to", str(kept))
    assert refused.returncode == 1 and len(list(kept.glob("audit-checkpoint-*"))) == 1


def test_a_prune_leaves_a_checkpoint_and_rows_deleted_after_it_are_named(
    engine: Engine, tmp_path: Path
) -> None:
    ids = written(engine, 20)
    a = t.audit_log
    backdate(engine, ids[9], datetime.now(UTC).replace(tzinfo=None) - timedelta(days=400))
    url = url_of(engine)
    kept = tmp_path / "checkpoints"
    kept.mkdir()
    assert homeflow(url, "audit", "checkpoint", "--to", str(kept)).returncode == 0
    pruned = homeflow(url, "audit", "prune", "--older-than-days", "30", "--checkpoints", str(kept))
    assert pruned.returncode == 0 and "10 audit rows" in pruned.stderr, pruned.stderr
    assert len(list(kept.glob("audit-checkpoint-*.json"))) == 2
    for check in ([], ["--checkpoints", str(kept)]):
        whole = homeflow(url, "audit", "verify", *check)
        assert whole.returncode == 0 and "11 rows chained" in whole.stderr, whole.stderr
    with engine.connect() as conn:
        note = conn.execute(select(a.c.user_email, a.c.what).where(a.c.action == "prune")).one()
    assert note.user_email.startswith("cli:")
    assert f"the chain starts at row {ids[10]} after" in note.what
    # The rows the prune kept, deleted from the start after it: named, by the prune's row
    # and by the checkpoint.
    with engine.begin() as conn:
        conn.execute(delete(a).where(a.c.id <= ids[13]))
    for check in ([], ["--checkpoints", str(kept)]):
        broken = homeflow(url, "audit", "verify", *check)
        assert broken.returncode == 1 and f"broken at row {ids[14]}" in broken.stderr
        assert f"rows {ids[10]} to {ids[13]} were deleted" in broken.stderr, broken.stderr


def test_a_checkpoints_folder_that_is_not_one_is_refused_by_name(
    engine: Engine, tmp_path: Path
) -> None:
    written(engine, 3)
    url = url_of(engine)
    missing = tmp_path / "nowhere"
    for args in (
        ["verify", "--checkpoints", str(missing)],
        ["checkpoint", "--to", str(missing)],
        ["prune", "--older-than-days", "1", "--checkpoints", str(missing)],
    ):
        done = homeflow(url, "audit", *args)
        assert done.returncode == 2 and f"{args[-2]}: {missing} is not a folder" in done.stderr
    (tmp_path / "audit-checkpoint-000000000001.json").write_text("{not json")
    done = homeflow(url, "audit", "verify", "--checkpoints", str(tmp_path))
    assert done.returncode == 2 and "audit-checkpoint-000000000001.json is not a checkpoint" in (
        done.stderr
    )
    assert count(engine) == 3
