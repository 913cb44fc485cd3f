"""Self-assessments through the real command: the seed's sheet imports, exports unchanged as
CSV and as XLSX, and bad sheets are refused by line and column with nothing stored changed."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ENGINES, fresh_database, url_of
from tests.support import homeflow

SEED = Path(__file__).parents[2] / "src/homeflow/demo/llr_assessment_2017.csv"
KEY = ["--framework", "hicm-2015", "--system", "QDE", "--date", "2017-05-17"]


@pytest.fixture
def registry_url(database_url: str) -> str:
    done = homeflow(database_url, "registry", "load-demo")
    assert done.returncode == 0, done.stderr
    return database_url


@pytest.fixture(scope="module", params=ENGINES)
def imported_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database holding the seed's assessment, which the bad sheets below must not change."""
    with fresh_database(request.param, tmp_path_factory.mktemp("assessments")) as engine:
        url = url_of(engine)
        assert homeflow(url, "registry", "load-demo").returncode == 0
        assert homeflow(url, "assessment", "import", str(SEED), *KEY).returncode == 0
        yield url


def listed(url: str) -> str:
    done = homeflow(url, "assessment", "list", "--format", "csv")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_seed_sheet_imports_and_exports_unchanged(registry_url: str, tmp_path: Path) -> None:
    done = homeflow(registry_url, "assessment", "import", str(SEED), *KEY)
    assert done.returncode == 0, done.stderr
    assert "77 entries: 77 added" in done.stderr
    assert listed(registry_url).splitlines()[1] == "QDE,hicm-2015,2017-05-17,77"

    as_csv, as_xlsx = tmp_path / "out.csv", tmp_path / "out.xlsx"
    for out in (as_csv, as_xlsx):
        done = homeflow(registry_url, "assessment", "export", *KEY, "--out", str(out))
        assert done.returncode == 0, done.stderr
    assert as_csv.read_bytes() == SEED.read_bytes()
    again = homeflow(registry_url, "assessment", "import", str(as_xlsx), *KEY)
    assert again.returncode == 0, again.stderr
    assert "0 added, 0 changed, 0 removed, 77 unchanged" in again.stderr

    # A sheet with a row changed and two gone: the assessment becomes the sheet, and the
    # sheet it was reads back from the versions kept.
    lines = SEED.read_bytes().decode("utf-8").splitlines(keepends=True)
    edited = tmp_path / "edited.csv"
    edited.write_bytes(
        "".join([lines[0], lines[1].replace(",,UHL,", ",Mature,UHL,"), *lines[2:-2]]).encode()
    )
    done = homeflow(registry_url, "assessment", "import", str(edited), *KEY)
    assert done.returncode == 0, done.stderr
    assert "75 entries: 0 added, 1 changed, 2 removed, 74 unchanged" in done.stderr
    homeflow(registry_url, "assessment", "export", *KEY, "--out", str(as_csv))
    assert as_csv.read_bytes() == edited.read_bytes()


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "broken.csv"
    path.write_text(SEED.read_text("utf-8").replace(old, new, 1), "utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "options", "problem"),
    [
        (
            ("When by", "Deadline"),
            KEY,
            "line 1, column 7 'Deadline': not a column of the sheet; line 1, column 'When by': is missing",
        ),
        (
            ("Established,UHL,Social", "Sometimes,UHL,Social"),
            KEY,
            "line 4, column 'Status': 'Sometimes' is not a maturity level of hicm-2015",
        ),
        (
            ("Seven Day Services", "Seven Dwarves"),
            KEY,
            "line 50, column 'Impact change': 'Seven Dwarves' is not a change of hicm-2015",
        ),
        (None, [*KEY[:1], "hicm-1999", *KEY[2:]], "--framework: 'hicm-1999' is not a framework"),
        (
            None,
            [*KEY[:4], "--date", "17/05/2017"],
            "--date: '17/05/2017' is not a date (YYYY-MM-DD)",
        ),
        (
            None,
            [*KEY[:2], "--system", "ZZZ", *KEY[4:]],
            "--system: 'ZZZ' is not an organisation in the registry",
        ),
    ],
)
def test_a_bad_sheet_is_refused_by_line_and_column_and_nothing_changes(
    imported_url: str,
    tmp_path: Path,
    change: tuple[str, str] | None,
    options: list[str],
    problem: str,
) -> None:
    before = listed(imported_url)
    path = _broken(tmp_path, *change) if change else shutil.copy(SEED, tmp_path / "seed.csv")
    done = homeflow(imported_url, "assessment", "import", str(path), *options)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert problem in done.stderr
    assert listed(imported_url) == before


def oversized_sheets(folder: Path) -> list[tuple[Path, str]]:
    """Sheets past each limit, with what the refusal must say: one more row than allowed (as
    CSV and as a workbook, whose rows compress), and a file over the size allowed."""
    from homeflow.domain.improvement.sheet import REQUIRED
    from homeflow.ingest.assessment_file import MAX_SHEET_BYTES, MAX_SHEET_ROWS, write_sheet

    lines = SEED.read_text("utf-8").splitlines()
    row = lines[3]  # a row with every cell filled in
    too_many = folder / "too-many.csv"
    too_many.write_text("\n".join([lines[0], *[row] * (MAX_SHEET_ROWS + 1)]) + "\n", "utf-8")
    workbook = folder / "too-many.xlsx"
    cells = next(csv.reader([row]))
    write_sheet(workbook, REQUIRED, [cells] * (MAX_SHEET_ROWS + 1))
    too_big = folder / "too-big.csv"
    gaps = "x" * (MAX_SHEET_BYTES // 10)
    big_rows = [row.replace("Social Care", gaps, 1)] * 11
    too_big.write_text("\n".join([lines[0], *big_rows]) + "\n", "utf-8")
    limit = f"a sheet may have {MAX_SHEET_ROWS:,} rows at most"
    return [
        (too_many, f"file: line {MAX_SHEET_ROWS + 2}: {limit}"),
        (workbook, f"file: line {MAX_SHEET_ROWS + 2}: {limit}"),
        (too_big, f"bytes: a sheet may be {MAX_SHEET_BYTES:,} at most"),
    ]


def test_a_sheet_past_the_row_or_size_limit_is_refused_and_nothing_changes(
    imported_url: str, tmp_path: Path
) -> None:
    """A 400 KB sheet became 20,000 events in one request: now refused, naming the line."""
    before = listed(imported_url)
    for path, problem in oversized_sheets(tmp_path):
        done = homeflow(imported_url, "assessment", "import", str(path), *KEY)
        assert done.returncode == 2, (path.name, done.stderr)
        assert problem in done.stderr, (path.name, done.stderr)
    assert listed(imported_url) == before
