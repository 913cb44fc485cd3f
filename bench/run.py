"""Run every benchmark: `make bench` at the sizes docs/performance.md reports, `make bench-tiny`
(part of `make test`) at a tiny size, so that a benchmark broken by a change fails CI.

Each benchmark runs as its own process, as a person runs it; any that fails stops the run with
its exit code and output. At full size each ratio a benchmark reports (bench/ratios.py) is then
compared with the last one recorded in docs/performance.md's table of ratios: any more than a
fifth worse is named and the run fails, so a slowdown is seen when it happens. The rows to
record for this run are printed at the end. The region benchmark (bench/region.py) runs only at
its tiny size here: at full size it is run by hand (an hour's build into a database of its own).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench import ratios
from homeflow.domain import clock

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"


def _winter_inputs(folder: Path) -> list[str]:
    """A small demo database and a model calibrated on it, for the tiny winter run."""
    url = f"sqlite:///{folder / 'winter.db'}"
    env = {**os.environ, "HOMEFLOW_DATABASE_URL": url}
    homeflow = [sys.executable, "-m", "homeflow.cli"]
    for command in (["init-db"], ["demo", "--days", "10", "--seed", "3"]):
        subprocess.run([*homeflow, *command], env=env, check=True, capture_output=True)
    from datetime import timedelta

    first, last = clock.today() - timedelta(days=9), clock.today() - timedelta(days=1)
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
        "region": _region_inputs(folder),
    }


def _region_inputs(folder: Path) -> list[str]:
    """A region of four trusts (two copies of the demo) over two days, checked against a rebuild
    from its log: in a scratch schema of the PostgreSQL database the tests use when one is
    named, else in a file."""
    url = os.environ.get("HOMEFLOW_TEST_POSTGRES_URL") or f"sqlite:///{folder / 'region.db'}"
    load = ["--users", "3", "--seconds", "2", "--think", "0.1", "--workers", "1", "--feeds", "2"]
    return ["--db", url, "--scratch", "--check", "--scale", "4", "--days", "2", *load]


def _module(bench: str) -> str:
    return "region" if bench == "region" else f"bench_{bench}"


def compare(found: dict[str, tuple[float, str]]) -> list[str]:
    """Each ratio against the last recorded; the names of those more than a fifth worse."""
    before = ratios.recorded(DOC)
    fell = []
    print("== ratios against the last recorded in docs/performance.md")
    for name, (value, better) in found.items():
        if name not in before:
            print(f"{name}: {value:.4g} (none recorded)")
            continue
        last, _, when = before[name]
        worse = ratios.fallen(value, last, better)
        mark = "  FELL by more than a fifth" if worse else ""
        print(f"{name}: {value:.4g}, recorded {last:.4g} on {when} ({better} is better){mark}")
        if worse:
            fell.append(name)
    command = "make bench"
    print("== rows to record (docs/performance.md, table of ratios)")
    for name, (value, better) in found.items():
        print(f"| {name} | {better} | {value:.4g} | {date.today().isoformat()} | `{command}` |")
    return fell


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="each benchmark at a tiny size")
    args = parser.parse_args()
    found: dict[str, tuple[float, str]] = {}
    with tempfile.TemporaryDirectory() as name:
        for bench, arguments in benches(args.tiny, Path(name)).items():
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", f"bench.{_module(bench)}", *arguments],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            took = time.perf_counter() - started
            print(f"== {_module(bench)} ({took:.0f} s)\n{done.stdout.rstrip()}")
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                raise SystemExit(f"{_module(bench)} failed (exit code {done.returncode})")
            found.update(ratios.measured(done.stdout))
    if args.tiny:
        return  # tiny sizes are not comparable with the recorded ones
    fell = compare(found)
    if fell:
        raise SystemExit(f"more than a fifth worse than last recorded: {'; '.join(fell)}")


if __name__ == "__main__":
    main()
