"""Turn the Leicester, Leicestershire and Rutland High Impact Change self-assessment (May 2017,
seed 002, text extracted from its PDF) into the sheet `homeflow assessment import` reads.

Run: .venv/bin/python scripts/assessment_from_seed.py \
       examples/seeds/002-llr-high-impact-changes-2017.txt src/homeflow/demo/llr_assessment_2017.csv

Every cell is copied as the seed has it, with the repairs the PDF's extraction needs, each
listed below: the title lines and blank lines go, a row whose empty first cell the
extraction dropped gets it back, and the change column gets the four change titles the
extraction lost and loses three fragments of neighbouring cells it picked up.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HEADING = "Impact change"
COLUMNS = 7
# Seed line: the change whose rows start there, where the extraction lost the merged cell's
# title (the rows are the ones the 2015 model puts under that change).
LOST_TITLES = {
    5: "Early discharge planning",
    35: "Multi-disciplinary/multi-agency discharge teams",
    46: "Home first / discharge to assess",
    84: "Enhancing health in care homes",
}
# Seed lines whose change cell holds words of the cells beside it, not a change.
FRAGMENTS = {60, 68, 83}


def convert(seed: str) -> list[list[str]]:
    lines = seed.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(HEADING + "\t"))
    rows = [lines[start].split("\t")]
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        cells = line.split("\t")
        if not any(c.strip() for c in cells):
            continue
        if len(cells) == COLUMNS - 1:
            cells = ["", *cells]
        if len(cells) != COLUMNS:
            raise SystemExit(f"seed line {number}: {len(cells)} cells, expected {COLUMNS}")
        if number in LOST_TITLES:
            assert not cells[0].strip(), f"seed line {number} already names a change"
            cells[0] = LOST_TITLES[number]
        if number in FRAGMENTS:
            cells[0] = ""
        rows.append(cells)
    return rows


def main(seed: Path, out: Path) -> None:
    with out.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(convert(seed.read_text("utf-8")))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
