"""Small rooms: no module over 500 lines, no function over 80, but the two the issue exempts
(the numba event loop, which must be one function to compile well, and the spell fold's match
over event types, which reads best as one table)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "homeflow"
LONG_MODULES = {"sim/engine.py"}
LONG_FUNCTIONS = {("sim/engine.py", "_replication"), ("domain/spell.py", "_apply")}


def _modules() -> list[Path]:
    found = sorted(SRC.rglob("*.py"))
    assert len(found) > 50  # the walk found the package
    return found


def test_no_module_is_over_500_lines() -> None:
    long = [
        f"{p.relative_to(SRC)}: {n} lines"
        for p in _modules()
        if (n := len(p.read_text("utf-8").splitlines())) > 500
        and str(p.relative_to(SRC)) not in LONG_MODULES
    ]
    assert long == []


def test_no_function_is_over_80_lines() -> None:
    long = []
    for p in _modules():
        where = str(p.relative_to(SRC))
        for node in ast.walk(ast.parse(p.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 80 and (where, node.name) not in LONG_FUNCTIONS:
                    long.append(f"{where}:{node.name}: {length} lines")
    assert long == []
