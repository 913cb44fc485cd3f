"""Run every benchmark: `make bench` at the sizes docs/performance.md reports, `make bench-tiny`
(part of `make test`) at a tiny size, so that a benchmark broken by a change fails CI.

Each benchmark runs as its own process, as a person runs it; any that fails stops the run with
its exit code and output."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _winter_inputs(folder: Path) -> list[str]:
    """A small demo database and a model calibrated on it, for the tiny winter run."""
    url = f"sqlite:///{folder / 'winter.db'}"
    env = {**os.environ, "HOMEFLOW_DATABASE_URL": url}
    homeflow = [sys.executable, "-m", "homeflow.cli"]
    for command in (["init-db"], ["demo", "--days", "10", "--seed", "3"]):
        subprocess.run([*homeflow, *command], env=env, check=True, capture_output=True)
    from datetime import date, timedelta

    first, last = date.today() - timedelta(days=9), date.today() - timedelta(days=1)
    model = folder / "model.toml"
    subprocess.run(
        [
            *homeflow,
            "calibrate",
            "--from",
            first.isoformat(),
            "--to",
            last.isoformat(),
            "--out",
            str(model),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    return [
        "--db",
        str(folder / "winter.db"),
        "--model",
        str(model),
        "--reps",
        "20",
        "--horizon",
        "14",
    ]


def benches(tiny: bool, folder: Path) -> dict[str, list[str]]:
    """Each benchmark's arguments: none for the reported sizes, small ones for the tiny run."""
    if not tiny:
        return {name: [] for name in ("event_log", "hl7", "simulation", "sitrep", "web", "winter")}
    small = ["--copies", "1", "--days", "4", "--db", str(folder / "large.db")]
    return {
        "event_log": ["--days", "3"],
        "hl7": ["--days", "2", "--mllp-messages", "40", "--repeats", "1"],
        "simulation": ["--simpy-reps", "2", "--ciw-reps", "2", "--reps", "20", "--days", "30"],
        "sitrep": [*small, "--repeat", "1"],
        "web": [*small, "--users", "2", "--seconds", "2", "--think", "0.1", "--workers", "1"],
        "winter": _winter_inputs(folder),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="each benchmark at a tiny size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        for bench, arguments in benches(args.tiny, Path(name)).items():
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", f"bench.bench_{bench}", *arguments],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            took = time.perf_counter() - started
            print(f"== bench_{bench} ({took:.0f} s)\n{done.stdout.rstrip()}")
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                raise SystemExit(f"bench_{bench} failed (exit code {done.returncode})")


if __name__ == "__main__":
    main()
