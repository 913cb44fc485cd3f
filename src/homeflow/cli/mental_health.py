"""Mental health delayed discharges: the monthly delayed days by provider or local authority,
and periods taken in from a trust's MHSDS extract (CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from homeflow.cli.app import app
from homeflow.cli.database import open_database
from homeflow.cli.feeds import ingest_app
from homeflow.cli.output import OutputFormat, fail, print_rows, say
from homeflow.domain import clock


@app.command("mh-delays")
def mh_delays_command(
    month: Annotated[str, typer.Option(help="The month, YYYY-MM (one that has ended).")],
    by: Annotated[str, typer.Option(help="provider, or council (local authority).")] = "provider",
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """Mental health delayed discharges: days patients clinically ready for discharge spent in
    a mental-health bed in a month (MHSDS v6 periods), by provider or by local authority of
    residence, as NHS England publishes them."""
    from homeflow.reports.mh_delays import COLUMNS
    from homeflow.services.mh_delays import by_named, ended_month, mh_delays

    first, last = ended_month("--month", month, clock.today())
    breakdown = by_named("--by", by)
    rows = mh_delays(open_database(), first, last, breakdown)
    print_rows(
        [dict(zip(COLUMNS, r.as_list(), strict=True)) for r in rows],
        COLUMNS,
        output_format,
        f"Mental health delayed days, {first:%B %Y}, by {by}",
    )


@ingest_app.command("mh-delays")
def ingest_mh_delays(
    path: Annotated[Path, typer.Argument(help="The periods CSV (an MHSDS MHS518 extract).")],
    source: Annotated[str, typer.Option(help="Names the feed in the log.")] = "csv-mh-delays",
) -> None:
    """Take in mental health delayed discharge periods from CSV: all rows, or none."""
    from homeflow.ingest.mh_delays_csv import receive_periods

    if not path.is_file():
        fail(f"FILE: {path} does not exist")
    counts = receive_periods(open_database(), path.read_text("utf-8-sig"), source)
    say(", ".join(f"{n} {what}" for what, n in counts.items()))
