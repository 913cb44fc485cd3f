"""`make tests` runs the tests that restart or lock the database by naming their file (it spares
collecting the whole suite again for them): every test so marked must be in that file, or it
would never run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _restart_files_named_by_the_makefile() -> set[str]:
    found = re.search(r"^RESTART_TESTS := (.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert found, "the Makefile names the files of the database_restart tests"
    return set(found.group(1).split())


def _files_marking_database_restart(root: Path) -> set[str]:
    marked = re.compile(r"mark\.database_restart\b")
    return {
        str(path.relative_to(root))
        for path in (root / "tests").rglob("*.py")
        if marked.search(path.read_text(encoding="utf-8")) and path != Path(__file__).resolve()
    }


def test_every_database_restart_test_is_in_a_file_make_tests_names() -> None:
    marking = _files_marking_database_restart(ROOT)
    assert marking, "no test is marked database_restart: the search found nothing"
    assert marking <= _restart_files_named_by_the_makefile()


def test_a_test_marked_either_way_is_found_and_a_like_name_is_not(tmp_path: Path) -> None:
    files = {
        "module.py": "pytestmark = pytest.mark.database_restart\n",
        "one.py": "@pytest.mark.database_restart\ndef test_x() -> None: ...\n",
        "other.py": "@pytest.mark.database_restarted\ndef test_y() -> None: ...\n",
    }
    for name, text in files.items():
        (tmp_path / "tests" / "sub").mkdir(parents=True, exist_ok=True)
        (tmp_path / "tests" / "sub" / name).write_text(text, encoding="utf-8")
    assert _files_marking_database_restart(tmp_path) == {"tests/sub/module.py", "tests/sub/one.py"}
