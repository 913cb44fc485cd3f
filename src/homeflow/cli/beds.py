"""Beds on a site: `homeflow beds requests` lists who is waiting for a bed and how long."""

from __future__ import annotations

from typing import Annotated

import typer

from homeflow.cli.app import Commands, app
from homeflow.cli.database import open_database
from homeflow.cli.output import OutputFormat, print_rows
from homeflow.domain import clock
from homeflow.domain.organisations import check_ods_code

beds_app = Commands(help="Beds on a site: who is waiting for one.", no_args_is_help=True)
app.add_typer(beds_app, name="beds")


@beds_app.command("requests")
def requests_command(
    site: Annotated[str, typer.Option(help="The site's code, as in the registry.")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """A row per bed request still waiting on the site (a bed allocated or not): the patient,
    the specialty, their needs, the decision to admit and how long they have waited, with the
    4- and 12-hour marks, longest wait first."""
    from homeflow.services.bed_requests import REQUEST_COLUMNS, waiting_rows

    check_ods_code("--site", site)
    rows = waiting_rows(open_database(), site, clock.now())
    print_rows(rows, REQUEST_COLUMNS, output_format, f"Waiting for a bed at {site}")
