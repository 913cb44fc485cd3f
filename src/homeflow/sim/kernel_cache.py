"""Where numba keeps the capacity model's compiled kernels: once a machine, named by their sources.

numba's default keeps a kernel beside its source file (`__pycache__`) and thinks it stale only
when that one file changes. The engine's kernels inline the draws of `draws.py`, so an edit
there alone leaves them compiled against the old draws; and every fresh clone compiles them all
again (26-28 s of CPU, docs/performance.md). This locator names the cache by a hash of every
source file of this package instead: any edit here compiles afresh, and every clone or worktree
of the same code shares one compilation. numba uses it when `NUMBA_CACHE_LOCATOR_CLASSES` names
it, with numba's own locators after it for every other library's kernels (the Makefile sets
this for `make run`, `make test` and `make bench`; docs/developing.md).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from numba.core.caching import UserWideCacheLocator

PACKAGE = Path(__file__).resolve().parent
# Versions kept (a few MB each): the newest, by when each last compiled a kernel.
KEPT = 5


def folder() -> Path:
    """HOMEFLOW_KERNEL_CACHE, else homeflow/kernels in the user's cache folder (like pip's)."""
    named = os.environ.get("HOMEFLOW_KERNEL_CACHE")
    if named:
        return Path(named)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "homeflow" / "kernels"


@cache
def sources_hash() -> str:
    """Of every module here: a kernel may read any of them (inlined draws, constants)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@cache
def _this_version() -> Path:
    here = folder() / sources_hash()[:16]
    if not here.exists():
        _remove_the_oldest(here.parent)
    return here


def _remove_the_oldest(parent: Path) -> None:
    """Make room for a new version: keep the KEPT - 1 others that compiled last."""
    if not parent.is_dir():
        return
    others = sorted((p for p in parent.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in others[: max(0, len(others) - (KEPT - 1))]:
        shutil.rmtree(old, ignore_errors=True)


class SourcesLocator(UserWideCacheLocator):
    """numba's locator for this package's kernels; None (the next locator) for any other."""

    def __init__(self, py_func: Callable[..., Any], py_file: str) -> None:
        super().__init__(py_func, py_file)  # type: ignore[no-untyped-call]
        self._cache_path = str(_this_version())

    def get_source_stamp(self) -> str:
        return sources_hash()

    @classmethod
    def from_function(cls, py_func: Callable[..., Any], py_file: str) -> SourcesLocator | None:
        if Path(py_file).resolve().parent != PACKAGE:
            return None
        locator: SourcesLocator | None = super().from_function(py_func, py_file)  # type: ignore[no-untyped-call]
        return locator
