"""Use cases of the improvement programme that join a file with the record."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine

from homeflow.domain.improvement.assessment import AssessmentKey
from homeflow.domain.improvement.sheet import ReadSheet, entries_from_rows
from homeflow.ingest.assessment_file import read_sheet
from homeflow.store import collaborative
from homeflow.store import improvement as store
from homeflow.store.access.scope import Viewer
from homeflow.store.actions import save_action

# The worked example: Leicester, Leicestershire and Rutland's assessment against the 2015
# High Impact Changes, May 2017 (seed 002, by scripts/assessment_from_seed.py).
EXAMPLE_SHEET = "llr_assessment_2017.csv"
EXAMPLE_DATE = date(2017, 5, 17)


def import_sheet(
    engine: Engine,
    path: Path,
    framework: str,
    system: str,
    day: date,
    recorded_by: str | None,
    source: str = "assessment-import",
    viewer: Viewer | None = None,
) -> tuple[ReadSheet, store.Saved]:
    """A sheet becomes the assessment of that date; nothing is stored unless every row reads.
    A signed-in `viewer` must keep the system's records, and the import is audited."""
    with engine.connect() as conn:
        chosen = store.framework_named(conn, framework, "--framework")
        store.check_system(conn, system, "--system")
    _, rows = read_sheet(path)
    read = entries_from_rows(chosen, system, day, rows)
    key = AssessmentKey(system, chosen.name, day)
    saved = store.save_entries(
        engine, key, read.entries, recorded_by, source, replace=True, viewer=viewer
    )
    return read, saved


def demo_programme(engine: Engine, system: str, end: date) -> None:
    """The demo's improvement programme: the worked example, the self-assessments either side
    of the integrated discharge team's start, its project and PDSA cycles."""
    from homeflow.demo import improvement as demo
    from homeflow.services import projects

    import_example(engine, system)
    for entry in demo.assessment_entries(end):
        key = AssessmentKey(entry.system, entry.framework, entry.assessed_on)
        store.save_entries(engine, key, [entry], None, "demo")
    projects.record(engine, [demo.project(end), *demo.pdsas(end)], None, "demo")
    for action in demo.actions(end):
        save_action(engine, action, None, None, "demo")
    for item in demo.collaborative(end):
        collaborative.save(engine, item, None, None, "demo")


def import_example(engine: Engine, system: str) -> store.Saved:
    """The worked example, as `system`'s assessment of its date."""
    sheet = resources.files("homeflow.demo").joinpath(EXAMPLE_SHEET)
    with resources.as_file(sheet) as path:
        _, saved = import_sheet(engine, path, "hicm-2015", system, EXAMPLE_DATE, None, "demo")
    return saved
