"""Self-assessment sheets from CSV and Excel files, and back.

Rows before the heading row (a title, "Updated: May 17") and rows with every cell blank are
not part of the table; every other cell is read as text, exactly as written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

from homeflow.domain.errors import InvalidInput
from homeflow.domain.improvement.sheet import SheetRow, column_of, header_fields, heading
from homeflow.domain.spreadsheets import cell_text, text_cell

# How far down a sheet its heading row may be.
HEADING_SEARCH_ROWS = 10
# A self-assessment has a row a change (or tip) and a few notes: the largest framework has a
# few dozen. Far past that is not an assessment, and each row becomes an event stored in one
# request, so a sheet is refused, before anything is stored, beyond these.
MAX_SHEET_ROWS = 1_000
MAX_SHEET_BYTES = 512 * 1024
# Blank rows are skipped, but a workbook compresses millions of them into a few kilobytes.
MAX_SHEET_LINES = 100_000


def read_sheet(path: Path) -> tuple[list[str], list[SheetRow]]:
    """The fields of the sheet's columns and its rows of text."""
    workbook = path.suffix.lower() == ".xlsx"
    size = path.stat().st_size
    if size > MAX_SHEET_BYTES:
        raise InvalidInput(
            "file", f"{path.name} is {size:,} bytes: a sheet may be {MAX_SHEET_BYTES:,} at most"
        )
    lines = _bounded(_xlsx_lines(path) if workbook else _csv_lines(path))
    # A CSV escapes text that would run as a formula (`text_cell`); a workbook's cells are typed
    # as text and need no escape.
    read = (lambda cell: cell) if workbook else cell_text
    start = _heading_row(lines)
    if start is None:
        raise InvalidInput("file", f"{path.name} has no rows")
    line, header = lines[start]
    fields = header_fields(line, header)
    rows: list[SheetRow] = []
    for number, cells in lines[start + 1 :]:
        if not any(c.strip() for c in cells):
            continue
        if len(rows) == MAX_SHEET_ROWS:
            raise InvalidInput(
                "file", f"line {number}: a sheet may have {MAX_SHEET_ROWS:,} rows at most"
            )
        if len(cells) > len(fields) and any(c.strip() for c in cells[len(fields) :]):
            raise InvalidInput(
                "file", f"line {number}: has more cells than the heading row has columns"
            )
        rows.append(
            SheetRow(number, {f: read(c) for f, c in zip(fields, cells, strict=False) if f})
        )
    return [f for f in fields if f], rows


def _bounded(lines: Iterator[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """The sheet's lines, read no further than the heading's place and the row limit allow
    (a workbook's rows are compressed: its size alone does not bound them)."""
    kept, filled = [], 0
    for read, (number, cells) in enumerate(lines):
        filled += any(c.strip() for c in cells)
        if filled > HEADING_SEARCH_ROWS + MAX_SHEET_ROWS:
            raise InvalidInput(
                "file", f"line {number}: a sheet may have {MAX_SHEET_ROWS:,} rows at most"
            )
        if read >= MAX_SHEET_LINES:
            raise InvalidInput(
                "file", f"line {number}: a sheet may have {MAX_SHEET_LINES:,} lines at most"
            )
        kept.append((number, cells))
    return kept


def _heading_row(lines: Sequence[tuple[int, list[str]]]) -> int | None:
    """The first row with the "Where are you now" and "Status" headings; failing that, the
    first row with anything in it (whose missing columns are then named)."""
    first = None
    for index, (_, cells) in enumerate(lines[:HEADING_SEARCH_ROWS]):
        named = {column_of(c) for c in cells}
        if {"where_now", "status"} <= named:
            return index
        if first is None and any(c.strip() for c in cells):
            first = index
    return first


def _csv_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput("file", f"{path.name} is not UTF-8 text (byte {error.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as error:
        raise InvalidInput("file", f"line {reader.line_num}: {error}") from None


def _xlsx_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise InvalidInput("file", f"{path.name} is not an Excel workbook: {error}") from None
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_text(v) for v in values]
    finally:
        book.close()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_sheet(path: Path, fields: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """The sheet as CSV or, for a .xlsx name, an Excel workbook, every cell as text."""
    header = [heading(f) for f in fields]
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Assessment")
        for row in [header, *rows]:
            typed = []
            for text in row:
                cell = WriteOnlyCell(sheet, value=text)
                cell.data_type = "s"  # text, never a formula, whatever it starts with
                typed.append(cell)
            sheet.append(typed)
        book.save(path)
        return
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *([text_cell(c) for c in row] for row in rows)])
