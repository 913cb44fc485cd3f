"""Cells for spreadsheets. Text that starts like a formula (=, +, -, @, a tab or a carriage
return) is run by Excel and LibreOffice when the file is opened; every CSV and workbook homeflow
writes passes its cells through `spreadsheet_safe`, which keeps such text as typed by putting an
apostrophe before it (OWASP's advice on CSV injection). Numbers are left alone."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from homeflow.domain.spreadsheets import FORMULA_STARTS


def spreadsheet_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [spreadsheet_safe(v) for v in values]
