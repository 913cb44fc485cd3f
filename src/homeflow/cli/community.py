"""Community teams and the directory of trusted services."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from homeflow.cli.app import Commands, app
from homeflow.cli.database import open_database
from homeflow.cli.output import OutputFormat, fail, print_rows, say, written_file
from homeflow.domain import clock
from homeflow.store import db

directory_app = Commands(help="The directory of trusted services (Open Referral UK).")
team_app = Commands(help="Community teams and their caseloads.")
app.add_typer(directory_app, name="directory")
app.add_typer(team_app, name="team")


@directory_app.command("import")
def directory_import(
    path: Annotated[
        Path, typer.Argument(help="HSDS 3.0 JSON, or a CSV of the same fields.", show_default=False)
    ],
) -> None:
    """Read services from an Open Referral UK / HSDS 3.0 file (a list of services or a
    paginated /services response) or a CSV; nothing is stored unless every service reads."""
    from homeflow.services.community import import_directory

    if not path.is_file():
        fail(f"FILE: {path} does not exist")
    stored, unchanged = import_directory(open_database(), path, clock.today())
    say(f"{stored + unchanged} services: {stored} stored, {unchanged} unchanged")


@directory_app.command("export")
def directory_export(
    out: Annotated[Path, written_file("The HSDS 3.0 JSON file to write.")],
) -> None:
    """Write every service as HSDS 3.0 JSON, as it was imported."""
    from homeflow.services.community import export_directory

    count = export_directory(open_database(), out)
    say(f"{count} services written to {out}")


@team_app.command("add")
def team_add(
    code: Annotated[str, typer.Argument(help="The team's short code.", show_default=False)],
    name: Annotated[str, typer.Option(help="The team's name.")],
    org: Annotated[str, typer.Option(help="The trust's ODS code.")],
    review_weeks: Annotated[
        str, typer.Option(help="Weeks into an episode a peer review falls due, e.g. 12,26.")
    ] = "12",
    review_at_targets: Annotated[bool, typer.Option(help="A review at each goal's target.")] = True,
    review_before_discharge: Annotated[
        bool, typer.Option(help="A review before the discharge decision.")
    ] = True,
    telephone: Annotated[
        str, typer.Option(help="The team's telephone number, for its letters and summaries.")
    ] = "",
) -> None:
    """Add a community team under its trust (again with the same code changes it)."""
    from homeflow.domain.community.records import (
        TeamDefined,
    )
    from homeflow.services.community import record

    try:
        weeks = tuple(int(w) for w in review_weeks.split(",") if w.strip())
    except ValueError:
        fail(f"--review-weeks: {review_weeks!r} is not whole numbers separated by commas")
    team = TeamDefined(
        code, name, org, weeks, review_at_targets, review_before_discharge, telephone
    )
    stored = record(open_database(), [team], clock.today(), source="cli")
    say(f"team {code} {'saved' if stored else 'unchanged'}")


@team_app.command("list")
def team_list(
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Every team with its caseload today: open, in check-in, closed, and reviews overdue."""
    from homeflow.store.community import caseloads

    engine = open_database()
    today = clock.today()
    with db.reading(engine) as conn:
        found = caseloads(conn)
    rows = []
    for team in found.teams.values():
        episodes = [e for e in found.episodes.values() if e.opened.team_code == team.team_code]
        states = [e.status(today) for e in episodes]
        overdue = len(found.overdue_reviews(episodes, today))
        rows.append(
            {
                "team": team.team_code,
                "name": team.name,
                "trust": team.org_code,
                "open": states.count("open"),
                "check_in": states.count("check-in"),
                "closed": states.count("closed"),
                "reviews_overdue": overdue,
            }
        )
    columns = ["team", "name", "trust", "open", "check_in", "closed", "reviews_overdue"]
    print_rows(rows, columns, output_format, f"Community teams on {today:%d/%m/%Y}")
