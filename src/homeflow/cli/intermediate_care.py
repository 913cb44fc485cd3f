"""The weekly intermediate care return (the Intermediate Care Data Collection)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from homeflow.cli.app import app
from homeflow.cli.database import open_database
from homeflow.cli.output import FileFormat, ended_date, fail, say, warn, write_table, written_file


@app.command("ic-return")
def ic_return_command(
    week_ending: Annotated[
        str, typer.Option("--week-ending", help="The Sunday the week ends on, YYYY-MM-DD.")
    ],
    out: Annotated[Path, written_file("Where to write the return (long format).")],
    org: Annotated[
        str | None, typer.Option(help="One intermediate care provider (its code); default all.")
    ] = None,
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="csv or xlsx; default from the file's suffix."),
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Exit 1 when a stay needs putting right before submitting.")
    ] = False,
) -> None:
    """The weekly intermediate care return: community and discharge-to-assess beds and
    home-based reablement, by provider, in a long format."""
    from homeflow.reports.intermediate_care import COLUMNS, week_of
    from homeflow.services.intermediate_care import ic_problems, ic_rows

    day = ended_date("--week-ending", week_ending)
    week_of(day, "--week-ending")
    engine = open_database()
    rows = ic_rows(engine, day, org)
    if not rows:
        fail("no intermediate care providers in the registry")
    write_table(out, COLUMNS, [r.as_list() for r in rows], file_format)
    orgs = sorted({r.org_code for r in rows})
    say(
        f"intermediate care return for the week ending {day.isoformat()}: {len(rows)} rows"
        f" for {', '.join(orgs)} written to {out}"
    )
    found = ic_problems(engine, day, org)
    for provider, held in sorted(found.items()):
        for problem, stays in held.items():
            if stays:
                # Left out of the return rather than given a label NHS England does not use.
                warn(
                    f"{provider}: {len(stays)} stays with {problem}, not counted under one:"
                    f" {', '.join(stays)}"
                )
    if strict and any(stays for held in found.values() for stays in held.values()):
        raise typer.Exit(1)
