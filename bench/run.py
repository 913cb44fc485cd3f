"""Run every benchmark: `make bench` at the sizes docs/performance.md reports, `make bench-tiny`
(part of `make test`) at a tiny size, so that a benchmark broken by a change fails CI.

Each benchmark runs as its own process, as a person runs it; any that fails fails the run with
its exit code and output. At full size they run one after another, each on a machine otherwise
quiet; at the tiny size, whose figures are compared with nothing, as many at once as the machine
has cores (on the 2-core machine 61 s one after another, 39 s two at a time; docs/performance.md).
At full size each ratio a benchmark reports (bench/ratios.py) is then compared with the last
one recorded in docs/performance.md's table of ratios: any more than a fifth worse is named and
the run fails, so a slowdown is seen when it happens. The rows to record for this run are
printed at the end. The region benchmark (bench/region.py) runs only at
its tiny size here: at full size it is run by hand (an hour's build into a database of its own).
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

from bench import ratios
from bench.demo_database import demo_database
from homeflow.domain import clock

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"


def _winter_inputs(folder: Path) -> list[str]:
    """A small demo database and a model calibrated on it, for the tiny winter run."""
    _, env = demo_database(folder, "winter.db", "--days", "10", "--seed", "3")
    homeflow = [sys.executable, "-m", "homeflow.cli"]

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


def benches(tiny: bool, folder: Path) -> dict[str, Callable[[], list[str]]]:
    """Each benchmark's arguments (made when it starts: the winter run's are a demo and a model):
    none for the reported sizes, small ones for the tiny run."""
    if not tiny:
        names = ("event_log", "hl7", "simulation", "sitrep", "validation", "web", "winter")
        return {name: list for name in names}
    # The sitrep's and the web's large systems, each in a file of its own (they run at once).
    small = ["--copies", "1", "--days", "4", "--db"]
    web = ["--users", "2", "--seconds", "2", "--think", "0.1", "--workers", "1"]
    given = {
        "event_log": ["--days", "3"],
        "hl7": ["--days", "2", "--mllp-messages", "40", "--repeats", "1"],
        "simulation": ["--simpy-reps", "2", "--ciw-reps", "2", "--reps", "20", "--days", "30"],
        "sitrep": [*small, str(folder / "sitrep.db"), "--repeat", "1"],
        "web": [*small, str(folder / "web.db"), *web],
        # Two dates of a 20-day demo ending yesterday, five days after each.
        "validation": [
            *("--days", "20", "--end", (clock.today() - timedelta(days=1)).isoformat()),
            *("--dates", "2", "--history", "10", "--horizon", "5", "--reps", "10"),
        ],
    }
    made = {
        "region": lambda: _region_inputs(folder),
        "winter": lambda: _winter_inputs(folder),
    }
    # The two longest first, so that the others run beside them.
    return {
        **made,
        **{name: functools.partial(list, arguments) for name, arguments in given.items()},
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


def run(bench: str, arguments: Callable[[], list[str]]) -> str:
    """Run one benchmark as its own process: what it printed, headed by its name and time."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{_module(bench)}", *arguments()],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - started
    printed = f"== {_module(bench)} ({took:.0f} s)\n{done.stdout.rstrip()}"
    if done.returncode != 0:
        raise Failed(
            f"{printed}\n{done.stderr}", f"{_module(bench)} failed (exit code {done.returncode})"
        )
    return printed


class Failed(Exception):
    """A benchmark that failed: what it printed, and the line that says so."""

    def __init__(self, printed: str, reason: str) -> None:
        super().__init__(reason)
        self.printed = printed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="each benchmark at a tiny size")
    args = parser.parse_args()
    found: dict[str, tuple[float, str]] = {}
    at_once = (os.cpu_count() or 1) if args.tiny else 1
    with tempfile.TemporaryDirectory() as name, ThreadPoolExecutor(at_once) as pool:
        running = [
            pool.submit(run, bench, arguments)
            for bench, arguments in benches(args.tiny, Path(name)).items()
        ]
        for future in running:  # printed in order, each when it and those before it are done
            try:
                printed = future.result()
            except Failed as failed:
                print(failed.printed, file=sys.stderr)
                for waiting in running:
                    waiting.cancel()
                raise SystemExit(str(failed)) from None
            print(printed, flush=True)
            found.update(ratios.measured(printed))
    if args.tiny:
        return  # tiny sizes are not comparable with the recorded ones
    fell = compare(found)
    if fell:
        raise SystemExit(f"more than a fifth worse than last recorded: {'; '.join(fell)}")


if __name__ == "__main__":
    main()
