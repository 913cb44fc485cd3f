"""Planning: demand forecasts and their backtest, calibrating and running the capacity model."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from homeflow.cli.app import app
from homeflow.cli.database import open_database
from homeflow.cli.output import (
    FileFormat,
    OutputFormat,
    console,
    ended_date,
    fail,
    print_rows,
    progress_bar,
    say,
    tables,
    write_table,
    written_file,
)
from homeflow.domain.clock import parse_date
from homeflow.services.forecasts import Level as ForecastLevel
from homeflow.services.forecasts import Measure, Reconciliation


def _read_series(path: Path | None) -> Any:
    """The `--input` series, cleaned; a bad row ends the command naming its line and field."""
    from homeflow.forecasting.demand import prepare, read_series

    if path is None:
        fail("--input: is required (or --level, to forecast the record's own wards)")
    return prepare(read_series(path))


Input = Annotated[Path | None, typer.Option("--input", help="CSV: series_id,date,value.")]
LevelOption = Annotated[
    ForecastLevel | None,
    typer.Option(
        "--level",
        help="Forecast the record's wards, summed by site, trust and ICB, down to this level, "
        "reconciled so that they add up (instead of --input).",
    ),
]
MeasureOption = Annotated[
    Measure, typer.Option(help="With --level: each ward's daily admissions or occupied beds.")
]
LastDay = Annotated[
    str | None, typer.Option("--to", help="With --level: the last day of history, YYYY-MM-DD.")
]
HistoryDays = Annotated[
    int, typer.Option("--days", min=28, help="With --level: days of history to fit on.")
]
MethodOption = Annotated[
    Reconciliation, typer.Option(help="With --level: how the levels are made to add up.")
]


def _last_day(last: str | None) -> str:
    if last is None:
        fail("--to: is required with --level (the last day of history, YYYY-MM-DD)")
    return last


@app.command("forecast")
def forecast_command(
    out: Annotated[Path, written_file("Where to write the forecast (CSV).")],
    input_path: Input = None,
    horizon: Annotated[int, typer.Option(min=1, max=366, help="Days ahead.")] = 14,
    jobs: Annotated[int, typer.Option(min=1, help="Processes to fit with.")] = 1,
    level: LevelOption = None,
    measure: MeasureOption = Measure.ADMISSIONS,
    last: LastDay = None,
    days: HistoryDays = 365,
    method: MethodOption = Reconciliation.MINT_SHRINK,
) -> None:
    """Forecast each daily series, its model chosen by cross-validation, with 80/95% intervals;
    with --level, the record's wards, sites, trusts and ICB, adding up, with 80% intervals."""
    from homeflow.forecasting.demand import FORECAST_COLUMNS, forecast

    if level is not None:
        _forecast_levels(out, level, measure, _last_day(last), days, horizon, method, jobs)
        return
    series = _read_series(input_path)
    with console.status(f"choosing and fitting models for {series['unique_id'].nunique()} series"):
        made = forecast(series, horizon, jobs)
    write_table(out, FORECAST_COLUMNS, made.values.tolist(), FileFormat.CSV)
    say(f"{len(made)} forecast days for {made['series_id'].nunique()} series written to {out}")


def _forecast_levels(
    out: Path,
    level: ForecastLevel,
    measure: Measure,
    last: str,
    days: int,
    horizon: int,
    method: Reconciliation,
    jobs: int,
) -> None:
    from homeflow.forecasting.hierarchy import HIERARCHY_COLUMNS
    from homeflow.services.forecasts import forecast_levels

    day = ended_date("--to", last)
    engine = open_database()
    with console.status(f"forecasting {measure} from the ICB down to each {level}"):
        made = forecast_levels(engine, measure, level, day, days, horizon, method, jobs)
    write_table(out, HIERARCHY_COLUMNS, made.round(2).values.tolist(), FileFormat.CSV)
    say(f"{len(made)} forecast days for {made['series_id'].nunique()} series written to {out}")


@app.command("backtest")
def backtest_command(
    input_path: Input = None,
    horizon: Annotated[int, typer.Option(min=1, max=366, help="Days ahead.")] = 14,
    windows: Annotated[int, typer.Option(min=1, help="Rolling origins to evaluate.")] = 4,
    out: Annotated[Path | None, written_file("Per-series results (CSV).")] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Processes to fit with.")] = 1,
    level: LevelOption = None,
    measure: MeasureOption = Measure.ADMISSIONS,
    last: LastDay = None,
    days: HistoryDays = 365,
    method: MethodOption = Reconciliation.MINT_SHRINK,
) -> None:
    """Rolling-origin evaluation: MASE and interval coverage beside seasonal naive."""
    from homeflow.forecasting.demand import backtest

    if level is not None:
        day = ended_date("--to", _last_day(last))
        _backtest_levels(level, measure, day, days, horizon, windows, method, jobs)
        return
    series = _read_series(input_path)
    count = series["unique_id"].nunique()
    with console.status(f"evaluating {windows} origins of {horizon} days for {count} series"):
        result = backtest(series, horizon, windows, jobs)
    frame = result.per_series
    if out is not None:
        write_table(out, list(frame.columns), frame.round(4).values.tolist(), FileFormat.CSV)
    table = Table(title=f"Backtest: {count} series, {windows} origins × {horizon} days")
    for name in ("measure", "chosen model", "seasonal naive"):
        table.add_column(name)
    table.add_row(
        "median MASE", f"{frame['mase'].median():.3f}", f"{frame['naive_mase'].median():.3f}"
    )
    table.add_row("series where the model beats naive", f"{result.beats_naive:.0%}", "")
    for share in (80, 95):
        table.add_row(
            f"{share}% interval coverage (mean)", f"{frame[f'coverage{share}'].mean():.1%}", ""
        )
    models = frame["model"].value_counts()
    table.add_row("models chosen", ", ".join(f"{m} {n}" for m, n in models.items()), "")
    tables.print(table)


def _backtest_levels(
    level: ForecastLevel,
    measure: Measure,
    day: date,
    days: int,
    horizon: int,
    windows: int,
    method: Reconciliation,
    jobs: int,
) -> None:
    from homeflow.services.forecasts import backtest_levels

    engine = open_database()
    with console.status(f"evaluating {windows} origins of {horizon} days at every level"):
        found = backtest_levels(engine, measure, level, day, days, horizon, windows, method, jobs)
    table = Table(
        title=f"Backtest of {measure}, reconciled ({method}): {windows} origins × {horizon} days"
    )
    for name in ("level", "series", "MASE", "seasonal naive MASE", "ratio", "80% coverage"):
        table.add_column(name)
    for name, row in found.iterrows():
        table.add_row(
            str(name),
            str(int(row["series"])),
            f"{row['mase']:.3f}",
            f"{row['naive_mase']:.3f}",
            f"{row['ratio']:.3f}",
            f"{row['coverage80']:.1%}",
        )
    tables.print(table)


class StartFrom(StrEnum):
    CENSUS = "census"
    EMPTY = "empty"


@app.command("calibrate")
def calibrate_command(
    first: Annotated[str, typer.Option("--from", help="First day of history, YYYY-MM-DD.")],
    last: Annotated[str, typer.Option("--to", help="Last day of history, YYYY-MM-DD.")],
    out: Annotated[Path, written_file("Where to write the model (TOML).")],
    start: Annotated[
        str | None, typer.Option(help="First day a run simulates (default: the day after --to).")
    ] = None,
) -> None:
    """Fit the capacity model (arrivals, lengths of stay, NCTR, pathways) to the event history."""
    from datetime import timedelta

    from homeflow.sim.calibrate import calibrate
    from homeflow.sim.model_toml import model_to_toml
    from homeflow.store.queries import bed_base, stay_history

    since, until = ended_date("--from", first), ended_date("--to", last)
    begins = parse_date("--start", start) if start else until + timedelta(days=1)
    engine = open_database()
    with console.status("reading the stays"):
        history = stay_history(engine, since, until)
    with console.status(f"fitting the model to {len(history):,} stays"):
        model, notes = calibrate(history, bed_base(engine, begins), since, until, begins)
    out.write_text(model_to_toml(model, notes), "utf-8")
    say(f"{len(model.services)} services fitted to {len(history):,} stays: {out}")


@app.command("simulate")
def simulate_command(
    model_path: Annotated[Path, typer.Argument(help="The model file (TOML).")],
    out: Annotated[Path, written_file("Daily results per scenario and service (Parquet).")],
    scenario: Annotated[
        list[Path] | None, typer.Option(help="A scenario file (TOML); give it once per scenario.")
    ] = None,
    reps: Annotated[int, typer.Option(min=1, help="Replications.")] = 1000,
    horizon: Annotated[int, typer.Option(min=1, max=3660, help="Days to simulate.")] = 120,
    start: Annotated[
        StartFrom, typer.Option(help="Start from today's census or from empty after a warm-up.")
    ] = StartFrom.CENSUS,
    warmup: Annotated[
        int | None, typer.Option(min=0, help="Warm-up days from empty (default: the model's).")
    ] = None,
    seed: Annotated[
        int, typer.Option(min=0, help="Seed; the same seed gives the same results.")
    ] = 0,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Run on a local Dask cluster of this many workers.")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Run on the Dask cluster at this scheduler address.")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Replications per batch.")] = 100,
    totals: Annotated[
        Path | None, written_file("Also write the per-scenario totals here (CSV).")
    ] = None,
) -> None:
    """Replications of the model and each scenario: occupancy, NCTR, delays, queues and cost."""
    # Imported here: the capacity model brings numba and scipy, too slow for every command.
    from homeflow.services.planning import Run, prepare, run_prepared

    if workers and scheduler:
        fail("--workers and --scheduler: give one, not both")
    run = Run(reps, horizon, start is StartFrom.CENSUS, seed, warmup, batch_size)
    prepared = prepare(open_database(), model_path, scenario or [], run.from_census)
    with ExitStack() as stack:
        client = None
        if workers or scheduler:
            from distributed import Client, LocalCluster

            cluster = scheduler or stack.enter_context(
                LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None)  # type: ignore[no-untyped-call]
            )
            client = stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
        with progress_bar() as progress:
            task = progress.add_task(
                f"{len(prepared.scenarios) + 1} scenarios × {reps} replications",
                total=reps * (len(prepared.scenarios) + 1),
            )
            result = run_prepared(
                prepared,
                run,
                client=client,
                progress=lambda done: progress.update(task, completed=sum(n for _, n in done)),
            )
    result.daily().to_parquet(out, index=False)
    summary = result.totals()
    if totals is not None:
        summary.round(2).to_csv(totals, index=False)
    _print_totals(
        summary, f"{reps} replications of {horizon} days from {start.value}; daily results in {out}"
    )


def _print_totals(summary: Any, title: str) -> None:
    import pandas as pd

    print_rows(
        [
            {
                "scenario": r.scenario,
                "delayed bed-days (90% range)": f"{r.delayed_bed_days_mean:,.0f} "
                f"({r.delayed_bed_days_p5:,.0f}–{r.delayed_bed_days_p95:,.0f})",
                "saved vs baseline": f"{r.bed_days_saved_mean:,.0f}",
                "cost £": f"{r.cost_mean:,.0f}",
                "extra cost £": f"{r.extra_cost_mean:,.0f}",
                "£ per bed-day saved": ""
                if pd.isna(r.cost_per_bed_day_saved)
                else f"{r.cost_per_bed_day_saved:,.0f}",
                "turned away": f"{r.turned_away_mean:,.1f}",
                "waiting for a bed at the end": f"{r.waiting_for_a_bed_at_end_p50:,.0f}",
            }
            for r in summary.itertuples()
        ],
        TOTALS_COLUMNS,
        OutputFormat.TABLE,
        title,
    )


TOTALS_COLUMNS = (
    "scenario",
    "delayed bed-days (90% range)",
    "saved vs baseline",
    "cost £",
    "extra cost £",
    "£ per bed-day saved",
    "turned away",
    "waiting for a bed at the end",
)
