"""Every command that offers `--format` runs in every format it offers, on a small demo, and
what it writes parses: CSV with the columns its table shows, JSON, an Excel workbook with the
CSV's header and rows. The commands are found by walking the command line itself, so a new
command with `--format` is tried without being listed here (`home-care tree --format csv`
crashed, and no test ran it)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer
from openpyxl import load_workbook

from homeflow.cli import app
from tests.conftest import ENGINES, demo_database
from tests.support import SHORT_DEMO, homeflow

END = "2026-03-31"
DEMO = SHORT_DEMO

# What each parameter a command needs is given, by the name the command line shows; a command
# needing one not here fails, naming it, until it is added.
VALUES = {
    "--date": END,
    "--from": "2026-03-25",
    "--to": END,
    "--month": "2026-03",
    "--week-ending": "2026-03-29",
    "NAME": "nctr",  # `kpi`'s KPI
    "--site": "RX101",  # `beds state`'s and `beds requests`': the demo's largest acute site
    "--reps": "10",  # replications (`validate`, `home-care tree`): the fewest both take
}
# A command whose rows the demo holds on another day: internal delays over 48 hours gather over
# a weekend (Sunday 29 March has several; the demo's last day, a Tuesday, may have none).
VALUES_OF = {"delays internal": {"--date": "2026-03-29"}}
OUT = "--out"  # the file a return is written to, named for its format
EMPTY_ON_THE_DEMO: set[str] = set()  # every command prints rows on the demo (its feeds too)


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


def _option(command: Any, opt: str) -> Any:
    return next((p for p in command.params if opt in p.opts), None)


def _formats(param: Any) -> list[str]:
    """The values `--format` offers (its enum's)."""
    kind = param.type_descriptor.annotation
    assert isinstance(kind, type) and issubclass(kind, Enum), kind
    return [str(member.value) for member in kind]


def _named(param: Any) -> str:
    return str(param.name).upper() if param.param_type_name == "argument" else max(param.opts)


FORMATTED = {
    " ".join(path): (command, _formats(_option(command, "--format")))
    for path, command in _commands(typer.main.get_command(app))
    if _option(command, "--format") is not None
}


def test_the_walk_finds_the_commands_with_formats() -> None:
    # The walk itself is held: these were the commands with --format when it was written.
    assert {
        "census", "dtoc", "feeds", "home-care tree", "kpi", "outcomes", "sitrep", "smart-list",
        "team list", "assessment list", "framework list", "pdsa list",
    } <= set(FORMATTED)  # fmt: skip


@pytest.fixture(scope="module", params=ENGINES)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with demo_database(request.param, tmp_path_factory.mktemp("formats"), *DEMO) as url:
        yield url


@pytest.fixture(scope="module")
def prediction_model(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A discharge prediction model trained on the demo (for `predict discharges`)."""
    env = {"HOMEFLOW_MODELS": str(tmp_path_factory.mktemp("models"))}
    done = homeflow(demo_url, "predict", "train", f"--through={END}", env=env, measured=False)
    assert done.returncode == 0, done.stderr
    return env


def _arguments(name: str, chosen: str, folder: Path) -> list[str]:
    command, _ = FORMATTED[name]
    args = [*name.split()]
    values = {**VALUES, **VALUES_OF.get(name, {})}
    for param in command.params:
        shown = _named(param)
        if shown == "--format":
            args += ["--format", chosen]
        elif shown == OUT:
            args += [OUT, str(folder / f"out.{chosen}")]
        elif shown in values:
            args += (
                [values[shown]] if param.param_type_name == "argument" else [shown, values[shown]]
            )
        else:
            assert not param.required, f"{name}: give VALUES a value for {shown}"
    return args


def _table_columns(text: str) -> list[str]:
    """The header of the rich table printed: its cells, a header wrapped over lines joined."""
    lines = text.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("┏"))
    header: list[list[str]] = []
    for line in lines[top + 1 :]:
        if not line.startswith("┃"):
            break
        header.append([cell.strip() for cell in line.strip("┃").split("┃")])
    return [" ".join(p for p in parts if p) for parts in zip(*header, strict=True)]


def _rows_of(document: Any) -> list[dict[str, Any]]:
    # A document of several tables (`home-care tree`: the tree, then what each lever saves)
    # leads with the one its CSV prints first.
    rows = document if isinstance(document, list) else next(iter(document.values()))
    assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows), document
    return rows


@pytest.mark.parametrize("name", sorted(FORMATTED))
def test_every_format_of_every_command_parses(
    name: str, demo_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    _, formats = FORMATTED[name]
    env = request.getfixturevalue("prediction_model") if name == "predict discharges" else {}
    printed: dict[str, str] = {}
    for chosen in formats:
        # The command's own code is measured once; the other formats run the same code
        # before the shared writers, without coverage's tracing.
        measured = chosen == formats[0]
        done = homeflow(demo_url, *_arguments(name, chosen, tmp_path), env=env, measured=measured)
        assert done.returncode == 0, (name, chosen, done.stderr)
        assert "Traceback" not in done.stderr
        printed[chosen] = done.stdout
    if "table" in formats:
        columns = _table_columns(printed["table"])
        header, *rows = list(csv.reader(io.StringIO(printed["csv"])))
        assert header == columns, name
        assert bool(rows) is (name not in EMPTY_ON_THE_DEMO), name
        assert all(len(row) == len(header) for row in rows), name
        documents = _rows_of(json.loads(printed["json"]))
        assert len(documents) == len(rows), name
        assert all(set(columns) <= set(row) for row in documents), name
        return
    # A return written to a file: the CSV and the workbook hold the same header and rows.
    with (tmp_path / "out.csv").open(newline="") as f:
        header, *rows = list(csv.reader(f))
    sheet = load_workbook(tmp_path / "out.xlsx", read_only=True).active
    assert sheet is not None
    cells = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert cells[0] == header and rows, name
    assert len(cells) - 1 == len(rows) and all(len(row) == len(header) for row in rows), name
