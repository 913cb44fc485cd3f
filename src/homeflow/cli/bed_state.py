"""`homeflow beds state`: every bed of a site and its state, now or at an earlier time."""

from __future__ import annotations

from typing import Annotated

import typer

from homeflow.cli.beds import beds_app
from homeflow.cli.database import open_database
from homeflow.cli.output import OutputFormat, print_rows
from homeflow.domain import clock
from homeflow.domain.organisations import check_ods_code


@beds_app.command("state")
def state_command(
    site: Annotated[str, typer.Option(help="The site's code, as in the registry.")],
    at: Annotated[
        str | None,
        typer.Option(
            help="As at this time, YYYY-MM-DDTHH:MM local time (YYYY-MM-DD: the end of that "
            "day), not later than now; now when not given."
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """A row per bed of the site: its ward, the bed, its state (occupied, free and clean,
    awaiting cleaning, closed, isolated, reserved), since when, and why a closed bed is."""
    from homeflow.services.bed_state import STATE_COLUMNS, read_instant, site_beds, state_rows

    check_ods_code("--site", site)
    now = clock.now()
    instant = now if at is None else read_instant("--at", at, now)
    rows = state_rows(site_beds(open_database(), site, instant, "--site"))
    print_rows(rows, STATE_COLUMNS, output_format, f"Beds at {site}")
