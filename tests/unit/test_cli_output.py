"""Rows printed for programs: CSV carries the table's columns, JSON every key."""

from __future__ import annotations

import csv
import io
import json

import pytest

from homeflow.cli.output import OutputFormat, print_rows

ROWS = [
    {"side": "needed", "lever": "Gap", "hours_of_gap": 12.5, "field": None},
    {"side": "demand", "lever": "=Referrals", "hours_of_gap": 3.0, "field": "referrals"},
]


def test_csv_has_the_tables_columns_even_when_rows_carry_more(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_rows(ROWS, ("side", "lever", "hours_of_gap"), OutputFormat.CSV, "Tree")
    read = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [list(r) for r in read] == [["side", "lever", "hours_of_gap"]] * 2
    # A cell that a spreadsheet would run as a formula is printed as text.
    assert read[1]["lever"] == "'=Referrals"


def test_json_keeps_every_key(capsys: pytest.CaptureFixture[str]) -> None:
    print_rows(ROWS, ("side",), OutputFormat.JSON, "Tree")
    assert json.loads(capsys.readouterr().out) == ROWS
