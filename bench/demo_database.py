"""A demo system built into a scratch SQLite file through the CLI, as a user would build one:
for the benchmarks that run on a demo of their own (the validation, the tiny winter run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def demo_database(folder: Path, name: str, *demo: str) -> tuple[str, dict[str, str]]:
    """`homeflow init-db` then `homeflow demo DEMO...` into `folder/name`: its URL, and the
    environment that names it (and keeps the demo's mappings in `folder`) for later commands."""
    url = f"sqlite:///{folder / name}"
    env = {**os.environ, "HOMEFLOW_DATABASE_URL": url, "HOMEFLOW_MAPPINGS": str(folder)}
    homeflow = [sys.executable, "-m", "homeflow.cli"]
    for command in (["init-db"], ["demo", *demo]):
        subprocess.run([*homeflow, *command], env=env, check=True, capture_output=True)
    return url, env
