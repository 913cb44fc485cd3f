"""`homeflow sitrep` on a year-long system of about 6,000 acute beds.

Run: .venv/bin/python bench/bench_sitrep.py [--db var/bench-large.db] [--date YYYY-MM-DD]

Uses the four-copy demo system of `bench/large_system.py` (built once, kept at --db). Times the
command as a user runs it (a fresh process, start-up included) and, as the reference in the
same run, a bare read of the stored event rows of every spell in hospital that day: the
sitrep's own work is decoding and folding those events and counting.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.large_system import build
from bench.ratios import report
from homeflow.domain import clock
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="var/bench-large.db")
    parser.add_argument("--date", default=(clock.today() - timedelta(days=1)).isoformat())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--copies", type=int, default=4, help="copies of the demo system")
    parser.add_argument("--days", type=int, default=365, help="days of history")
    args = parser.parse_args()
    path = Path(args.db)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        build(path, args.copies, args.days)
    url = f"sqlite:///{path}"
    engine = db.connect(url)
    db.migrate(engine)
    day = date.fromisoformat(args.date)
    with engine.connect() as conn:
        beds = conn.execute(
            select(func.sum(t.wards.c.beds)).where(t.wards.c.type == "acute")
        ).scalar_one()
        first_admission = conn.execute(select(func.min(t.spells.c.admitted_at))).scalar_one()
        spells = proj.spells_in_hospital_on(conn, day)
        keys = [s.spell_key for s in spells]

    def bare_read() -> float:
        started = time.perf_counter()
        with engine.connect() as conn:
            by_spell = select(t.events.c.payload).where(
                proj.one_of(conn.dialect.name, t.events.c.spell_key)
            )
            for part in proj.chunks(sorted(keys)):
                conn.execute(by_spell, {"keys": list(part)}).all()
        return time.perf_counter() - started

    def sitrep() -> float:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "homeflow.cli", "sitrep", "--date", args.date,
                 "--out", str(Path(folder) / "sitrep.csv")],
                env={**os.environ, "HOMEFLOW_DATABASE_URL": url},
                check=True,
                capture_output=True,
            )  # fmt: skip
            return time.perf_counter() - started

    sitrep()  # warm the operating system's file cache, as a daily run would find it
    runs = [sitrep() for _ in range(args.repeat)]
    reads = [bare_read() for _ in range(args.repeat)]
    took, read = statistics.median(runs), statistics.median(reads)
    print(
        f"system: {beds:,} acute beds, history from {first_admission:%Y-%m-%d}, "
        f"{len(keys):,} spells in hospital on {args.date}"
    )
    print(f"homeflow sitrep: {took:.2f} s (median of {args.repeat}; target under 5 s)")
    print(f"reference, bare read of their events: {read:.2f} s; ratio {took / read:.1f}")
    report("sitrep / bare read of its events", took / read, "lower")


if __name__ == "__main__":
    main()
