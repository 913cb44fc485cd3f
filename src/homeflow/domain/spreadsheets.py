"""Text in spreadsheet cells. Text that starts like a formula (=, +, -, @, a tab or a carriage
return) is run by Excel and LibreOffice when a file is opened, so it is written after an
apostrophe (OWASP's advice on CSV injection)."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    """A cell for text that must read back exactly (`cell_text` undoes it): text starting like
    a formula, or with an apostrophe, is written after an apostrophe."""
    return "'" + text if text.startswith((*FORMULA_STARTS, "'")) else text


def cell_text(cell: str) -> str:
    """The text `text_cell` wrote; a cell it did not escape is read as it is."""
    if cell.startswith("'") and cell[1:].startswith((*FORMULA_STARTS, "'")):
        return cell[1:]
    return cell
