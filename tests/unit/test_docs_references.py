"""The docs name the tests that hold each control, and the code a rule lives in: every test
file, test and module they name exists, so a rename cannot leave a claim pointing nowhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
TEST_NAMED = re.compile(r"(tests/[\w/]+\.py)(?:::(\w+))?")
MODULE_NAMED = re.compile(r"`((?:domain|store|ingest|services|web|cli|reports|sim)/[\w/]+\.py)`")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_test_and_module_a_doc_names_exists(doc: Path) -> None:
    text = doc.read_text()
    missing = []
    for path, name in TEST_NAMED.findall(text):
        source = ROOT / path
        if not source.is_file():
            missing.append(path)
        elif name and not re.search(rf"^(?:async )?def {name}\b", source.read_text(), re.M):
            missing.append(f"{path}::{name}")
    for module in MODULE_NAMED.findall(text):
        if not (ROOT / "src" / "homeflow" / module).is_file():
            missing.append(module)
    assert not missing, f"{doc.name} names what is not there: {missing}"
