"""Each benchmark's ratios in one form, so `make bench` can compare them with the last recorded.

A benchmark prints `ratio: NAME = VALUE (higher is better)` (or lower) for each ratio it measures
against a reference in the same run; bench/run.py reads these lines and the table of recorded
ratios at the end of docs/performance.md."""

from __future__ import annotations

import re
from pathlib import Path

LINE = re.compile(
    r"^ratio: (?P<name>.+) = (?P<value>[0-9.eE+-]+) \((?P<better>higher|lower) is better\)$"
)
ROW = re.compile(
    r"^\| (?P<name>[^|]+?) \| (?P<better>higher|lower) \| (?P<value>[0-9.eE+-]+) \| (?P<date>[^|]+?) \|"
)
FALL = 0.2  # a ratio a fifth worse than the last recorded is named


def report(name: str, value: float, better: str = "higher") -> None:
    """Print one ratio in the form bench/run.py reads."""
    print(f"ratio: {name} = {value:.4g} ({better} is better)")


def measured(output: str) -> dict[str, tuple[float, str]]:
    """The ratios in a benchmark's output: name to value and which way is better."""
    found = {}
    for line in output.splitlines():
        if m := LINE.match(line.strip()):
            found[m["name"]] = (float(m["value"]), m["better"])
    return found


def recorded(doc: Path) -> dict[str, tuple[float, str, str]]:
    """The last recorded value of each ratio in the doc's table (later rows replace earlier):
    name to value, which way is better, and the date."""
    found = {}
    for line in doc.read_text("utf-8").splitlines():
        if m := ROW.match(line):
            found[m["name"]] = (float(m["value"]), m["better"], m["date"])
    return found


def fallen(now: float, before: float, better: str) -> bool:
    """Whether a ratio is more than a fifth worse than before."""
    if better == "higher":
        return now < (1 - FALL) * before
    return now * (1 - FALL) > before
