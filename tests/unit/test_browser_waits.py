"""Every browser test waits for what a click starts before it reads the page.

A click only starts a navigation or a swap: a check straight after it can read the page being
left, or the new one half parsed (CI once counted 200 of a list's 377 rows). So, over every
click in every browser test: a click that may load a page or swap part of one is followed by a
wait (pages.follow, pages.submit, wait_for_url, a locator's wait_for, wait_for_function or
wait_for_selector), before anything reads the page; only in-page controls (a summary, a label,
the menu toggle, a link to an anchor on the page) and clicks inside an expect_* block are
exempt. wait_for_load_state is not a wait for this: straight after a click it answers for the
page being left."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

BROWSER_TESTS = sorted((Path(__file__).parents[1] / "browser").glob("test_*.py"))
IN_PAGE = ("summary", "label", "menu-toggle", "href='#")
WAITS = ("wait_for_url", ".wait_for(", "wait_for_function", "wait_for_selector", "follow(", "submit(")  # fmt: skip


def _blocks(tree: ast.AST) -> Iterator[list[ast.stmt]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any(
            "expect_" in ast.unparse(item.context_expr) for item in node.items
        ):
            continue  # the expect_* context waits for what its clicks start
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


def _is_click(statement: ast.stmt) -> bool:
    call = statement.value if isinstance(statement, ast.Expr) else None
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "click"  # fmt: skip


def _waits(following: list[ast.stmt]) -> bool:
    """The next statement waits; a locator named first (lazy: it reads nothing) is let by."""
    for statement in following[:2]:
        text = ast.unparse(statement)
        if any(wait in text for wait in WAITS):
            return True
        lazy = isinstance(statement, ast.Assign) and ("locator(" in text or "get_by_" in text)
        if not lazy:
            return False
    return False


def _unwaited_clicks(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for block in _blocks(tree):
        for i, statement in enumerate(block):
            if not _is_click(statement):
                continue
            text = ast.unparse(statement)
            if any(control in text for control in IN_PAGE) or _waits(block[i + 1 :]):
                continue
            found.append(f"{path.name}:{statement.lineno}: {text}")
    return found


@pytest.mark.parametrize("path", BROWSER_TESTS, ids=lambda p: p.name)
def test_every_click_is_waited_for(path: Path) -> None:
    assert not _unwaited_clicks(path)


@pytest.mark.parametrize("path", BROWSER_TESTS, ids=lambda p: p.name)
def test_no_browser_test_waits_for_the_load_of_the_page_it_left(path: Path) -> None:
    assert "wait_for_load_state" not in path.read_text()


def test_the_rule_finds_a_read_straight_after_a_click(tmp_path: Path) -> None:
    written = tmp_path / "test_example.py"
    written.write_text(
        "def test_it(page):\n"
        "    page.locator('a.hf-figure').first.click()\n"
        "    assert page.locator('#people tbody tr').count() == 3\n"
        "    page.locator('summary').click()\n"
        "    rows = page.locator('#people tbody tr')\n"
        "    rows.first.wait_for()\n"
    )
    assert [line.split(":")[1] for line in _unwaited_clicks(written)] == ["2"]
