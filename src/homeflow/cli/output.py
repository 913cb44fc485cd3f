"""What the command line prints. Text from outside (a typed option, a file's contents, an
error's reason) is printed as typed: neither console reads markup, and styled words are built
as rich Text, never as markup strings."""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from homeflow.domain import clock
from homeflow.domain.clock import parse_date
from homeflow.reports.cells import safe_row, spreadsheet_safe

# Messages to people on standard error; tables on standard output.
# One line a message however long (scripts grep for `error:`), no emoji codes either.
console = Console(stderr=True, markup=False, highlight=False, emoji=False, soft_wrap=True)
tables = Console(width=200, markup=False, highlight=False, emoji=False)


def ended_date(option: str, text: str) -> date:
    """A day written YYYY-MM-DD that has ended: a return, census or measure is never of a day
    still going on (today, Europe/London) or to come."""
    return clock.ended(option, parse_date(option, text), clock.today())


class OutputFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def say(message: str) -> None:
    console.print(message)


def warn(message: str) -> None:
    console.print(Text.assemble(("warning:", "yellow"), " ", message))


def fail(message: str) -> NoReturn:
    """End the command with exit code 2 and one `error:` line."""
    console.print(Text.assemble(("error:", "bold red"), " ", message))
    raise typer.Exit(2)


def print_rows(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], output_format: OutputFormat, title: str
) -> None:
    """Rows to standard output as a table for people, or as CSV or JSON for programs."""
    if output_format is OutputFormat.CSV:
        # The columns the table shows; a row's other keys (a lever's field name) are for JSON.
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    elif output_format is OutputFormat.JSON:
        json.dump(list(rows), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        table = Table(title=title)
        for name in columns:
            numeric = any(isinstance(r.get(name), int | float) for r in rows)
            # A column's name is never cut short: a long value wraps instead.
            table.add_column(name, justify="right" if numeric else "left", min_width=len(name))
        for row in rows:
            table.add_row(*("" if row.get(name) is None else str(row[name]) for name in columns))
        tables.print(table)


def shown(param: Any) -> str:
    """A command's parameter as the person types it: an option by its longest name (`--out`),
    an argument in capitals as the messages name it (NAME, FILE)."""
    if param.param_type_name == "argument":
        return str(param.name).upper()
    return str(max(param.opts, key=len))


def _writable_file(param: typer.CallbackParam, path: Path | None) -> Path | None:
    """A file the command is to write, refused as the command line is read, before any work
    (a simulation, a report's charts) that would be thrown away when the file cannot be."""
    if path is None:
        return None
    folder = path.parent
    if path.is_dir():
        fail(f"{shown(param)}: {path} is a folder; name a file in it")
    if not folder.exists():
        fail(f"{shown(param)}: cannot write {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        fail(f"{shown(param)}: cannot write {path}: {folder} is a file, not a folder")
    if not os.access(path if path.exists() else folder, os.W_OK):
        fail(f"{shown(param)}: cannot write {path}: permission denied")
    return path


def _writable_folder(param: typer.CallbackParam, path: Path | None) -> Path | None:
    """A folder the command is to write into, made with its parents where missing: refused
    as the command line is read when it is a file, or its nearest existing part is."""
    if path is None:
        return None
    if path.exists() and not path.is_dir():
        fail(f"{shown(param)}: {path} is a file, not a folder")
    there = next(p for p in (path, *path.parents) if p.exists())
    if not there.is_dir():
        fail(f"{shown(param)}: cannot make the folder {path}: {there} is a file")
    if not os.access(there, os.W_OK):
        fail(f"{shown(param)}: cannot write into {path}: permission denied")
    return path


def written_file(help: str) -> Any:
    """The option naming a file the command writes (`--out`), checked as it is read."""
    return typer.Option(help=help, callback=_writable_file)


def written_folder(help: str) -> Any:
    """The option naming a folder the command writes into, checked as it is read."""
    return typer.Option(help=help, callback=_writable_folder)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def write_table(
    out: Path, columns: Sequence[str], rows: Sequence[Sequence[Any]], file_format: FileFormat | None
) -> None:
    """A return or measure as CSV or an Excel workbook (format from the option, else from
    the file's suffix)."""
    chosen = file_format or (FileFormat.XLSX if out.suffix.lower() == ".xlsx" else FileFormat.CSV)
    try:
        if chosen is FileFormat.CSV:
            with out.open("w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(columns)
                writer.writerows(safe_row("" if v is None else v for v in row) for row in rows)
            return
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(out.stem[:31] or "homeflow")
        sheet.append(list(columns))
        for row in rows:
            sheet.append(safe_row(row))
        book.save(out)
    except OSError as error:
        fail(f"--out: cannot write {out}: {error.strerror}")


def read_series(option: str, path: Path) -> tuple[list[date], list[float]]:
    """A measure's points from a CSV with the columns date and value; a bad cell ends the
    command naming its line and column."""
    if not path.is_file():
        fail(f"{option}: {path} does not exist")
    days: list[date] = []
    values: list[float] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            if not {"date", "value"} <= set(reader.fieldnames or []):
                fail(f"{option}: the file needs the columns date and value")
            for number, row in enumerate(reader, start=2):
                days.append(parse_date(f"line {number}, date", row["date"] or ""))
                try:
                    value = float(row["value"] or "")
                except ValueError:
                    value = math.nan
                if not math.isfinite(value):
                    fail(f"line {number}, value: {row['value']!r} is not a number")
                values.append(value)
    except UnicodeDecodeError:
        fail(f"{option}: {path.name} is not UTF-8 text")
    except csv.Error as error:
        fail(f"{option}: {error}")
    return days, values
