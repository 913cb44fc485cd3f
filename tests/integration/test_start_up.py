"""What starting homeflow loads: a web worker and a command that runs no model start without
the capacity model's engine and the analysis libraries (numba, scipy, pandas, scikit-learn:
about 1.5 s of CPU a start), which load with the first run that needs them."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("numba", "scipy", "pandas", "sklearn", "statsforecast", "dask")


@pytest.mark.parametrize("entry", ["homeflow.web.app", "homeflow.cli"])
def test_starting_loads_no_engine_or_analysis_library(entry: str) -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, {entry}; print(' '.join(sorted(set(sys.modules) & set({HEAVY!r}))))",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == []
