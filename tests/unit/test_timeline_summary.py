"""The test timeline's summary (tests/timeline.py), on two workers' lines written by hand."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.timeline import FOLDER, process_ended, summary


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


def test_the_servers_the_tests_stopped_are_summed_by_command_and_module(tmp_path: Path) -> None:
    def line(test: str, command: str, cpu: float) -> str:
        return json.dumps({"test": f"{test} (teardown)", "argv": [command, "--port"], "cpu": cpu})

    (tmp_path / "gw0.jsonl").write_text(
        json.dumps({"id": "tests/a.py::one", "start": 0, "end": 1, "own_cpu": 1, "children_cpu": 0})
    )
    (tmp_path / "gw0.processes").write_text(
        line("tests/a.py::one", "serve", 2.5) + "\n" + line("tests/a.py::two", "serve", 1.0)
    )
    (tmp_path / "gw1.processes").write_text(line("tests/b.py::x", "listen", 7.25))
    assert summary(tmp_path)[-3:] == [
        "   count    CPU s  command, stopped in",
        "       1      7.2  listen, tests/b.py",
        "       2      3.5  serve, tests/a.py",
    ]


def test_a_process_s_cpu_is_noted_under_the_test_that_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FOLDER, str(tmp_path))
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "tests/c.py::stops (teardown)")
    used = sum(os.times()[:4])  # this process's CPU so far, its reaped children's too
    process_ended(["serve", "--port", "1"], os.getpid())  # this process stands in for a server
    process_ended(["serve"], 2**22 + 1)  # a process already gone: nothing noted
    noted = [json.loads(t) for t in (tmp_path / "gw3.processes").read_text().splitlines()]
    assert [(n["test"], n["argv"]) for n in noted] == [
        ("tests/c.py::stops (teardown)", ["serve", "--port"])
    ]
    assert 0.5 * used <= noted[0]["cpu"] <= used + 1
