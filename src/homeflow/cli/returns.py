"""Returns and measures: the sitrep, DToC, KPIs, SPC, the census and the weekly report."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from homeflow.cli.app import Commands, app
from homeflow.cli.database import open_database
from homeflow.cli.output import (
    FileFormat,
    OutputFormat,
    console,
    ended_date,
    fail,
    print_rows,
    read_series,
    say,
    warn,
    write_table,
    written_file,
)
from homeflow.domain import clock
from homeflow.domain.clock import parse_date
from homeflow.reports.kpi import Level, Period
from homeflow.reports.spc import Better
from homeflow.store.queries import CENSUS_COLUMNS, census


@app.command("sitrep")
def sitrep_command(
    on: Annotated[str, typer.Option("--date", help="The day reported, YYYY-MM-DD.")],
    out: Annotated[Path, written_file("Where to write the return (NHS England's long format).")],
    org: Annotated[
        str | None, typer.Option(help="One acute trust (ODS code); default all.")
    ] = None,
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="csv or xlsx; default from the file's suffix."),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Write nothing and exit 1 when a patient is delayed with no delay reason or "
            "discharged with no pathway (they are in no group of the return).",
        ),
    ] = False,
) -> None:
    """The daily discharge situation report for a day, in NHS England's long format. Patients
    it cannot count (delayed with no delay reason, discharged with no pathway) are named in a
    warning, with where to see them."""
    from homeflow.reports.sitrep import COLUMNS
    from homeflow.services.returns import sitrep_problem_counts, sitrep_rows

    day = ended_date("--date", on)
    engine = open_database()
    rows = sitrep_rows(engine, day, org)
    if not rows:
        fail(
            f"--org: {org!r} is not an acute trust in the registry"
            if org
            else "no acute trusts in the registry"
        )
    problems = _problems_in_words(sitrep_problem_counts(engine, day, org), day, org)
    if problems:
        warn(problems)
        if strict:
            console.print("error: --strict: the return was not written; correct them first")
            raise typer.Exit(1)
    write_table(out, COLUMNS, [r.as_list() for r in rows], file_format)
    orgs = sorted({r.org_code for r in rows})
    say(f"sitrep for {day.isoformat()}: {len(rows)} rows for {', '.join(orgs)} written to {out}")


def _problems_in_words(found: dict[str, dict[str, list[Any]]], day: date, org: str | None) -> str:
    """How many patients the return leaves out, by problem and trust, and where to see them;
    empty when there are none."""
    parts = []
    for problem in sorted({p for by_problem in found.values() for p in by_problem}):
        counts = {o: len(found[o][problem]) for o in sorted(found) if found[o].get(problem)}
        where = ", ".join(f"{o} {n}" for o, n in counts.items())
        parts.append(f"{sum(counts.values())} {problem.lower()} ({where})")
    if not parts:
        return ""
    page = f"/returns/sitrep?day={day:%d/%m/%Y}" + (f"&org={org}" if org else "")
    return (
        "; ".join(parts)
        + ". They are in no group of the return: record what is missing on their stay. "
        + f"The patients are listed on the sitrep page, {page}"
    )


@app.command("kpi")
def kpi_command(
    name: Annotated[str, typer.Argument(help="The KPI; `homeflow kpi list` names them all.")],
    first: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")] = "",
    last: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = "",
    level: Annotated[Level, typer.Option(help="ward, site, org or system.")] = Level.ORG,
    period: Annotated[Period, typer.Option(help="daily or weekly.")] = Period.DAILY,
    baseline: Annotated[
        str | None,
        typer.Option(help="A day whose period every value is compared with (% change)."),
    ] = None,
    out: Annotated[Path | None, written_file("Where to write it (CSV or .xlsx).")] = None,
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="csv or xlsx; default from the file's suffix."),
    ] = None,
) -> None:
    """A KPI per ward, site, organisation or the system, daily or weekly, against its target."""
    from homeflow.reports.kpi import KPIS
    from homeflow.services.measures import kpi_targets
    from homeflow.services.returns import KPI_COLUMNS, kpi_rows

    if name == "list":
        for kpi in KPIS.values():
            better = f"{kpi.better.value} is better" if kpi.better else "neither is better"
            print(f"{kpi.name:34} {kpi.description} ({better})")
        return
    if not first or not last or out is None:
        fail("--from, --to and --out are required")
    since, until = ended_date("--from", first), ended_date("--to", last)
    against = ended_date("--baseline", baseline) if baseline else None
    rows = kpi_rows(open_database(), name, level, since, until, period, against, kpi_targets())
    write_table(out, KPI_COLUMNS, [[r[c] for c in KPI_COLUMNS] for r in rows], file_format)
    say(f"{name}: {len(rows)} values written to {out}")


report_app = Commands(help="Reports to send round.")
app.add_typer(report_app, name="report")


@report_app.command("weekly")
def report_weekly(
    on: Annotated[str, typer.Option("--date", help="The last day of the week, YYYY-MM-DD.")],
    out: Annotated[Path, written_file("report.html, or report.pdf (printed by Chromium).")],
) -> None:
    """The weekly system report: this week by organisation, and every measure as an SPC chart."""
    from homeflow.publishing.weekly import printer_for, weekly_report, write_report

    day = ended_date("--date", on)
    printer_for(out)  # a wrong --out is refused before the charts are drawn
    with console.status("drawing the charts"):
        html = weekly_report(open_database(), day)
    write_report(html, out)
    say(f"weekly report for the week ending {day.isoformat()} written to {out}")


@app.command()
def dtoc(
    month: Annotated[str, typer.Option(help="The month reported, YYYY-MM.")],
    out: Annotated[Path, written_file("Where to write the return (CSV).")],
    org: Annotated[str | None, typer.Option(help="One provider (ODS code); default all.")] = None,
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="csv or xlsx; default from the file's suffix."),
    ] = None,
) -> None:
    """The monthly delayed transfers of care return for mental-health and community services.
    NHS England stopped collecting it in 2020 (the last was February 2020's): kept to compare
    with the seed era's figures, not to submit (docs/returns.md)."""
    from homeflow.reports.dtoc import COLUMNS
    from homeflow.services.returns import dtoc_rows

    try:
        year, number = (int(part) for part in month.split("-"))
        date(year, number, 1)
    except ValueError:
        fail(f"--month: {month!r} is not a month (YYYY-MM)")
    today = clock.today()
    if (year, number) >= (today.year, today.month):
        fail(f"--month: {month} has not ended yet: a return is of a month that has ended")
    rows = dtoc_rows(open_database(), year, number, org)
    write_table(out, COLUMNS, [r.as_list() for r in rows], file_format)
    total = sum(r.delayed_days for r in rows)
    say(f"DToC return for {month}: {total:,} delayed days in {len(rows)} rows written to {out}")


@app.command()
def spc(
    input_path: Annotated[Path, typer.Option("--input", help="CSV with columns date,value.")],
    out: Annotated[Path, written_file("Where to write the chart's points (CSV).")],
    better: Annotated[Better | None, typer.Option(help="Which direction is improvement.")] = None,
    target: Annotated[
        float | None, typer.Option(help="The target, for the assurance icon.")
    ] = None,
    rebase: Annotated[
        list[str] | None, typer.Option(help="Recalculate limits from this date (repeatable).")
    ] = None,
) -> None:
    """An XmR chart the Making Data Count way: limits, special causes, variation, assurance."""
    from homeflow.reports.spc import spc_chart

    days, values = read_series("--input", input_path)
    changes = [parse_date("--rebase", d) for d in rebase or []]
    chart = spc_chart(days, values, better, target, changes)
    rows = chart.rows()
    write_table(out, list(rows[0]), [list(r.values()) for r in rows], None)
    for warning in chart.warnings:
        warn(warning)
    say(f"latest point: {chart.latest.variation.value}; {chart.assurance.value}")


@app.command("census")
def census_command(
    on: Annotated[
        str | None, typer.Option("--date", help="Day, YYYY-MM-DD (default yesterday).")
    ] = None,
    org: Annotated[
        str | None, typer.Option(help="Only this organisation's wards (ODS code).")
    ] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """One row per ward: beds, occupied, NCTR, stranded at midnight; that day's flows."""
    # A census is the midnight at a day's end: of a day that has ended, yesterday by default.
    day = ended_date("--date", on) if on else clock.today() - timedelta(days=1)
    rows = census(open_database(), day, org)
    if org and not rows:
        fail(f"--org: no wards for organisation {org!r}")
    title = f"Census for {day.isoformat()} (midnight snapshot)"
    print_rows([r.as_dict() for r in rows], CENSUS_COLUMNS, output_format, title)


@app.command("drd")
def drd_command(
    month: Annotated[str, typer.Option(help="The month measured, YYYY-MM.")],
    by: Annotated[str, typer.Option(help="trust, site, ward, icb or council.")] = "trust",
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """The month's discharge ready date measures of the acute trusts, as NHS England
    publishes them (a measure a row, under the publication's names): discharges on their
    ready date and after it, by delay band, with bed-days."""
    from homeflow.reports.drd import LONG_COLUMNS, long_rows
    from homeflow.services.drd import By, drd_month

    # The month is checked before the database is opened: one still going on is refused.
    year, number = clock.ended_month("--month", month, clock.today())
    try:
        grouped = By(by)
    except ValueError:
        fail(f"--by: {by!r} is not one of {', '.join(b.value for b in By)}")
    rows = drd_month(open_database(), year, number, grouped).rows()
    title = f"Discharge ready date measures for {month}, by {grouped.value}"
    print_rows(long_rows(rows), LONG_COLUMNS, output_format, title)
