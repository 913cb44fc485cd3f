"""Self-assessment sheets: statuses and changes read as the frameworks define them, every
problem named by line and column, and every cell's text back as it was written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeflow.domain.improvement.frameworks import built_in, item_for, read_status
from homeflow.domain.improvement.sheet import (
    REQUIRED,
    SheetProblems,
    SheetRow,
    entries_from_rows,
    header_fields,
    rows_of,
    sheet_columns,
)
from homeflow.domain.spreadsheets import cell_text, text_cell
from homeflow.ingest.assessment_file import read_sheet, write_sheet

HICM = built_in()["hicm-2015"]
DAY = date(2017, 5, 17)


@pytest.mark.parametrize(
    ("cell", "levels", "unknown"),
    [
        ("Established", (3,), ()),
        ("Established/Plans in place", (3, 2), ()),
        ("Plans in Place", (2,), ()),
        ("Plans in place/establish", (2, 3), ()),  # the seed's truncated word
        ("not yet ESTABLISHED", (1,), ()),
        ("Mature or Exemplary", (4, 5), ()),
        ("4", (4,), ()),
        ("Established/partly", (3,), ("partly",)),
        ("Sometimes", (), ("Sometimes",)),
        ("Pla", (), ("Pla",)),  # under four letters: not read as the start of a level
        ("·", (), ()),
        ("", (), ()),
    ],
)
def test_status_cells_name_the_frameworks_levels(
    cell: str, levels: tuple[int, ...], unknown: tuple[str, ...]
) -> None:
    reading = read_status(HICM, cell)
    assert (reading.levels, reading.unknown) == (levels, unknown)


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("Seven Day Services", "5"),
        ("Trusted assessors", "6"),
        ("3", "3"),
        ("3. Multi-disciplinary/multi-agency discharge teams", "3"),
        ("home first / DISCHARGE TO ASSESS", "4"),
        ("Change 8: Enhancing health in care homes", "8"),
        ("Seven days", None),
        ("9", None),
    ],
)
def test_change_cells_name_a_change_by_number_or_title(cell: str, code: str | None) -> None:
    found = item_for(HICM, cell)
    assert (found.code if found else None) == code


def _rows(*cells: tuple[str, str]) -> list[SheetRow]:
    return [
        SheetRow(n, {"change_cell": change, "status": status})
        for n, (change, status) in enumerate(cells, start=2)
    ]


def test_an_empty_change_cell_continues_the_change_above() -> None:
    read = entries_from_rows(
        HICM,
        "QDE",
        DAY,
        _rows(("Trusted assessors", "Established"), ("", "Mature"), ("Focus on choice", "")),
    )
    assert [e.item_code for e in read.entries] == ["6", "6", "7"]
    assert [e.change_cell for e in read.entries] == ["Trusted assessors", "", "Focus on choice"]


def test_unknown_status_words_are_kept_and_flagged() -> None:
    read = entries_from_rows(HICM, "QDE", DAY, _rows(("1", "Established/partly")))
    assert read.entries[0].status == "Established/partly"
    assert read.flags == [
        "line 2, column 'Status': 'partly' is not a maturity level; kept as written"
    ]


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (
            _rows(("", "Established")),
            "line 2, column 'Impact change': the first row must name a change",
        ),
        (
            _rows(("1", ""), ("Flying cars", "")),
            "line 3, column 'Impact change': 'Flying cars' is not a change of hicm-2015",
        ),
        (
            _rows(("1", ""), ("", "Sometimes")),
            "line 3, column 'Status': 'Sometimes' is not a maturity level of hicm-2015",
        ),
    ],
)
def test_bad_rows_are_named_by_line_and_column(rows: list[SheetRow], problem: str) -> None:
    with pytest.raises(SheetProblems) as raised:
        entries_from_rows(HICM, "QDE", DAY, rows)
    assert raised.value.problems[0].startswith(problem)


def test_a_missing_or_unknown_column_is_named() -> None:
    with pytest.raises(SheetProblems) as raised:
        header_fields(
            1,
            ["Impact change", "Where are you now", "Status", "Spread", "Gaps", "When by", "Colour"],
        )
    assert raised.value.problems == [
        "line 1, column 7 'Colour': not a column of the sheet",
        "line 1, column 'What needs to be done': is missing",
    ]


@given(st.text())
def test_text_cells_read_back_as_written(text: str) -> None:
    assert cell_text(text_cell(text)) == text
    assert not text_cell(text).startswith(("=", "+", "-", "@"))


# Excel cells hold no control characters but tab and line breaks (openpyxl refuses them).
sheet_text = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\r",
    ),
    max_size=30,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.lists(st.tuples(*[sheet_text] * 6), min_size=1, max_size=5),
    suffix=st.sampled_from([".csv", ".xlsx"]),
)
def test_a_sheet_written_reads_back_cell_for_cell(
    tmp_path: Path, cells: list[tuple[str, ...]], suffix: str
) -> None:
    # A row of blank cells is not part of the table, so it is not expected back.
    written = [["1", *row] for row in cells if any(c.strip() for c in row)]
    path = tmp_path / f"sheet{suffix}"
    write_sheet(path, list(REQUIRED), written)
    fields, read = read_sheet(path)
    assert fields == list(REQUIRED)
    assert [[r.cells[f] for f in REQUIRED] for r in read] == written
    if suffix == ".xlsx":
        # A workbook holds the text itself, typed as text: no escape, nothing run as a formula.
        from openpyxl import load_workbook

        sheet = load_workbook(path).worksheets[0]
        cells = [[c.value or "" for c in row] for row in sheet.iter_rows(min_row=2)]
        assert [row for row in cells if any(v.strip() for v in row)] == written
        assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)


def test_the_seed_sheet_reads_and_writes_back_unchanged(tmp_path: Path) -> None:
    seed = Path(__file__).parents[2] / "src/homeflow/demo/llr_assessment_2017.csv"
    fields, rows = read_sheet(seed)
    read = entries_from_rows(HICM, "QDE", DAY, rows)
    assert len(read.entries) == 77
    assert [e.item_code for e in read.entries].count("5") == 13  # seed lines 59-70 and 72
    columns = sheet_columns(read.entries)
    assert columns == fields
    out = tmp_path / "again.csv"
    write_sheet(out, columns, rows_of(HICM, read.entries, columns))
    assert out.read_bytes() == seed.read_bytes()
