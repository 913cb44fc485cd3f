"""Where a test run's time goes: each test's start, end and CPU time, per xdist worker.

A pytest plugin, off unless asked for, and its summary (docs/performance.md, "Where a run's
time goes"):

    HOMEFLOW_TEST_TIMELINE=/tmp/timeline pytest -p tests.timeline -n 2 --dist loadgroup tests
    python -m tests.timeline /tmp/timeline

Each worker writes a line a test to `<folder>/<worker>.jsonl`. CPU is the worker's own and its
reaped children's (the servers and browsers a module starts are reaped when the module's
fixture ends, so their CPU falls to the test that ended it: compare modules, not tests).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

FOLDER = "HOMEFLOW_TEST_TIMELINE"
_written: dict[str, IO[str]] = {}


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, reaped.ru_utime + reaped.ru_stime


def _out(folder: str) -> IO[str]:
    if folder not in _written:
        Path(folder).mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        _written[folder] = (Path(folder) / f"{worker}.jsonl").open("a", encoding="utf-8")
    return _written[folder]


def process_ended(argv: list[str], pid: int) -> None:
    """Note the CPU a server or listener the tests started has used, just before it is
    stopped (with its reaped children's: a server's workers), under the test that stops it:
    it is reaped by the test process, so the lines above would count it only at the end."""
    folder = os.environ.get(FOLDER)
    if not folder:
        return
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return
    # utime, stime, cutime, cstime: the 14th to 17th fields, counted from the pid.
    ticks = sum(int(n) for n in fields[11:15])
    line = {"test": os.environ.get("PYTEST_CURRENT_TEST", ""), "argv": argv[:2]}
    line["cpu"] = ticks / os.sysconf("SC_CLK_TCK")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with (Path(folder) / f"{worker}.processes").open("a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    folder = os.environ.get(FOLDER)
    started, (own, reaped) = time.time(), _cpu()
    yield
    if folder:
        ended, (own_after, reaped_after) = time.time(), _cpu()
        line = {"id": item.nodeid, "start": started, "end": ended}
        line |= {"own_cpu": own_after - own, "children_cpu": reaped_after - reaped}
        _out(folder).write(json.dumps(line) + "\n")
        _out(folder).flush()


def summary(folder: Path) -> list[str]:
    """Each worker's span and busy time, then each module's wall and CPU time, largest first."""
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        for text in path.read_text(encoding="utf-8").splitlines():
            rows.append({**json.loads(text), "worker": path.stem})
    if not rows:
        return [f"no timeline in {folder}"]
    first = min(r["start"] for r in rows)
    lines = []
    for worker in sorted({r["worker"] for r in rows}):
        mine = [r for r in rows if r["worker"] == worker]
        busy = sum(r["end"] - r["start"] for r in mine)
        lines.append(
            f"{worker}: {len(mine)} tests, ended at {max(r['end'] for r in mine) - first:.0f} s,"
            f" busy {busy:.0f} s"
        )
    modules: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for r in rows:
        totals = modules[r["id"].split("::")[0]]
        totals[0] += r["end"] - r["start"]
        totals[1] += r["own_cpu"]
        totals[2] += r["children_cpu"]
    lines.append(f"{'wall s':>8} {'own CPU':>8} {'children':>8}  module")
    for module, (wall, own, children) in sorted(modules.items(), key=lambda m: -m[1][0]):
        lines.append(f"{wall:8.1f} {own:8.1f} {children:8.1f}  {module}")
    return lines + _processes(folder)


def _processes(folder: Path) -> list[str]:
    """The servers' and listeners' CPU (`process_ended`), by the module whose test stopped
    them: a session's shared site falls to whichever test ran last on its worker."""
    found: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for path in sorted(folder.glob("*.processes")):
        for text in path.read_text(encoding="utf-8").splitlines():
            line = json.loads(text)
            totals = found[(line["test"].split("::")[0], line["argv"][0])]
            totals[0] += 1
            totals[1] += line["cpu"]
    if not found:
        return []
    lines = [f"{'count':>8} {'CPU s':>8}  command, stopped in"]
    for (module, command), (count, cpu) in sorted(found.items(), key=lambda m: -m[1][1]):
        lines.append(f"{count:8.0f} {cpu:8.1f}  {command}, {module}")
    return lines


if __name__ == "__main__":
    print("\n".join(summary(Path(sys.argv[1]))))
