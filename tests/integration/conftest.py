"""Fixtures the feed tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import DEMO_END, homeflow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A demo database (SQLite) and its ADT history as HL7 files."""
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'demo.db'}"
    hl7 = str(folder / "hl7")
    done = homeflow(url, "demo", "--days", "6", "--end", DEMO_END, "--seed", "5", "--hl7-out", hl7)
    assert done.returncode == 0, done.stderr
    return url, folder / "hl7"
