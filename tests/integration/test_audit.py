"""The audit log's hash chain on real SQLite and PostgreSQL, through the command an IG lead
runs: whole after real writes, and broken at the first row changed or deleted behind
homeflow's back; exported by dates; pruned after its retention period."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, select, update

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
    # Rows written long ago (their time moved back, as if kept for 400 days) are pruned; what
    # is left is still a whole chain, anchored at the oldest row kept.
    with engine.begin() as conn:
        conn.execute(update(a).where(a.c.id == first_id).values(at=old))
    unset = homeflow(url, "audit", "prune")
    assert unset.returncode == 2 and "retention" in unset.stderr
    pruned = homeflow(url, "audit", "prune", env={"HOMEFLOW_AUDIT_RETENTION_DAYS": "365"})
    assert pruned.returncode == 0 and "1 audit rows" in pruned.stderr, pruned.stderr
    assert homeflow(url, "audit", "verify").returncode == 0
