"""The test timeline's summary (tests/timeline.py), on two workers' lines written by hand."""

from __future__ import annotations

import json
from pathlib import Path

from tests.timeline import summary


def test_each_worker_and_module_is_summed(tmp_path: Path) -> None:
    def line(nodeid: str, start: float, end: float, own: float, children: float) -> str:
        return json.dumps(
            {"id": nodeid, "start": start, "end": end, "own_cpu": own, "children_cpu": children}
        )

    (tmp_path / "gw0.jsonl").write_text(
        line("tests/a.py::one", 100, 110, 4, 1) + "\n" + line("tests/b.py::two", 110, 112, 2, 0)
    )
    (tmp_path / "gw1.jsonl").write_text(line("tests/a.py::three", 101, 131, 5, 20))
    assert summary(tmp_path) == [
        "gw0: 2 tests, ended at 12 s, busy 12 s",
        "gw1: 1 tests, ended at 31 s, busy 30 s",
        "  wall s  own CPU children  module",
        "    40.0      9.0     21.0  tests/a.py",
        "     2.0      2.0      0.0  tests/b.py",
    ]
    assert summary(tmp_path / "none") == [f"no timeline in {tmp_path / 'none'}"]
