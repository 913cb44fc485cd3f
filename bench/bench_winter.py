"""A winter-planning run as a user makes it: 1,000 replications of 120 days of the calibrated
demo system from today's census, baseline and three scenarios (target: under 20 s, issue 33).

Run: .venv/bin/python bench/bench_winter.py [--db var/homeflow.db] [--model var/models/demo.toml]

`make run` builds the database and the model. The command runs as a fresh process (start-up,
reading the census and loading the compiled engine included). As the reference in the same run,
the same command with 10 replications: its time is the fixed cost, so the ratio says how much
of the run is the replications themselves.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ratios import report  # noqa: E402 (run as a script too)

SCENARIOS = ("demand-plus-8.toml", "reablement-plus-20.toml", "interim-beds.toml")


def timed(db: str, model: str, reps: int, out: Path, horizon: int = 120) -> float:
    command = [sys.executable, "-m", "homeflow.cli", "simulate", model, "--reps", str(reps)]
    for name in SCENARIOS:
        command += ["--scenario", str(ROOT / "examples" / name)]
    command += ["--horizon", str(horizon), "--start", "census", "--seed", "1", "--out", str(out)]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        env={**os.environ, "HOMEFLOW_DATABASE_URL": f"sqlite:///{db}"},
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="var/homeflow.db")
    parser.add_argument("--model", default="var/models/demo.toml")
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--horizon", type=int, default=120, help="days each replication runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "results.parquet"
        run = (args.db, args.model)
        timed(*run, 10, out, args.horizon)  # loads (or compiles) the engine's cached code
        reference = timed(*run, 10, out, args.horizon)
        full = timed(*run, args.reps, out, args.horizon)
    print(
        f"{args.reps:,} replications × {args.horizon} days × (baseline + 3 scenarios): {full:.1f} s "
        "(target for 1,000: 20 s)"
    )
    print(
        f"reference, the same with 10 replications: {reference:.1f} s (ratio {full / reference:.1f})"
    )
    report("winter run / the same with 10 replications", full / reference, "lower")


if __name__ == "__main__":
    main()
