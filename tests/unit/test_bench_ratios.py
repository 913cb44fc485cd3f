"""`make bench` names a ratio more than a fifth worse than the last recorded in
docs/performance.md (bench/ratios.py): reading the benchmarks' lines and the doc's table."""

from __future__ import annotations

from pathlib import Path

from bench import ratios

DOC = Path(__file__).resolve().parents[2] / "docs" / "performance.md"


def test_a_benchmarks_ratio_lines_are_read_and_other_lines_are_not(capsys) -> None:  # type: ignore[no-untyped-def]
    ratios.report("simulation homeflow / SimPy, 1 core", 251.26)
    ratios.report("sitrep / bare read of its events", 3.2, "lower")
    print("on 1 core: homeflow is 251x SimPy")
    found = ratios.measured(capsys.readouterr().out)
    assert found == {
        "simulation homeflow / SimPy, 1 core": (251.3, "higher"),
        "sitrep / bare read of its events": (3.2, "lower"),
    }


def test_the_last_row_recorded_for_a_ratio_is_the_one_compared(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(
        "| ratio | better | value | date | command |\n|---|---|---|---|---|\n"
        "| sitrep / bare read | lower | 3.5 | 2026-12-01 | `make bench` |\n"
        "| sitrep / bare read | lower | 3.1 | 2026-12-06 | `make bench` |\n",
        "utf-8",
    )
    assert ratios.recorded(doc) == {"sitrep / bare read": (3.1, "lower", "2026-12-06")}


def test_more_than_a_fifth_worse_either_way_is_named_and_no_more() -> None:
    assert ratios.fallen(199, 250, "higher") and not ratios.fallen(201, 250, "higher")
    assert ratios.fallen(4.0, 3.19, "lower") and not ratios.fallen(3.9, 3.2, "lower")


def test_every_ratio_the_doc_records_says_which_way_is_better() -> None:
    recorded = ratios.recorded(DOC)
    assert "simulation homeflow / SimPy, 1 core" in recorded
    assert all(better in ("higher", "lower") for _, better, _ in recorded.values())
