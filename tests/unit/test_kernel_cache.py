"""The capacity model's kernels are cached by their sources, once a machine."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from homeflow.sim import draws, kernel_cache
from homeflow.sim.kernel_cache import SourcesLocator


@pytest.fixture
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HOMEFLOW_KERNEL_CACHE", str(tmp_path / "kernels"))
    kernel_cache.sources_hash.cache_clear()
    kernel_cache._this_version.cache_clear()
    yield tmp_path / "kernels"
    kernel_cache.sources_hash.cache_clear()
    kernel_cache._this_version.cache_clear()


def test_a_kernel_of_the_model_is_kept_under_its_sources_hash(cache_folder: Path) -> None:
    kernel = draws.uniform.py_func
    locator = SourcesLocator.from_function(kernel, kernel.__code__.co_filename)
    assert locator is not None
    assert Path(locator.get_cache_path()) == cache_folder / kernel_cache.sources_hash()[:16]
    assert locator.get_source_stamp() == kernel_cache.sources_hash()


def test_another_librarys_kernel_goes_to_numbas_next_locator(cache_folder: Path) -> None:
    def elsewhere() -> int:
        return 1

    assert SourcesLocator.from_function(elsewhere, __file__) is None


def test_an_edit_to_any_module_of_the_model_changes_the_stamp(
    cache_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "sim"
    shutil.copytree(kernel_cache.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(kernel_cache, "PACKAGE", copy)
    kernel_cache.sources_hash.cache_clear()
    before = kernel_cache.sources_hash()
    # draws.py is inlined into the engine's kernels: editing it alone must compile them again.
    (copy / "draws.py").write_text((copy / "draws.py").read_text() + "\n# edited\n")
    kernel_cache.sources_hash.cache_clear()
    assert kernel_cache.sources_hash() != before


def test_a_new_version_keeps_the_four_others_that_compiled_last(cache_folder: Path) -> None:
    cache_folder.mkdir(parents=True)
    for age in range(6):  # "v0" compiled last, "v5" first
        old = cache_folder / f"v{age}"
        old.mkdir()
        os.utime(old, (1_000_000 - age * 1000, 1_000_000 - age * 1000))
    here = kernel_cache._this_version()
    assert here.parent == cache_folder and not here.exists()  # numba makes it when it compiles
    assert sorted(p.name for p in cache_folder.iterdir()) == ["v0", "v1", "v2", "v3"]


def test_the_makefile_names_locators_numba_has() -> None:
    """Each class `NUMBA_CACHE_LOCATOR_CLASSES` names must import, or numba refuses to compile."""
    import importlib

    from numba.core import caching

    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    line = next(x for x in makefile.splitlines() if "NUMBA_CACHE_LOCATOR_CLASSES" in x)
    names = line.split("?=", 1)[1].strip().split(",")
    assert names[0] == "homeflow.sim.kernel_cache.SourcesLocator"
    for name in names:
        module, _, cls = name.rpartition(".")
        found = getattr(importlib.import_module(module), cls) if module else getattr(caching, cls)
        assert issubclass(found, caching._CacheLocator), name
