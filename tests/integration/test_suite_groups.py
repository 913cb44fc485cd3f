"""The suite's own grouping for `--dist loadgroup` (tests/conftest.py) really keeps a module's
tests that share a module's fixture on one worker, through the installed pytest and
pytest-xdist: with pytest 9.2 and xdist 3.8 the groups were silently ignored
(pytest-dev/pytest-xdist#1386) and every served site and demo copy was made on both workers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SHARED = """
import pytest

@pytest.fixture(scope="module")
def shared():
    return object()

@pytest.mark.parametrize("n", range(8))
def test_shares_the_module_fixture(shared, n):
    assert shared is not None
"""


def test_a_module_sharing_a_fixture_runs_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_collection_modifyitems  # noqa: F401\n"
    )
    for name in ("test_first.py", "test_second.py"):
        (tmp_path / name).write_text(SHARED)
    run = ["-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *run],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    workers: defaultdict[str, set[str]] = defaultdict(set)
    for worker, test in re.findall(r"\[(gw\d)\].*PASSED (\S+)", done.stdout):
        workers[test.split("::")[0]].add(worker)
    assert set(workers) == {"test_first.py", "test_second.py"}, done.stdout
    assert all(len(ran_on) == 1 for ran_on in workers.values()), dict(workers)
