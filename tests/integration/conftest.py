"""Fixtures the feed tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import demo_database
from tests.support import DEMO_END


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A demo database (SQLite) and its ADT history as HL7 files."""
    folder = tmp_path_factory.mktemp("demo")
    args = ("--days", "6", "--end", DEMO_END, "--seed", "5")
    with demo_database("sqlite", folder, *args, hl7=True) as url:
        yield url, folder / "hl7"
