"""The domain imports only the standard library (docs/architecture.md's module table): every
import statement of every module under src/homeflow/domain, read with ast, names either the
domain itself or a module of the standard library (`sys.stdlib_module_names`). import-linter's
contract lists forbidden packages; this check needs no list, so a new dependency cannot slip
past it."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import homeflow.domain

DOMAIN = Path(homeflow.domain.__file__).parent


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, top-level module) of each absolute import in the file; relative imports stay
    inside the domain's package."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def outside_the_standard_library(path: Path) -> list[str]:
    return [
        f"{path.name}:{line} imports {module}"
        for line, module in imported_modules(path)
        if not (module == "homeflow.domain" or module.startswith("homeflow.domain."))
        and module.split(".")[0] not in sys.stdlib_module_names
        and module != "__future__"
    ]


def test_the_domain_imports_only_the_standard_library() -> None:
    modules = sorted(DOMAIN.rglob("*.py"))
    assert len(modules) > 30  # the walk found the domain
    wrong = [problem for path in modules for problem in outside_the_standard_library(path)]
    assert wrong == []


def test_the_check_names_an_import_from_outside(tmp_path: Path) -> None:
    """The check itself can fail: a third-party package and another homeflow package are
    named; the standard library, the domain and relative imports are not."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from __future__ import annotations\nimport json, os.path\n"
        "from homeflow.domain import clock\nimport numpy\n"
        "def later():\n    from homeflow.store import db\nfrom . import events\n"
    )
    assert outside_the_standard_library(probe) == [
        "probe.py:4 imports numpy",
        "probe.py:6 imports homeflow.store",
    ]
