"""Support after discharge on the command line: `homeflow ingest episodes`, `homeflow ingest
capacity`, `homeflow outcomes` and `homeflow home-care tree`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from homeflow.cli.app import Commands, app
from homeflow.cli.database import open_database
from homeflow.cli.feeds import ingest_app
from homeflow.cli.output import OutputFormat, ended_date, fail, print_rows, say
from homeflow.domain import clock


@ingest_app.command("episodes")
def ingest_episodes(
    path: Annotated[Path, typer.Argument(help="Episodes of support after discharge, as CSV.")],
    source: Annotated[str, typer.Option(help="Names the provider's feed.")] = "csv-episodes",
) -> None:
    """Reconcile a council's or provider's episodes: new ones and newer versions are stored."""
    from homeflow.services.after_discharge import take_in_episodes

    stored = _take_in(path, lambda engine, text: take_in_episodes(engine, text, source))
    say(f"stored: {stored} episode versions")


@ingest_app.command("capacity")
def ingest_capacity(
    path: Annotated[Path, typer.Argument(help="Providers' capacity returns, as CSV.")],
    source: Annotated[str, typer.Option(help="Names the returns' feed.")] = "csv-capacity",
) -> None:
    """Take in providers' weekly capacity returns (home care, reablement, beds, care homes)."""
    from homeflow.services.after_discharge import take_in_capacity

    stored = _take_in(path, lambda engine, text: take_in_capacity(engine, text, source))
    say(f"stored: {stored} capacity returns")


def _take_in(path: Path, take_in: Callable[[Engine, str], int]) -> int:
    if not path.is_file():
        fail(f"FILE: {path} does not exist")
    engine = open_database()
    try:
        return take_in(engine, path.read_text("utf-8-sig"))
    except UnicodeDecodeError:
        fail(f"FILE: {path} is not UTF-8 text")


@app.command("outcomes")
def outcomes_command(
    start: Annotated[str, typer.Option("--from", help="First discharge day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last discharge day, YYYY-MM-DD.")],
    level: Annotated[str, typer.Option(help="system, org or site.")] = "system",
    baseline_from: Annotated[str | None, typer.Option(help="Baseline's first day.")] = None,
    baseline_to: Annotated[str | None, typer.Option(help="Baseline's last day.")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Outcomes after discharge: ASCOF 2B(1), bedded placements, independence, readmissions."""
    from homeflow.services.after_discharge import COLUMNS, Level, measured_outcomes

    first, last = ended_date("--from", start), ended_date("--to", end)
    if last < first:
        fail("--to: is before --from")
    try:
        chosen = Level(level)
    except ValueError:
        fail(f"--level: {level!r} is not one of system, org, site")
    baseline = None
    if (baseline_from is None) != (baseline_to is None):
        fail("--baseline-from: give both --baseline-from and --baseline-to, or neither")
    if baseline_from is not None and baseline_to is not None:
        baseline = (
            ended_date("--baseline-from", baseline_from),
            ended_date("--baseline-to", baseline_to),
        )
    today = clock.today()
    rows = measured_outcomes(open_database(), first, last, chosen, today, baseline)
    print_rows([m.as_dict() for m in rows], COLUMNS, output_format, "Outcomes after discharge")


home_care_app = Commands(help="The home-care market: its split tree of levers.")
app.add_typer(home_care_app, name="home-care")


@home_care_app.command("tree")
def home_care_tree_command(
    on: Annotated[str, typer.Option("--date", help="The day, YYYY-MM-DD.")],
    against: Annotated[
        str | None,
        typer.Option(help="An earlier day, YYYY-MM-DD: share out the gap's change since then."),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(help="A calibrated capacity model: also show what each lever would save."),
    ] = None,
    reps: Annotated[int, typer.Option(min=10, help="Replications for each lever.")] = 100,
    days: Annotated[int, typer.Option(min=7, help="Days the capacity model runs.")] = 90,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Hours of home care needed against deliverable, and each lever's share of the gap (or of
    its change since an earlier day)."""
    from homeflow.services.home_care import (
        EFFECT_COLUMNS,
        TREE_COLUMNS,
        home_care_tree,
        lever_effects,
        tree_rows,
    )

    day = ended_date("--date", on)
    then = ended_date("--against", against) if against else None
    if model is not None and not model.is_file():
        fail(f"--model: {model} does not exist")
    market, tree = home_care_tree(open_database(), day, then)
    rows = tree_rows(tree)
    effects = lever_effects(market, model, reps, days) if model is not None else None
    if output_format is OutputFormat.JSON:
        # One document: the tree, and what each lever saves when a model was given.
        json.dump({"tree": rows, "effects": effects}, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    since = f" against {then:%d/%m/%Y}" if then else ""
    print_rows(rows, TREE_COLUMNS, output_format, f"Home-care split tree, {day:%d/%m/%Y}{since}")
    if effects is not None:
        if output_format is OutputFormat.CSV:
            sys.stdout.write("\n")  # a second table follows the first
        print_rows(effects, EFFECT_COLUMNS, output_format, "What moving each lever saves")
