"""`homeflow validate`: the capacity model against what then happened (services/validation)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import Engine

from homeflow.cli.app import app
from homeflow.cli.database import open_database
from homeflow.cli.output import OutputFormat, console, ended_date, print_rows
from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput

if TYPE_CHECKING:
    from homeflow.sim.scenarios import Scenario

COLUMNS = (
    "service",
    "measure",
    "days",
    "actual mean",
    "inside 50% band",
    "inside 90% band",
    "bias",
    "bias %",
    "MAE",
    "interval score",
    "reference bias",
    "reference MAE",
    "reference interval score",
)


@app.command("validate")
def validate_command(
    to: Annotated[str, typer.Option("--to", help="Last day of history, YYYY-MM-DD.")],
    days: Annotated[
        int, typer.Option(min=1, max=366, help="Days after it to simulate and compare.")
    ] = 28,
    reps: Annotated[int, typer.Option(min=1, max=2000, help="Replications.")] = 300,
    seed: Annotated[int, typer.Option(min=0, help="Seed; the same seed gives the same bands.")] = 0,
    scenario: Annotated[
        Path | None,
        typer.Option(
            help="A scenario file of changes known at --to (waits changed from a date, "
            "capacity), applied to the calibrated model."
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """Calibrate on the history up to --to, start from its midnight census, simulate --days and
    compare each service's daily occupancy and NCTR with the stored census, beside a reference
    that carries the start census forward."""
    # Imported here: the capacity model brings numba and scipy, too slow for every command.
    from homeflow.services.validation import validate

    last = ended_date("--to", to)
    # Every day compared must have ended: the last is --days after --to.
    clock.ended("--days", last + timedelta(days=days), clock.today())
    planned = None if scenario is None else _scenario(scenario)
    engine = open_database()
    with console.status(f"calibrating to {last} and running {reps} replications of {days} days"):
        try:
            found = validate(engine, last, days, reps, clock.today(), seed, planned)
        except InvalidInput as problem:
            # The service names its fields as the page does; here they are options.
            raise InvalidInput(f"--{problem.field}", problem.reason) from None
    rows = []
    for c in found.comparisons:
        rows.append(
            {
                "service": c.service,
                "measure": c.measure,
                "days": c.days,
                "actual mean": round(c.actual_mean, 2),
                "inside 50% band": round(c.inside_50, 3),
                "inside 90% band": round(c.inside_90, 3),
                "bias": round(c.bias, 2),
                "bias %": None if c.bias_percent is None else round(100 * c.bias_percent, 1),
                "MAE": round(c.mae, 2),
                "interval score": round(c.interval_score, 2),
                "reference bias": round(c.reference_bias, 2),
                "reference MAE": round(c.reference_mae, 2),
                "reference interval score": round(c.reference_interval_score, 2),
            }
        )
    title = (
        f"Calibrated on {found.history_from} to {last}, {reps} replications of {days} days "
        f"from its midnight census, against the stored census"
    )
    if planned is not None:
        title += f", with the scenario {planned.name!r}"
    print_rows(rows, COLUMNS, output_format, title)
    if output_format == OutputFormat.TABLE:
        _name_changes(engine, last, days)


def _scenario(path: Path) -> Scenario:
    """The scenario file, its problems named as --scenario's."""
    from homeflow.services.planning import load_scenario

    try:
        return load_scenario(path)
    except InvalidInput as problem:
        raise InvalidInput(f"--scenario {problem.field}", problem.reason) from None


def _name_changes(engine: Engine, last: date, days: int) -> None:
    """The changes in practice recorded in the days compared (PDSA cycles' change dates): the
    history the model was calibrated on cannot hold them, and a miss there may be theirs."""
    from homeflow.services.projects import changes_between

    for change in changes_between(engine, last + timedelta(days=1), last + timedelta(days=days)):
        console.print(
            f"A change in practice falls in these days: {change.day:%d/%m/%Y}, "
            f"{change.change_idea} ({change.level} {change.place}). The history before it "
            "cannot hold it: check days that end before it, or plan it as a scenario.",
            markup=False,
        )
