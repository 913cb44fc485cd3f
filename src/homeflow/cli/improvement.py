"""The improvement programme: frameworks and self-assessments."""

from __future__ import annotations

import csv
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from homeflow.cli.app import Commands, app
from homeflow.cli.database import open_database
from homeflow.cli.output import (
    OutputFormat,
    ended_date,
    fail,
    print_rows,
    read_series,
    say,
    warn,
    written_file,
)
from homeflow.domain import clock
from homeflow.domain.clock import parse_date
from homeflow.domain.improvement.assessment import AssessmentKey, standing_entries
from homeflow.domain.improvement.frameworks import check_name
from homeflow.domain.improvement.records import FrameworkDefined
from homeflow.domain.improvement.sheet import rows_of, sheet_columns
from homeflow.reports.spc import Better
from homeflow.store import db
from homeflow.store import improvement as store

assessment_app = Commands(help="Self-assessments against a framework's changes or tips.")
framework_app = Commands(help="The frameworks assessments are made against.")
app.add_typer(assessment_app, name="assessment")
app.add_typer(framework_app, name="framework")

SHEET_SUFFIXES = (".csv", ".xlsx")


def _sheet_path(option: str, path: Path) -> None:
    if path.suffix.lower() not in SHEET_SUFFIXES:
        fail(f"{option}: {path.name} is neither a .csv nor a .xlsx file")


@assessment_app.command("import")
def assessment_import(
    path: Annotated[Path, typer.Argument(help="The sheet, .csv or .xlsx.", show_default=False)],
    framework: Annotated[str, typer.Option(help="The framework's short name, e.g. hicm-2015.")],
    system: Annotated[str, typer.Option(help="The system (or organisation) code.")],
    on: Annotated[str, typer.Option("--date", help="The assessment's date, YYYY-MM-DD.")],
) -> None:
    """Read a self-assessment sheet; it becomes the assessment of that date (rows no longer in
    it are removed, earlier versions are kept). Nothing is stored unless every row reads."""
    from homeflow.services.improvement import import_sheet

    day = parse_date("--date", on)
    _sheet_path("FILE", path)
    if not path.is_file():
        fail(f"FILE: {path} does not exist")
    read, saved = import_sheet(open_database(), path, framework, system, day, None)
    for flag in read.flags:
        warn(flag)
    say(
        f"{len(read.entries)} entries: {len(saved.added)} added, {len(saved.changed)} changed, "
        f"{len(saved.removed)} removed, {saved.unchanged} unchanged"
    )


@assessment_app.command("export")
def assessment_export(
    framework: Annotated[str, typer.Option(help="The framework's short name.")],
    system: Annotated[str, typer.Option(help="The system (or organisation) code.")],
    on: Annotated[str, typer.Option("--date", help="The assessment's date, YYYY-MM-DD.")],
    out: Annotated[Path, written_file("The sheet to write, .csv or .xlsx.")],
) -> None:
    """Write an assessment as the sheet it was kept in."""
    from homeflow.ingest.assessment_file import write_sheet

    day = parse_date("--date", on)
    _sheet_path("--out", out)
    with db.reading(open_database()) as conn:
        chosen = store.framework_named(conn, framework, "--framework")
        histories = store.assessments(conn).get(AssessmentKey(system, chosen.name, day))
    if not histories:
        fail(f"--date: {system} has no {chosen.name} assessment on {day.isoformat()}")
    entries = standing_entries(histories)
    columns = sheet_columns(entries)
    try:
        write_sheet(out, columns, rows_of(chosen, entries, columns))
    except OSError as error:
        fail(f"--out: cannot write {out}: {error.strerror}")
    say(f"{len(entries)} entries written to {out}")


@assessment_app.command("list")
def assessment_list(
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Every assessment stored: system, framework, date and how many entries."""
    engine = open_database()
    with db.reading(engine) as conn:
        found = store.assessments(conn)
    rows = [
        {
            "system": key.system,
            "framework": key.framework,
            "date": key.assessed_on.isoformat(),
            "entries": len(standing_entries(histories)),
        }
        for key, histories in sorted(found.items())
    ]
    print_rows(rows, ["system", "framework", "date", "entries"], output_format, "Assessments")


@framework_app.command("list")
def framework_list(
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """The frameworks: the national ones and each system's own."""
    engine = open_database()
    with db.reading(engine) as conn:
        found = store.frameworks(conn)
    rows = [
        {
            "name": f.name,
            "title": f.title,
            "version": f.version,
            "items": len(f.items),
            "local": f.local,
        }
        for f in found.values()
    ]
    print_rows(rows, ["name", "title", "version", "items", "local"], output_format, "Frameworks")


@framework_app.command("add")
def framework_add(
    name: Annotated[
        str, typer.Argument(help="A short name, e.g. qde-mh-tips.", show_default=False)
    ],
    tips: Annotated[Path, typer.Option(help="A CSV with a 'tip' column, one tip a row, in order.")],
    system: Annotated[str, typer.Option(help="The system whose framework it is.")],
    title: Annotated[str, typer.Option(help="What the framework is called.")],
    version: Annotated[str, typer.Option(help="Its version, e.g. the date it was agreed.")] = "1",
) -> None:
    """Add a system's own locally agreed tips as a framework (the same name again replaces them)."""
    if not tips.is_file():
        fail(f"--tips: {tips} does not exist")
    check_name("NAME", name)
    try:
        with tips.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            if "tip" not in (reader.fieldnames or []):
                fail(f"--tips: {tips.name} has no 'tip' column")
            written = [row["tip"] or "" for row in reader]
    except UnicodeDecodeError:
        fail(f"--tips: {tips.name} is not UTF-8 text")
    except csv.Error as problem:
        fail(f"--tips: {problem}")
    framework = FrameworkDefined(system, name, title, version, tuple(w.strip() for w in written))
    engine = open_database()
    with engine.connect() as conn:
        store.check_system(conn, system, "--system")
    store.define_framework(engine, framework, None)
    say(f"framework {name}: {len(written)} tips")


pdsa_app = Commands(help="PDSA cycles of the improvement projects, each studied on its chart.")
app.add_typer(pdsa_app, name="pdsa")

PDSA_COLUMNS = [
    "system",
    "project",
    "pdsa",
    "place",
    "kpi",
    "measure",
    "change_date",
    "prediction",
    "verdict",
    "points_needed",
    "prediction_held",
    "baseline_mean",
    "after_mean",
    "decision",
]


@pdsa_app.command("list")
def pdsa_list(
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
    on: Annotated[
        str | None,
        typer.Option("--date", help="Study up to this day, YYYY-MM-DD (default yesterday)."),
    ] = None,
) -> None:
    """Each PDSA with its place, measure, change date, prediction, verdict and decision. The
    verdict is computed from the measure's weekly SPC chart, judged against the weeks before
    the change."""
    from homeflow.services.projects import pdsa_rows

    day = ended_date("--date", on) if on else clock.today() - timedelta(days=1)
    engine = open_database()
    # The CSV has the table's columns, as documented; the JSON every field of a cycle.
    print_rows(pdsa_rows(engine, day), PDSA_COLUMNS, output_format, "PDSA cycles")


class SmartLevel(StrEnum):
    ORG = "org"
    SITE = "site"


@app.command("smart-list")
def smart_list_command(
    on: Annotated[str, typer.Option("--date", help="As at this day, YYYY-MM-DD.")],
    level: Annotated[
        SmartLevel, typer.Option(help="Rank organisations or sites.")
    ] = SmartLevel.ORG,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Places ranked by where support is needed (segment 4 the most), each with its reasons,
    from its weekly measures, overdue actions and self-assessment gaps; a segment a person
    set is shown with its reason."""
    from homeflow.domain.privacy import Role
    from homeflow.reports.kpi import Level
    from homeflow.services.smart_list import smart_list
    from homeflow.store.access.scope import Viewer

    day = parse_date("--date", on)  # as at a day: up to today, from the weeks ended before it
    if day > clock.today():
        fail(f"--date: {on} has not come yet: the latest is today")
    engine = open_database()
    # At the command line the operator reads the whole system, as an analyst of no one trust.
    viewer = Viewer("cli", "-", Role.ANALYST, "cli")
    rows = [
        {
            "rank": row.rank,
            "place": row.computed.place,
            "segment": row.segment,
            "computed_segment": row.computed.segment,
            "score": row.computed.score,
            "set_by": row.overridden_by or "",
            "set_because": row.override.reason if row.override else "",
            "reasons": "; ".join(row.computed.reasons),
        }
        for row in smart_list(engine, viewer, day, Level(level.value))
    ]
    print_rows(rows, SMART_COLUMNS, output_format, f"Smart list, {level.value}s, {day:%d/%m/%Y}")


SMART_COLUMNS = [
    "rank",
    "place",
    "segment",
    "computed_segment",
    "score",
    "set_by",
    "set_because",
    "reasons",
]


series_app = Commands(help="Manual series: measures homeflow does not compute.")
app.add_typer(series_app, name="series")


@series_app.command("import")
def series_import(
    path: Annotated[Path, typer.Argument(help="CSV with columns date,value.", show_default=False)],
    series_id: Annotated[str, typer.Option("--id", help="A short id, e.g. falls-audit.")],
    system: Annotated[str, typer.Option(help="The system whose series it is.")],
    title: Annotated[str, typer.Option(help="What it measures.")],
    better: Annotated[Better, typer.Option(help="Which direction is improvement.")],
    unit: Annotated[str, typer.Option(help="Its unit, e.g. %.")] = "",
) -> None:
    """Keep a manual series (the file's points replace the series' earlier ones; every version
    is kept). A project or PDSA follows it as KPI "manual", level "series", place its id."""
    from homeflow.domain.improvement.series import ManualSeriesRecorded, point_text
    from homeflow.store.projects import save_series

    days, values = read_series("FILE", path)
    series = ManualSeriesRecorded(
        system,
        series_id,
        title,
        better,
        tuple(point_text(d, v) for d, v in zip(days, values, strict=True)),
        unit,
    )
    engine = open_database()
    with engine.connect() as conn:
        store.check_system(conn, system, "--system")
    saved = save_series(engine, series, None, None, "series-import")
    say(f"series {series_id}: {len(days)} points" + ("" if saved else " (unchanged)"))
