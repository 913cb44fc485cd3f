"""`homeflow opel`: the integrated OPEL score of a day, and `homeflow opel submit FILE`, the
values providers enter, fed as a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from homeflow.cli.app import Commands, app
from homeflow.cli.database import open_database
from homeflow.cli.output import OutputFormat, ended_date, fail, print_rows, say

opel_app = Commands(
    help="The integrated OPEL score: providers' parameters, levels and the system's roll-up.",
    invoke_without_command=True,
)
app.add_typer(opel_app, name="opel")


@opel_app.callback()
def opel_command(
    ctx: typer.Context,
    on: Annotated[
        str, typer.Option("--date", help="The day, YYYY-MM-DD: the midnight at its end.")
    ] = "",
    org: Annotated[str | None, typer.Option(help="One provider (ODS code); default all.")] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """Each provider's OPEL parameters, points, score and level, and each system's score, for
    a day that has ended."""
    if ctx.invoked_subcommand is not None:
        return
    from homeflow.services.opel import COLUMNS, configured_parameters, opel_day, opel_rows

    if not on:
        fail("--date is required")
    day = ended_date("--date", on)
    systems = opel_day(open_database(), day, configured_parameters(), org)
    if not systems:
        fail(f"--org: {org!r} is not a provider in the registry" if org else "no providers")
    print_rows(opel_rows(systems, org), COLUMNS, output_format, f"OPEL on {day:%d/%m/%Y}")


@opel_app.command("submit")
def opel_submit(
    path: Annotated[
        Path,
        typer.Argument(help="CSV (org_code,date,parameter,value) or JSON (a list of objects)."),
    ],
    source: Annotated[str, typer.Option(help="Names the values' feed.")] = "opel-file",
) -> None:
    """Take in providers' entered OPEL parameters (ambulance handovers, ED waits, ...)."""
    from homeflow.services.opel import take_in_opel

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"FILE: cannot read {path}: {getattr(error, 'strerror', None) or error}")
    stored = take_in_opel(open_database(), text, path.suffix.lower() == ".json", source)
    say(f"stored: {stored} OPEL values")
